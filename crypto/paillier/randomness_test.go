package paillier

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"strconv"
	"sync/atomic"
	"testing"
)

func TestExponentBits(t *testing.T) {
	for _, tc := range []struct{ bits, sec int }{{1024, 112}, {2048, 112}, {3072, 128}, {4096, 128}, {8192, 192}} {
		if got := SecurityBits(tc.bits); got != tc.sec {
			t.Errorf("SecurityBits(%d) = %d, want %d", tc.bits, got, tc.sec)
		}
		if got := ExponentBits(tc.bits); got != 4*tc.sec {
			t.Errorf("ExponentBits(%d) = %d, want %d", tc.bits, got, 4*tc.sec)
		}
	}
}

func TestDigit(t *testing.T) {
	x := randBelow(t, new(big.Int).Lsh(one, 200))
	b := x.FillBytes(make([]byte, 25))
	for _, w := range []int{1, 5, 6, 7, 8} {
		for pos := 0; pos < 200; pos += w {
			want := new(big.Int).Rsh(x, uint(pos))
			want.And(want, big.NewInt(1<<w-1))
			if got := digit(b, pos, w); int64(got) != want.Int64() {
				t.Fatalf("digit(pos %d, w %d) = %d, want %d", pos, w, got, want)
			}
		}
	}
}

func TestFixedBaseMatchesExp(t *testing.T) {
	sk := testKey(t, 0)
	base, err := randomUnit(rand.Reader, sk.nSquared)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mod     *big.Int
		bits    int
		windows []int
	}{
		{sk.nSquared, 130, []int{1, 2, 6, 8, 9}}, // 130: not a multiple of any window
		{sk.nSquared, ExponentBits(testBits), []int{8, 11}},
		{sk.pSquared, sk.alphaP.BitLen(), []int{5, 12}}, // the owner's tables
	} {
		for _, w := range tc.windows {
			tab, err := newFixedBase(context.Background(), base, tc.mod, tc.bits, w)
			if err != nil {
				t.Fatal(err)
			}
			max := new(big.Int).Sub(new(big.Int).Lsh(one, uint(tc.bits)), one)
			exps := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(255), big.NewInt(1 << w), max, new(big.Int).Lsh(one, uint(tc.bits-1))}
			for range 8 {
				exps = append(exps, randBelow(t, max))
			}
			for _, e := range exps {
				want := new(big.Int).Exp(base, e, tc.mod)
				if got := tab.exp(e.FillBytes(make([]byte, (tc.bits+7)/8))); got.Cmp(want) != 0 {
					t.Fatalf("%d-bit modulus, window %d, exponent %v: table gives a different power", tc.mod.BitLen(), w, e)
				}
			}
		}
	}
}

func TestWindowFor(t *testing.T) {
	const ell, k = 448, 4096 / 64 // a 2048-bit key on a 64-bit machine
	if w := windowFor(ell, k, -1, maxTableBytes); w != tableWindow {
		t.Errorf("no limit: window %d, want %d", w, tableWindow)
	}
	if w := windowFor(ell, k, 200, maxTableBytes); w != tableWindow {
		t.Errorf("200 factors: window %d, want %d", w, tableWindow)
	}
	prev := tableWindow
	for _, n := range []int64{0, 1000, 10_000, 100_000, 1_000_000, 1 << 40} {
		w := windowFor(ell, k, n, maxTableBytes)
		if w < prev {
			t.Errorf("%d factors: window %d, smaller than %d for fewer", n, w, prev)
		}
		if w > tableWindow && tableBytes(ell, w, k) > maxTableBytes {
			t.Errorf("%d factors: window %d takes %d bytes, over %d", n, w, tableBytes(ell, w, k), maxTableBytes)
		}
		prev = w
	}
	if prev <= tableWindow {
		t.Errorf("2^40 factors keep window %d", prev)
	}
	// A table of window 10 for 448-bit exponents modulo 4096 bits: 45 rows
	// of 1023 entries of 512 bytes.
	if got := tableBytes(448, 10, 4096/strconv.IntSize); got != 45*1023*512 {
		t.Errorf("tableBytes = %d, want %d", got, 45*1023*512)
	}
}

// TestOwnerFactorMatchesPlain checks that the owner's factor computed modulo
// p² and q² from a mod α_p and a mod α_q is hs^a mod n².
func TestOwnerFactorMatchesPlain(t *testing.T) {
	sk := testKey(t, 0)
	o, err := newOwnerBase(context.Background(), sk, -1, maxTableBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer o.wipe()
	alpha := new(big.Int).Mul(sk.alphaP, sk.alphaQ)
	exps := []*big.Int{big.NewInt(0), big.NewInt(1), new(big.Int).Sub(alpha, one), sk.alphaP, sk.alphaQ}
	for range 16 {
		exps = append(exps, randBelow(t, alpha), randBelow(t, new(big.Int).Lsh(one, uint(ExponentBits(testBits)))))
	}
	for _, a := range exps {
		ep := new(big.Int).Mod(a, sk.alphaP).FillBytes(make([]byte, (sk.alphaP.BitLen()+7)/8))
		eq := new(big.Int).Mod(a, sk.alphaQ).FillBytes(make([]byte, (sk.alphaQ.BitLen()+7)/8))
		want := new(big.Int).Exp(sk.hs, a, sk.nSquared)
		if got := o.exp(ep, eq); got.Cmp(want) != 0 {
			t.Fatalf("exponent %v: owner's factor differs from hs^a mod n²", a)
		}
	}
}

// TestEveryPoolRoundTrips encrypts and re-randomises with every kind of
// pool and decrypts with both decryptions.
func TestEveryPoolRoundTrips(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	kinds := map[string][]RandomnessOption{
		"short":                {},
		"uniform":              {WithUniform()},
		"owner":                {WithPrivateKey(sk)},
		"owner, uniform":       {WithPrivateKey(sk), WithUniform()},
		"short, large window":  {WithLimit(1 << 30), WithPoolSize(4)},
		"owner, large windows": {WithPrivateKey(sk), WithLimit(1 << 30), WithPoolSize(4)},
		"owner, limited":       {WithPrivateKey(sk), WithLimit(24)},
	}
	short := testPool(t, pk)
	for name, opts := range kinds {
		t.Run(name, func(t *testing.T) {
			pool := testPool(t, pk, opts...)
			if (pool.owner != nil) != (pool.sk != nil) || (pool.owner == nil) == (pool.table == nil) {
				t.Fatal("pool has not exactly one kind of table")
			}
			ms := make([]*big.Int, 24)
			for i := range ms {
				ms[i] = randBelow(t, pk.n)
			}
			ms[0], ms[1] = big.NewInt(0), new(big.Int).Sub(pk.n, one)
			cs, err := pk.EncryptBatch(context.Background(), pool, ms)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sk.DecryptBatch(context.Background(), cs)
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range ms {
				if got[i].Cmp(m) != 0 {
					t.Fatalf("message %d decrypts to %v, want %v", i, got[i], m)
				}
				if ref, err := sk.DecryptReference(cs[i]); err != nil || ref.Cmp(m) != 0 {
					t.Fatalf("message %d: reference decryption gives %v, %v", i, ref, err)
				}
			}
			if pool.limited {
				return // spent
			}
			c := encrypt(t, pk, short, ms[2])
			c2 := pk.Rerandomize(c, mustNext(t, pool))
			if c2.c.Cmp(c.c) == 0 || decrypt(t, sk, c2).Cmp(ms[2]) != 0 {
				t.Fatal("re-randomisation left the ciphertext unchanged or changed its plaintext")
			}
		})
	}
}

// TestOwnerPoolFactorsInSubgroup checks that the factors of an owner's pool
// are distinct elements of the subgroup of order α other than 1.
func TestOwnerPoolFactorsInSubgroup(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk, WithPrivateKey(sk), WithLimit(64))
	alpha := new(big.Int).Mul(sk.alphaP, sk.alphaQ)
	seen := map[string]bool{}
	for i := range 64 {
		f := mustNext(t, pool)
		if f.Cmp(one) <= 0 || f.Cmp(pk.nSquared) >= 0 {
			t.Fatalf("factor %d outside (1, n²)", i)
		}
		if new(big.Int).Exp(f, alpha, pk.nSquared).Cmp(one) != 0 {
			t.Fatalf("factor %d is not in the subgroup of order α", i)
		}
		if seen[f.String()] {
			t.Fatalf("factor %d repeats", i)
		}
		seen[f.String()] = true
	}
}

func TestWithPrivateKeyRejects(t *testing.T) {
	sk, other := testKey(t, 0), testKey(t, 1)
	if _, err := NewRandomness(context.Background(), other.Public(), rand.Reader, WithPrivateKey(sk)); err == nil {
		t.Error("a pool for one key accepted another key's private key")
	}
	wiped, err := GenerateKey(rand.Reader, testBits)
	if err != nil {
		t.Fatal(err)
	}
	wiped.Wipe()
	if _, err := NewRandomness(context.Background(), wiped.Public(), rand.Reader, WithPrivateKey(wiped)); !errors.Is(err, ErrWiped) {
		t.Errorf("pool for a wiped key: %v, want ErrWiped", err)
	}
}

// ownerWords returns every word of secret an owner's pool holds.
func ownerWords(r *Randomness) [][]big.Word {
	o := r.owner
	out := [][]big.Word{o.p.table, o.q.table, o.p.mont.m, o.q.mont.m, o.p.mont.rr, o.q.mont.rr}
	for _, x := range []*big.Int{o.alphaP, o.alphaQ, o.pSquared, o.qSquared, o.qInv} {
		out = append(out, x.Bits()[:cap(x.Bits())])
	}
	return out
}

func allZero(ws [][]big.Word) bool {
	for _, w := range ws {
		for _, x := range w {
			if x != 0 {
				return false
			}
		}
	}
	return true
}

func TestCloseWipesOwnerPool(t *testing.T) {
	sk := testKey(t, 0)
	pool := testPool(t, sk.Public(), WithPrivateKey(sk), WithPoolSize(2))
	mustNext(t, pool)
	words := ownerWords(pool)
	if allZero(words) {
		t.Fatal("owner's tables are zero before Close")
	}
	pool.Close()
	if !allZero(words) {
		t.Error("Close left words of the owner's tables or secrets")
	}
	sk.poolsMu.Lock()
	_, open := sk.pools[pool]
	sk.poolsMu.Unlock()
	if open {
		t.Error("the key still lists a closed pool")
	}
}

// TestFactorsAreInSubgroup checks that pool factors are powers of the key's
// hs, so that f^α = 1 mod n² for α = α_p·α_q (and they are n-th residues,
// leaving the plaintext alone), and that they do not repeat.
func TestFactorsAreInSubgroup(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	pool := testPool(t, pk)
	if pool.ell != ExponentBits(testBits) {
		t.Fatalf("exponent of %d bits, want %d", pool.ell, ExponentBits(testBits))
	}
	alpha := new(big.Int).Mul(sk.alphaP, sk.alphaQ)
	seen := map[string]bool{}
	for i := range 64 {
		f := mustNext(t, pool)
		if f.Sign() <= 0 || f.Cmp(pk.nSquared) >= 0 || f.Cmp(one) == 0 {
			t.Fatalf("factor %d outside (1, n²)", i)
		}
		if new(big.Int).Exp(f, alpha, pk.nSquared).Cmp(one) != 0 {
			t.Fatalf("factor %d is not in the subgroup of order α", i)
		}
		if new(big.Int).Exp(f, sk.lambda, pk.nSquared).Cmp(one) != 0 {
			t.Fatalf("factor %d is not an n-th residue", i)
		}
		if seen[f.String()] {
			t.Fatalf("factor %d repeats", i)
		}
		seen[f.String()] = true
		m := randBelow(t, pk.n)
		c, err := pk.Encrypt(m, f)
		if err != nil {
			t.Fatal(err)
		}
		if got := decrypt(t, sk, c); got.Cmp(m) != 0 {
			t.Fatalf("factor %d: decrypts to %v, want %v", i, got, m)
		}
	}
	// Every pool for a key raises that key's hs.
	other := testPool(t, pk, WithPoolSize(1), WithLimit(1))
	for _, r := range []*Randomness{pool, other} {
		if r.table.exp([]byte{1}).Cmp(pk.hs) != 0 {
			t.Fatal("pool table is not built on the key's hs")
		}
	}
}

func TestRandomnessLimit(t *testing.T) {
	pk := testKey(t, 0).Public()
	pool := testPool(t, pk, WithPoolSize(2), WithLimit(5))
	for range 5 {
		mustNext(t, pool)
	}
	if _, err := pool.Next(context.Background()); !errors.Is(err, ErrExhausted) {
		t.Fatalf("Next after the limit: %v, want ErrExhausted", err)
	}
}

func TestRandomnessClose(t *testing.T) {
	pk := testKey(t, 0).Public()
	pool := testPool(t, pk, WithPoolSize(4))
	mustNext(t, pool)
	pool.Close()
	pool.Close()
	if _, err := pool.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v, want ErrClosed", err)
	}
	if pool.Len() != 0 {
		t.Fatalf("%d factors left after Close", pool.Len())
	}
}

func TestRandomnessParentContext(t *testing.T) {
	pk := testKey(t, 0).Public()
	ctx, cancel := context.WithCancel(context.Background())
	pool, err := NewRandomness(ctx, pk, rand.Reader, WithPoolSize(2), WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	cancel()
	// Factors already made may still be handed out, but no more than the
	// pool and the workers' hands can hold.
	for i := 0; ; i++ {
		_, err := pool.Next(context.Background())
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Next after cancellation: %v, want context.Canceled", err)
			}
			break
		}
		if i > 4 {
			t.Fatal("pool keeps producing after its context was cancelled")
		}
	}
}

// gateReader passes reads to crypto/rand until closed, then blocks them until
// released.
type gateReader struct {
	closed  atomic.Bool
	release chan struct{}
	blocked chan struct{} // receives when a read waits at the closed gate, if not nil
}

func (g *gateReader) Read(b []byte) (int, error) {
	if g.closed.Load() {
		if g.blocked != nil {
			select {
			case g.blocked <- struct{}{}:
			default:
			}
		}
		<-g.release
	}
	return rand.Read(b)
}

func TestNextHonoursContext(t *testing.T) {
	pk := testKey(t, 0).Public()
	gate := &gateReader{release: make(chan struct{}), blocked: make(chan struct{}, 1)}
	pool, err := NewRandomness(context.Background(), pk, gate, WithPoolSize(1), WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	gate.closed.Store(true)
	defer pool.Close()
	defer close(gate.release) // let the blocked worker go before Close waits for it
	// The context ends once the worker waits at the gate: from then on no factor is
	// made. Next hands out what is pooled first (at most the pooled factor and the
	// one being made), then, the pool starved, gives up with its context.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-gate.blocked
		cancel()
	}()
	for i := 0; ; i++ {
		_, err := pool.Next(ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Next on a starved pool: %v, want its context's error", err)
			}
			break
		}
		if i > 2 {
			t.Fatal("starved pool keeps handing out factors")
		}
	}
}

func TestRandomnessReaderFailure(t *testing.T) {
	pk := testKey(t, 0).Public()
	// The pool reads its source only for exponents: a source that fails at
	// once stops the workers before they make a factor.
	pool, err := NewRandomness(context.Background(), pk, failingReader{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Next(context.Background()); !errors.Is(err, errNoEntropy) {
		t.Fatalf("Next on a pool without entropy: %v, want %v", err, errNoEntropy)
	}
	pool.Close()
	// So does the key owner's, which draws its exponents below α_p and α_q.
	sk := testKey(t, 0)
	pool, err = NewRandomness(context.Background(), pk, failingReader{}, WithPrivateKey(sk))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Next(context.Background()); !errors.Is(err, errNoEntropy) {
		t.Fatalf("Next on an owner's pool without entropy: %v, want %v", err, errNoEntropy)
	}
	pool.Close()
	// A source that fails later stops them once it does.
	r := &countingReader{left: int64(ExponentBits(pk.Bits())/8) * 64}
	pool, err = NewRandomness(context.Background(), pk, r, WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for i := 0; ; i++ {
		_, err := pool.Next(context.Background())
		if err != nil {
			if !errors.Is(err, errSourceExhausted) {
				t.Fatalf("Next after the source failed: %v", err)
			}
			break
		}
		if i > 1000 {
			t.Fatal("pool outlived its source of randomness")
		}
	}
}

var errSourceExhausted = errors.New("source exhausted")

// countingReader reads from crypto/rand until left bytes are used up, then fails.
type countingReader struct{ left int64 }

func (c *countingReader) Read(b []byte) (int, error) {
	if c.left < int64(len(b)) {
		return 0, errSourceExhausted
	}
	c.left -= int64(len(b))
	return rand.Read(b)
}

func TestNewRandomnessRejectsOptions(t *testing.T) {
	pk := testKey(t, 0).Public()
	for name, opt := range map[string]RandomnessOption{"pool size 0": WithPoolSize(0), "no workers": WithWorkers(0)} {
		if _, err := NewRandomness(context.Background(), pk, rand.Reader, opt); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewRandomness(ctx, pk, rand.Reader); !errors.Is(err, context.Canceled) {
		t.Errorf("NewRandomness with a cancelled context: %v", err)
	}
}

// TestUniformPool checks that a pool made WithUniform draws exponents of
// UniformExponentBits and that its factors re-randomise ciphertexts the key
// owner still decrypts.
func TestUniformPool(t *testing.T) {
	sk := testKey(t, 0)
	pk := sk.Public()
	r := testPool(t, pk, WithUniform(), WithLimit(4))
	if r.ell != UniformExponentBits(pk.Bits()) || r.ell <= ExponentBits(pk.Bits()) {
		t.Fatalf("uniform pool draws %d-bit exponents, want %d", r.ell, UniformExponentBits(pk.Bits()))
	}
	short := testPool(t, pk)
	m := randBelow(t, pk.n)
	c := encrypt(t, pk, short, m)
	for range 4 {
		f, err := r.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		c2 := pk.Rerandomize(c, f)
		if c2.c.Cmp(c.c) == 0 {
			t.Fatal("re-randomisation left the ciphertext unchanged")
		}
		if got := decrypt(t, sk, c2); got.Cmp(m) != 0 {
			t.Fatalf("decrypts to %v, want %v", got, m)
		}
	}
}
