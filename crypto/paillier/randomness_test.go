package paillier

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"sync/atomic"
	"testing"
	"time"
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
	pk := testKey(t, 0).Public()
	base, err := randomUnit(rand.Reader, pk.nSquared)
	if err != nil {
		t.Fatal(err)
	}
	const bits = 130 // not a multiple of any window
	for _, w := range []int{1, 6, 8} {
		tab, err := newFixedBase(context.Background(), base, pk.nSquared, bits, w)
		if err != nil {
			t.Fatal(err)
		}
		max := new(big.Int).Sub(new(big.Int).Lsh(one, bits), one)
		for _, e := range []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(255), max, randBelow(t, max), randBelow(t, max)} {
			want := new(big.Int).Exp(base, e, pk.nSquared)
			if got := tab.exp(e.FillBytes(make([]byte, (bits+7)/8))); got.Cmp(want) != 0 {
				t.Fatalf("window %d, exponent %v: table gives a different power", w, e)
			}
		}
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
}

func (g *gateReader) Read(b []byte) (int, error) {
	if g.closed.Load() {
		<-g.release
	}
	return rand.Read(b)
}

func TestNextHonoursContext(t *testing.T) {
	pk := testKey(t, 0).Public()
	gate := &gateReader{release: make(chan struct{})}
	pool, err := NewRandomness(context.Background(), pk, gate, WithPoolSize(1), WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	gate.closed.Store(true)
	defer pool.Close()
	defer close(gate.release) // let the blocked worker go before Close waits for it
	// At most the pooled factor and the one being made come out; then the
	// pool is starved and Next must give up when its context does.
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_, err := pool.Next(ctx)
		cancel()
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Next on a starved pool: %v, want context.DeadlineExceeded", err)
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
