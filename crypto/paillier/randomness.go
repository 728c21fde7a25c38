package paillier

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

var (
	// ErrClosed is returned by Next once the Randomness has been closed.
	ErrClosed = errors.New("paillier: randomness pool closed")
	// ErrExhausted is returned by Next once a pool created with WithLimit has
	// handed out all of its factors.
	ErrExhausted = errors.New("paillier: randomness pool exhausted")
)

// DefaultPoolSize is the number of factors a Randomness keeps ready unless
// WithPoolSize says otherwise.
const DefaultPoolSize = 1024

const (
	// tableWindow is the smallest window, in bits, of a fixed-base table: a
	// factor costs ⌈ℓ/w⌉ multiplications mod n², and the table holds
	// ⌈ℓ/w⌉·(2^w−1) values (7.3 MB for a 2048-bit key at w = 8, built in
	// ~0.05 s of CPU). A pool that knows from WithLimit that it will make
	// many factors takes a larger window (see windowFor), trading memory
	// and set-up time for speed.
	tableWindow = 8
	// maxWindow and maxTableBytes bound the window a limit can buy: at most
	// 32 MiB of tables per pool (w = 10 for a 2048-bit key's 448-bit
	// exponents: 45 instead of 56 multiplications per factor).
	maxWindow     = 16
	maxTableBytes = 32 << 20
)

// SecurityBits returns the security level, in bits, that NIST SP 800-57 gives
// an RSA-type modulus of the given size (112 for 2048 bits, 128 for 3072),
// never less than 112: it sets the length of the randomness exponents.
func SecurityBits(modulusBits int) int {
	switch {
	case modulusBits >= 15360:
		return 256
	case modulusBits >= 7680:
		return 192
	case modulusBits >= 3072:
		return 128
	default:
		return 112
	}
}

// ExponentBits returns ℓ, the length of the short exponents a in the factors
// hs^a mod n² of a pool for a modulus of the given size: four times its
// security level, so 448 bits for 2048-bit keys and 512 for 3072-bit keys.
func ExponentBits(modulusBits int) int {
	return 4 * SecurityBits(modulusBits)
}

// RandomnessOption configures NewRandomness.
type RandomnessOption func(*randomnessConfig)

type randomnessConfig struct {
	poolSize int
	workers  int
	limit    int64 // < 0: unlimited
	uniform  bool
	owner    *PrivateKey
}

// UniformExponentBits returns the exponent length of a pool made WithUniform:
// 2·SubgroupBits + 128, so that hs^a is within statistical distance 2^−128 of a
// uniform element of the subgroup hs generates.
func UniformExponentBits(modulusBits int) int {
	return 2*SubgroupBits(modulusBits) + 128
}

// WithUniform makes the pool draw exponents of UniformExponentBits instead of
// ExponentBits. Its factors then hide their exponent even from the key owner,
// who can take discrete logarithms modulo p and q: a party that re-randomises
// ciphertexts which the key owner will decrypt, and which the owner must not be
// able to link to ciphertexts it made, uses such a pool. It costs ~1.4× per
// factor.
func WithUniform() RandomnessOption {
	return func(c *randomnessConfig) { c.uniform = true }
}

// WithPrivateKey makes the pool compute its factors as the owner of sk,
// whose public key the pool's must be: modulo p² and q² with the Chinese
// remainder theorem, from exponents drawn uniformly modulo the orders α_p and
// α_q of hs there, and tables of half the size. Its factors are then uniform
// in the subgroup hs generates, like those of a pool made WithUniform, at
// less than half the cost of a short-exponent factor. The pool holds
// copies of sk's secrets and tables modulo p² and q², which reveal the
// factors of n: Close wipes them, and sk.Wipe closes the pool. Only the key
// owner can use this option; it is for the ciphertexts the owner makes
// under its own key.
func WithPrivateKey(sk *PrivateKey) RandomnessOption {
	return func(c *randomnessConfig) { c.owner = sk }
}

// WithPoolSize sets how many factors the pool keeps ready (DefaultPoolSize
// unless set). Each factor takes CiphertextSize bytes.
func WithPoolSize(n int) RandomnessOption {
	return func(c *randomnessConfig) { c.poolSize = n }
}

// WithWorkers sets how many goroutines fill the pool (GOMAXPROCS unless set).
func WithWorkers(n int) RandomnessOption {
	return func(c *randomnessConfig) { c.workers = n }
}

// WithLimit makes the pool produce n factors in all and then stop, so that a
// caller who knows how many encryptions it needs spends no CPU on more. Once
// they are handed out, Next returns ErrExhausted.
func WithLimit(n int) RandomnessOption {
	return func(c *randomnessConfig) { c.limit = int64(n) }
}

// Randomness is a pool of randomness factors hs^a mod n² for one public key,
// computed ahead of time by background goroutines so that encryption and
// rerandomisation cost one multiplication. See the package documentation for
// how factors are made and the assumption that makes it safe.
//
// A Randomness is safe for concurrent use. Its goroutines stop when the
// context given to NewRandomness is done, when Close is called, or after the
// limit set by WithLimit.
type Randomness struct {
	pk    *PublicKey
	table *fixedBase  // powers of hs mod n², unless owner is set
	ell   int         // exponent bits, unless owner is set
	owner *ownerBase  // the key owner's tables mod p² and q², for WithPrivateKey
	sk    *PrivateKey // the key owner, for WithPrivateKey

	pool      chan *big.Int
	remaining atomic.Int64 // factors still to produce when limited
	limited   bool

	ctx     context.Context // the workers' context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stopped chan struct{} // closed once every worker has returned

	mu     sync.Mutex // guards random, err and closed
	random io.Reader
	err    error
	closed bool
}

// NewRandomness builds the fixed-base table for pk's generator hs (using all
// cores, ~0.03 s of CPU for 2048-bit keys) and starts the goroutines that
// fill the pool. random must be a cryptographically secure source such as
// crypto/rand.Reader; the workers read the exponents from it, so a source
// that fails shows as an error from Next. They read it under a lock of their
// own, so it need not be safe for concurrent use unless the caller reads it
// elsewhere at the same time (crypto/rand.Reader always is).
//
// The table's window is 8 bits unless WithLimit says the pool will make
// enough factors to pay for a larger one: then NewRandomness takes the
// window that minimises the multiplications of building the table and
// making the factors together, up to 32 MiB of table (for a 2048-bit key,
// window 10 from about 8,000 factors on: 45 instead of 56 multiplications a
// factor, for a 0.2 s table).
func NewRandomness(ctx context.Context, pk *PublicKey, random io.Reader, opts ...RandomnessOption) (*Randomness, error) {
	cfg := randomnessConfig{poolSize: DefaultPoolSize, workers: runtime.GOMAXPROCS(0), limit: -1}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.poolSize < 1 || cfg.workers < 1 {
		return nil, fmt.Errorf("paillier: randomness pool needs a positive size and worker count, have %d and %d", cfg.poolSize, cfg.workers)
	}
	if pk == nil || pk.n == nil || pk.hs == nil {
		return nil, errors.New("paillier: randomness pool needs a public key")
	}

	wctx, cancel := context.WithCancel(ctx)
	r := &Randomness{
		pk:      pk,
		pool:    make(chan *big.Int, cfg.poolSize),
		limited: cfg.limit >= 0,
		ctx:     wctx,
		cancel:  cancel,
		stopped: make(chan struct{}),
		random:  random,
	}
	if err := r.build(ctx, cfg); err != nil {
		cancel()
		return nil, err
	}
	r.remaining.Store(cfg.limit)
	for range cfg.workers {
		r.wg.Go(func() { r.fill(wctx) })
	}
	go func() {
		r.wg.Wait()
		close(r.stopped)
	}()
	return r, nil
}

// build makes the tables the pool's factors come from: the key owner's for
// WithPrivateKey, which it registers with the key so that the key's Wipe
// closes the pool, and otherwise one of pk's hs for exponents of
// ExponentBits, or UniformExponentBits WithUniform.
func (r *Randomness) build(ctx context.Context, cfg randomnessConfig) error {
	if sk := cfg.owner; sk != nil {
		if !sk.PublicKey.Equal(r.pk) {
			return errors.New("paillier: randomness pool: WithPrivateKey was given another key's private key")
		}
		owner, err := newOwnerBase(ctx, sk, cfg.limit, maxTableBytes)
		if errors.Is(err, ErrWiped) {
			return err
		}
		if err != nil {
			return fmt.Errorf("paillier: randomness pool tables: %w", err)
		}
		if err := sk.addPool(r); err != nil {
			owner.wipe()
			return err
		}
		r.owner, r.sk = owner, sk
		return nil
	}
	r.ell = ExponentBits(r.pk.Bits())
	if cfg.uniform {
		r.ell = UniformExponentBits(r.pk.Bits())
	}
	window := windowFor(r.ell, len(r.pk.nSquared.Bits()), cfg.limit, maxTableBytes)
	var err error
	if r.table, err = newFixedBase(ctx, r.pk.hs, r.pk.nSquared, r.ell, window); err != nil {
		return fmt.Errorf("paillier: randomness pool table: %w", err)
	}
	return nil
}

// fill is one worker: it computes factors and hands them to the pool until
// ctx is done, the limit is reached or random fails.
func (r *Randomness) fill(ctx context.Context) {
	var exp, expQ []byte // the exponent, or its residues mod α_p and α_q
	if r.owner != nil {
		exp = make([]byte, (r.owner.alphaP.BitLen()+7)/8)
		expQ = make([]byte, (r.owner.alphaQ.BitLen()+7)/8)
	} else {
		exp = make([]byte, (r.ell+7)/8)
	}
	defer clear(exp)
	defer clear(expQ)
	for ctx.Err() == nil {
		if r.limited && r.remaining.Add(-1) < 0 {
			return
		}
		var f *big.Int
		if r.owner != nil {
			if err := r.readBelow(exp, r.owner.alphaP, expQ, r.owner.alphaQ); err != nil {
				return
			}
			f = r.owner.exp(exp, expQ)
		} else {
			if err := r.read(exp); err != nil {
				return
			}
			f = r.table.exp(exp)
		}
		select {
		case r.pool <- f:
		case <-ctx.Done():
			wipeInt(f)
			return
		}
	}
}

// read fills exp with a fresh exponent of exactly ell bits of randomness.
func (r *Randomness) read(exp []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	if _, err := io.ReadFull(r.random, exp); err != nil {
		r.err = fmt.Errorf("paillier: reading randomness exponent: %w", err)
		r.cancel()
		return r.err
	}
	if extra := len(exp)*8 - r.ell; extra > 0 {
		exp[0] &= byte(0xff >> extra)
	}
	return nil
}

// readBelow fills e1 and e2 with uniform integers below b1 and b2, big-endian.
func (r *Randomness) readBelow(e1 []byte, b1 *big.Int, e2 []byte, b2 *big.Int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	for _, x := range []struct {
		e []byte
		b *big.Int
	}{{e1, b1}, {e2, b2}} {
		a, err := rand.Int(r.random, x.b)
		if err != nil {
			r.err = fmt.Errorf("paillier: reading randomness exponent: %w", err)
			r.cancel()
			return r.err
		}
		a.FillBytes(x.e)
		wipeInt(a)
	}
	return nil
}

// Next returns one factor hs^a mod n² from the pool, waiting for one if the
// pool is empty. Each factor is handed out once; the caller should wipe it
// after use. Next fails once ctx is done, once the pool is closed or its
// context cancelled, or when its source of randomness has failed.
func (r *Randomness) Next(ctx context.Context) (*big.Int, error) {
	select {
	case f := <-r.pool:
		return f, nil
	default:
	}
	select {
	case f := <-r.pool:
		return f, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("paillier: waiting for randomness: %w", ctx.Err())
	case <-r.stopped:
		// The workers have finished; what they left in the pool is still good.
		select {
		case f := <-r.pool:
			return f, nil
		default:
			return nil, r.stopErr()
		}
	}
}

// stopErr explains why the workers stopped.
func (r *Randomness) stopErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return ErrClosed
	case r.err != nil:
		return r.err
	case r.limited && r.remaining.Load() < 0:
		return ErrExhausted
	default:
		return fmt.Errorf("paillier: randomness pool stopped: %w", context.Cause(r.ctx))
	}
}

// Len returns the number of factors ready in the pool now.
func (r *Randomness) Len() int { return len(r.pool) }

// Close stops the workers, waits for them and wipes the factors left in the
// pool, and for a pool made WithPrivateKey the key's secrets and tables it
// holds; later calls to Next return ErrClosed. Close is idempotent.
func (r *Randomness) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	<-r.stopped
	r.owner.wipe()
	if r.sk != nil {
		r.sk.removePool(r)
	}
	for {
		select {
		case f := <-r.pool:
			wipeInt(f)
		default:
			return
		}
	}
}

// fixedBase holds the powers base^(j·2^(w·i)) mod m, in Montgomery form, for
// every window i of an exponent of up to bits bits and every digit
// j ∈ [1, 2^w), so that base^a mod m costs one Montgomery multiplication per
// non-zero window of a and no squaring.
type fixedBase struct {
	mont   *montgomery
	window int
	bits   int
	rows   int
	table  []big.Word // entry (i, j) at words [(i·(2^w−1) + j−1)·k, +k)
}

// newFixedBase builds the table for exponents of up to bits bits modulo the
// odd mod, spreading the rows over all cores.
func newFixedBase(ctx context.Context, base, mod *big.Int, bits, window int) (*fixedBase, error) {
	mont, err := newMontgomery(mod)
	if err != nil {
		return nil, err
	}
	k := len(mont.m)
	t := &fixedBase{mont: mont, window: window, bits: bits, rows: (bits + window - 1) / window}
	t.table = make([]big.Word, t.rows*(1<<window-1)*k)
	// The first entry of each row, base^(2^(w·i)), comes from the previous
	// row's by w squarings: a short sequential chain.
	s := mont.newScratch()
	r := new(big.Int).Mod(base, mod)
	b := mont.words(r)
	wipeInt(r)
	defer func() {
		clear(b)
		s.wipe()
	}()
	mont.toMont(b, b, s)
	for i := range t.rows {
		copy(t.entry(i, 1), b)
		for range window {
			mont.mul(b, b, b, s)
		}
	}
	err = parallel(ctx, t.rows, func(i int) error {
		s := mont.newScratch()
		defer s.wipe()
		first := t.entry(i, 1)
		for j := 2; j < 1<<window; j++ {
			mont.mul(t.entry(i, j), t.entry(i, j-1), first, s)
		}
		return nil
	})
	if err != nil {
		t.wipe()
		return nil, err
	}
	return t, nil
}

// entry returns the words of base^(j·2^(w·i)) in Montgomery form.
func (t *fixedBase) entry(i, j int) []big.Word {
	k := len(t.mont.m)
	off := (i*(1<<t.window-1) + j - 1) * k
	return t.table[off : off+k : off+k]
}

// exp returns base^e mod m for the big-endian exponent e of at most bits bits.
func (t *fixedBase) exp(e []byte) *big.Int {
	acc := make([]big.Word, len(t.mont.m))
	s := t.mont.newScratch()
	defer s.wipe()
	started := false
	for i := range t.rows {
		d := digit(e, i*t.window, t.window)
		switch {
		case d == 0:
		case !started:
			copy(acc, t.entry(i, d))
			started = true
		default:
			t.mont.mul(acc, acc, t.entry(i, d), s)
		}
	}
	if !started {
		return new(big.Int).SetInt64(1)
	}
	t.mont.fromMont(acc, acc, s)
	return new(big.Int).SetBits(acc)
}

// wipe overwrites the table and its modulus: a table of the key owner's,
// modulo p², would reveal p.
func (t *fixedBase) wipe() {
	if t == nil {
		return
	}
	clear(t.table)
	clear(t.mont.m)
	clear(t.mont.rr)
	t.mont.mInv = 0
}

// tableBytes returns the size of a table of window w for exponents of bits
// bits, in bytes, for a modulus of k words.
func tableBytes(bits, w, k int) int {
	return (bits + w - 1) / w * (1<<w - 1) * k * (strconv.IntSize / 8)
}

// windowFor returns the window of a table for exponents of bits bits
// modulo a modulus of k words from which n factors will be drawn (n < 0:
// an unknown number): the window that makes building the table and drawing
// the n factors cheapest, counted in multiplications, among those from
// tableWindow to maxWindow whose table takes at most maxBytes. Building
// costs about 2^w − 1 multiplications per row of ⌈bits/w⌉ rows and each
// factor one per row. A pool with no limit, or too small a limit to pay for
// a larger table, keeps tableWindow.
func windowFor(bits, k int, n int64, maxBytes int) int {
	if n < 0 {
		return tableWindow
	}
	cost := func(w int) float64 {
		rows := float64((bits + w - 1) / w)
		return rows*float64(int(1)<<w-1) + float64(n)*rows
	}
	best := tableWindow
	for w := tableWindow + 1; w <= maxWindow && tableBytes(bits, w, k) <= maxBytes; w++ {
		if cost(w) < cost(best) {
			best = w
		}
	}
	return best
}

// digit returns bits [pos, pos+w) of the big-endian integer e.
func digit(e []byte, pos, w int) int {
	d := 0
	for k := w - 1; k >= 0; k-- {
		bit := pos + k
		idx := len(e) - 1 - bit/8
		d <<= 1
		if idx >= 0 {
			d |= int(e[idx]>>(bit%8)) & 1
		}
	}
	return d
}
