package mpc

import (
	"context"
	"crypto/rand"
	"math"
	"math/big"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/crypto/shamir"
	"github.com/triad-mpc/triad/protocol"
)

// run3 runs f for the three parties over an in-memory network and returns their
// results in party order.
func run3[T any](t *testing.T, f func(ctx context.Context, e *Engine, party int) (T, error), opts ...protocol.MemOption) [3]T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	net := protocol.NewMemNetwork(opts...)
	defer net.Close()
	out, err := RunLocal(ctx, net, rand.Reader, func(ctx context.Context, e *Engine, r protocol.Role) (T, error) {
		return f(ctx, e, int(r))
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// deal shares integers among the three parties.
func deal(t *testing.T, xs []*big.Int) [3]fr.Vector {
	t.Helper()
	v := make(fr.Vector, len(xs))
	for i, x := range xs {
		v[i] = shamir.FromBig(x)
	}
	s, err := shamir.Share(rand.Reader, v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// reveal reconstructs shares of degree 1 and checks that every pair agrees.
func reveal(t *testing.T, s [3]fr.Vector) []*big.Int {
	t.Helper()
	a, err := shamir.Reconstruct(0, 1, s[0], s[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := shamir.Reconstruct(1, 2, s[1], s[2])
	if !a.Equal(b) {
		t.Fatal("shares are not on a line: parties 0,1 and 1,2 reconstruct different values")
	}
	return Signed(a)
}

func ints(xs ...int64) []*big.Int {
	out := make([]*big.Int, len(xs))
	for i, x := range xs {
		out[i] = big.NewInt(x)
	}
	return out
}

// randInts returns n random integers with |x| < 2^(bits-1), with the extremes and
// zero among them. Test inputs only.
func randInts(rng *mrand.Rand, n, bits int) []*big.Int {
	lim := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	max := new(big.Int).Sub(lim, big.NewInt(1))
	out := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(-1), new(big.Int).Set(max), new(big.Int).Neg(max)}
	for len(out) < n {
		x := new(big.Int)
		for range (bits + 63) / 64 {
			x.Lsh(x, 64)
			x.Or(x, new(big.Int).SetUint64(rng.Uint64()))
		}
		x.Mod(x, lim)
		if rng.IntN(2) == 0 {
			x.Neg(x)
		}
		out = append(out, x)
	}
	return out[:n]
}

func TestOpenAndLinear(t *testing.T) {
	xs := ints(0, 1, -1, 123456789, -987654321)
	ys := ints(5, -5, 7, 0, 1<<62)
	sx, sy := deal(t, xs), deal(t, ys)
	res := run3(t, func(ctx context.Context, e *Engine, i int) (fr.Vector, error) {
		z := Sub(Scale(sx[i], 3), sy[i])
		z = AddConst(z, big.NewInt(-10))
		return e.Open(ctx, z)
	})
	for k := range xs {
		want := new(big.Int).Mul(xs[k], big.NewInt(3))
		want.Sub(want, ys[k])
		want.Sub(want, big.NewInt(10))
		for i := range res {
			if got := Signed(res[i])[k]; got.Cmp(want) != 0 {
				t.Errorf("party %d opened %s, want %s", i, got, want)
			}
		}
	}
}

func TestMulDotsReduce(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	xs, ys := randInts(rng, 40, 100), randInts(rng, 40, 100)
	sx, sy := deal(t, xs), deal(t, ys)
	type out struct{ prod, dot, mv fr.Vector }
	res := run3(t, func(ctx context.Context, e *Engine, i int) (out, error) {
		b := e.NewBatch()
		p := b.Mul(sx[i], sy[i])
		d := b.Dots([]fr.Vector{sx[i], sx[i][:10]}, []fr.Vector{sy[i], sy[i][30:]})
		// A 4x10 matrix from x times the first 10 of y.
		rows := []fr.Vector{sx[i][:10], sx[i][10:20], sx[i][20:30], sx[i][30:]}
		m := b.Reduce(LocalMatVec(rows, sy[i][:10]))
		if err := b.Run(ctx); err != nil {
			return out{}, err
		}
		if e.Rounds() != 2 { // key setup and this batch
			t.Errorf("party %d: %d rounds, want 2", i, e.Rounds())
		}
		return out{p.Value(), d.Value(), m.Value()}, nil
	})
	get := func(f func(out) fr.Vector) []*big.Int {
		return reveal(t, [3]fr.Vector{f(res[0]), f(res[1]), f(res[2])})
	}
	prod := get(func(o out) fr.Vector { return o.prod })
	for k := range xs {
		if want := new(big.Int).Mul(xs[k], ys[k]); prod[k].Cmp(want) != 0 {
			t.Errorf("product %d = %s, want %s", k, prod[k], want)
		}
	}
	dot := func(a, b []*big.Int) *big.Int {
		s := new(big.Int)
		for k := range a {
			s.Add(s, new(big.Int).Mul(a[k], b[k]))
		}
		return s
	}
	d := get(func(o out) fr.Vector { return o.dot })
	if d[0].Cmp(dot(xs, ys)) != 0 || d[1].Cmp(dot(xs[:10], ys[30:])) != 0 {
		t.Error("inner products wrong")
	}
	mv := get(func(o out) fr.Vector { return o.mv })
	for r := range 4 {
		if mv[r].Cmp(dot(xs[10*r:10*r+10], ys[:10])) != 0 {
			t.Errorf("matrix-vector row %d wrong", r)
		}
	}
}

func TestTrunc(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(3, 4))
	const bits, shift = 120, 50
	xs := randInts(rng, 200, bits)
	sx := deal(t, xs)
	res := run3(t, func(ctx context.Context, e *Engine, i int) (fr.Vector, error) {
		return e.Trunc(ctx, sx[i], shift, bits)
	})
	got := reveal(t, res)
	for k, x := range xs {
		// |got - x/2^shift| < 2
		diff := new(big.Int).Lsh(got[k], shift)
		diff.Sub(diff, x)
		diff.Abs(diff)
		if diff.Cmp(new(big.Int).Lsh(big.NewInt(2), shift)) >= 0 {
			t.Errorf("Trunc(%s) = %s: off by %s/2^%d", x, got[k], diff, shift)
		}
	}
}

// TestTruncUnbiased checks that truncation rounds in proportion to the remainder:
// 64 truncated by 8 bits many times averages 1/4, and -192 averages -3/4.
func TestTruncUnbiased(t *testing.T) {
	const n = 4000
	for _, c := range []struct{ x, want float64 }{{64, 0.25}, {-192, -0.75}, {384, 1.5}} {
		xs := make([]*big.Int, n)
		for k := range xs {
			xs[k] = big.NewInt(int64(c.x))
		}
		sx := deal(t, xs)
		res := run3(t, func(ctx context.Context, e *Engine, i int) (fr.Vector, error) {
			return e.Trunc(ctx, sx[i], 8, 16)
		})
		var sum float64
		for _, g := range reveal(t, res) {
			sum += float64(g.Int64())
		}
		// Standard deviation of one result is below 1: the mean's is below 1/sqrt(n).
		if mean := sum / n; mean < c.want-0.08 || mean > c.want+0.08 {
			t.Errorf("mean of Trunc(%v, 8) = %.3f, want %.3f", c.x, mean, c.want)
		}
	}
}

func TestMulTruncFixedPoint(t *testing.T) {
	const f = 32
	vals := [][2]float64{{1.5, -2.25}, {-0.001, 0.002}, {12345.678, 0.5}, {0, 3}, {-7.5, -7.5}}
	enc := func(v float64) *big.Int {
		x, _ := new(big.Float).SetFloat64(v * (1 << f)).Int(nil)
		return x
	}
	var xs, ys []*big.Int
	for _, v := range vals {
		xs, ys = append(xs, enc(v[0])), append(ys, enc(v[1]))
	}
	sx, sy := deal(t, xs), deal(t, ys)
	res := run3(t, func(ctx context.Context, e *Engine, i int) (fr.Vector, error) {
		return e.MulTrunc(ctx, sx[i], sy[i], f, 2*f+20)
	})
	for k, g := range reveal(t, res) {
		got, _ := new(big.Float).SetInt(g).Float64()
		got /= 1 << f
		want := vals[k][0] * vals[k][1]
		if d := got - want; d > 3.0/(1<<f) || d < -3.0/(1<<f) {
			t.Errorf("%v·%v = %v, want %v", vals[k][0], vals[k][1], got, want)
		}
	}
}

func TestRandomAndBits(t *testing.T) {
	const n = 2000
	type out struct{ r, bits fr.Vector }
	res := run3(t, func(ctx context.Context, e *Engine, i int) (out, error) {
		bits, err := e.RandomBits(ctx, n)
		return out{e.Random(8), bits}, err
	})
	r := reveal(t, [3]fr.Vector{res[0].r, res[1].r, res[2].r})
	seen := map[string]bool{}
	for _, x := range r {
		if seen[x.String()] {
			t.Error("repeated random field element")
		}
		seen[x.String()] = true
	}
	bits := reveal(t, [3]fr.Vector{res[0].bits, res[1].bits, res[2].bits})
	ones := 0
	for _, b := range bits {
		if !b.IsInt64() || (b.Int64() != 0 && b.Int64() != 1) {
			t.Fatalf("random bit is %s", b)
		}
		ones += int(b.Int64())
	}
	// Binomial(2000, 1/2): standard deviation 22.
	if ones < n/2-150 || ones > n/2+150 {
		t.Errorf("%d ones among %d random bits", ones, n)
	}
}

func TestCompare(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(5, 6))
	xs := append(randInts(rng, 60, 54), randInts(rng, 20, 8)...)
	ys := randInts(rng, 30, 130)
	sx, sy := deal(t, xs), deal(t, ys)
	type out struct {
		negx, minx, negy fr.Vector
		rounds           int
	}
	res := run3(t, func(ctx context.Context, e *Engine, i int) (out, error) {
		cx := &Comparison{X: sx[i], Bits: 54, WithMin: true}
		cy := &Comparison{X: sy[i], Bits: 130}
		r0 := e.Rounds() // a fresh engine: no preprocessing beforehand
		err := e.Compare(ctx, cx, cy)
		return out{cx.Neg, cx.Min, cy.Neg, e.Rounds() - r0}, err
	})
	if res[0].rounds != 3 {
		t.Errorf("comparison on a fresh engine took %d rounds, want 3", res[0].rounds)
	}
	check := func(name string, vals []*big.Int, neg, min []*big.Int) {
		for k, x := range vals {
			want := int64(0)
			if x.Sign() < 0 {
				want = 1
			}
			if !neg[k].IsInt64() || neg[k].Int64() != want {
				t.Errorf("%s: [%s < 0] = %s", name, x, neg[k])
			}
			if min != nil {
				wantMin := new(big.Int)
				if x.Sign() < 0 {
					wantMin.Set(x)
				}
				if min[k].Cmp(wantMin) != 0 {
					t.Errorf("%s: min(%s, 0) = %s", name, x, min[k])
				}
			}
		}
	}
	g := func(f func(out) fr.Vector) []*big.Int {
		return reveal(t, [3]fr.Vector{f(res[0]), f(res[1]), f(res[2])})
	}
	check("x", xs, g(func(o out) fr.Vector { return o.negx }), g(func(o out) fr.Vector { return o.minx }))
	check("y", ys, g(func(o out) fr.Vector { return o.negy }), nil)
}

func TestBitDecAndNormalize(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(7, 8))
	const bits = 70
	var xs []*big.Int
	for _, x := range randInts(rng, 40, bits+1) {
		xs = append(xs, x.Abs(x))
	}
	xs = append(xs, big.NewInt(1), big.NewInt(2), big.NewInt(3), new(big.Int).Lsh(big.NewInt(1), bits-1))
	sx := deal(t, xs)
	type out struct {
		bits []fr.Vector
		nm   *Norm
	}
	res := run3(t, func(ctx context.Context, e *Engine, i int) (out, error) {
		b, err := e.BitDec(ctx, sx[i], bits)
		if err != nil {
			return out{}, err
		}
		nm, err := e.Normalize(ctx, sx[i], bits)
		return out{b, nm}, err
	})
	for j := range bits {
		got := reveal(t, [3]fr.Vector{res[0].bits[j], res[1].bits[j], res[2].bits[j]})
		for k, x := range xs {
			if want := int64(x.Bit(j)); got[k].Int64() != want || !got[k].IsInt64() {
				t.Errorf("bit %d of %s = %s", j, x, got[k])
			}
		}
	}
	for tb := range bits {
		got := reveal(t, [3]fr.Vector{res[0].nm.OneHot[tb], res[1].nm.OneHot[tb], res[2].nm.OneHot[tb]})
		for k, x := range xs {
			want := int64(0)
			if x.BitLen()-1 == tb {
				want = 1
			}
			if got[k].Int64() != want || !got[k].IsInt64() {
				t.Errorf("top-bit indicator %d of %s = %s", tb, x, got[k])
			}
		}
	}
	// Combine evaluates public functions of the bit length.
	var comb [3]fr.Vector
	for i := range comb {
		comb[i] = res[i].nm.Combine(func(t int) *big.Int { return big.NewInt(int64(1000 + t)) })
	}
	for k, g := range reveal(t, comb) {
		want := int64(1000 + xs[k].BitLen() - 1)
		if xs[k].Sign() == 0 {
			want = 0 // no bit set: every indicator is 0
		}
		if g.Int64() != want {
			t.Errorf("Combine for %s = %s, want %d", xs[k], g, want)
		}
	}
}

func fixed(v float64, f int) *big.Int { return floatInt(v, f) }

func toFloat(x *big.Int, f int) float64 {
	v, _ := new(big.Float).SetMantExp(new(big.Float).SetInt(x), -f).Float64()
	return v
}

func TestInvSqrtAndReciprocal(t *testing.T) {
	const f = 32
	vals := []float64{1, 2, 0.25, 3.999, 1e-6, 5e-9, 12345.678, 1e12, 0.7, math.Ldexp(1, -f)}
	var xs []*big.Int
	for _, v := range vals {
		xs = append(xs, fixed(v, f))
	}
	const bits = 80 // values below 2^(80-32)
	sx := deal(t, xs)
	type out struct{ isq, rec fr.Vector }
	res := run3(t, func(ctx context.Context, e *Engine, i int) (out, error) {
		a, err := e.InvSqrt(ctx, sx[i], f, bits)
		if err != nil {
			return out{}, err
		}
		b, err := e.Reciprocal(ctx, sx[i], f, bits)
		return out{a, b}, err
	})
	isq := reveal(t, [3]fr.Vector{res[0].isq, res[1].isq, res[2].isq})
	rec := reveal(t, [3]fr.Vector{res[0].rec, res[1].rec, res[2].rec})
	for k, v := range vals {
		x := toFloat(xs[k], f) // the encoded value
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"1/sqrt", toFloat(isq[k], f), 1 / math.Sqrt(x)},
			{"1/x", toFloat(rec[k], f), 1 / x},
		} {
			// Within 1e-8 relative, or a few units of 2^-f absolute.
			if d := math.Abs(c.got - c.want); d > 1e-8*math.Abs(c.want) && d > 8*math.Ldexp(1, -f) {
				t.Errorf("%s(%g) = %.12g, want %.12g", c.name, v, c.got, c.want)
			}
		}
	}
}

func TestNormalNewton(t *testing.T) {
	for _, f := range []int{16, 24, 33, 40} {
		var vals []float64
		for v := 0.25; v < 1; v += 0.0371 {
			vals = append(vals, v)
		}
		vals = append(vals, math.Nextafter(1, 0))
		var xs []*big.Int
		for _, v := range vals {
			xs = append(xs, fixed(v, f))
		}
		sx := deal(t, xs)
		type out struct{ isq, rec fr.Vector }
		res := run3(t, func(ctx context.Context, e *Engine, i int) (out, error) {
			a, err := e.InvSqrtNormal(ctx, sx[i], f)
			if err != nil {
				return out{}, err
			}
			// The reciprocal's range is [1/2, 1): use the upper part.
			b, err := e.ReciprocalNormal(ctx, sx[i][len(xs)/2:], f)
			return out{a, b}, err
		})
		isq := reveal(t, [3]fr.Vector{res[0].isq, res[1].isq, res[2].isq})
		rec := reveal(t, [3]fr.Vector{res[0].rec, res[1].rec, res[2].rec})
		tol := 8 * math.Ldexp(1, -f)
		for k := range vals {
			x := toFloat(xs[k], f)
			if d := toFloat(isq[k], f) - 1/math.Sqrt(x); math.Abs(d) > tol {
				t.Errorf("f=%d: 1/sqrt(%g) off by %g", f, x, d)
			}
			if k >= len(xs)/2 {
				if d := toFloat(rec[k-len(xs)/2], f) - 1/x; math.Abs(d) > tol {
					t.Errorf("f=%d: 1/%g off by %g", f, x, d)
				}
			}
		}
	}
}

// TestWireCarriesNoSecrets records every message and checks that no 32-byte element
// on the wire equals a secret input or a secret intermediate value.
func TestWireCarriesNoSecrets(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(9, 10))
	xs, ys := randInts(rng, 30, 40), randInts(rng, 30, 40)
	var secrets []*big.Int
	secrets = append(secrets, xs...)
	secrets = append(secrets, ys...)
	for k := range xs {
		p := new(big.Int).Mul(xs[k], ys[k])
		secrets = append(secrets, p, new(big.Int).Rsh(p, 7), new(big.Int).Rsh(p, 10))
		secrets = append(secrets, new(big.Int).Add(new(big.Int).Rsh(p, 10), big.NewInt(1)))
	}
	forbidden := map[[fr.Bytes]byte]bool{}
	for _, s := range secrets {
		if s.BitLen() < 4 {
			continue // tiny values such as 0 and ±1 occur as protocol constants
		}
		e := shamir.FromBig(s)
		var b [fr.Bytes]byte
		encode(b[:], fr.Vector{e})
		forbidden[b] = true
	}
	var mu sync.Mutex
	var leaks, elements int
	tap := protocol.WithTap(func(from, to protocol.Role, msg []byte) {
		mu.Lock()
		defer mu.Unlock()
		for i := 0; i+fr.Bytes <= len(msg); i += fr.Bytes {
			elements++
			if forbidden[[fr.Bytes]byte(msg[i:i+fr.Bytes])] {
				leaks++
			}
		}
	})
	sx, sy := deal(t, xs), deal(t, ys)
	run3(t, func(ctx context.Context, e *Engine, i int) (fr.Vector, error) {
		p, err := e.Mul(ctx, sx[i], sy[i])
		if err != nil {
			return nil, err
		}
		if _, err := e.MulTrunc(ctx, sx[i], sy[i], 10, 82); err != nil {
			return nil, err
		}
		if _, _, err = e.MinZero(ctx, p, 82); err != nil {
			return nil, err
		}
		if _, err := e.Floor(ctx, p, 7, 82); err != nil {
			return nil, err
		}
		c := &Comparison{X: LocalMul(sx[i], sy[i]), Bits: 82, Shift: 10, WithMin: true}
		return nil, e.Compare(ctx, c)
	}, tap)
	if elements < 1000 {
		t.Fatalf("tap saw only %d elements", elements)
	}
	if leaks > 0 {
		t.Errorf("%d secret values crossed the wire in the clear", leaks)
	}
}

func TestLargeBatchIsSplit(t *testing.T) {
	n := protocol.MaxMessage/fr.Bytes + 1000 // more than one message's worth
	x := make([]*big.Int, n)
	for k := range x {
		x[k] = big.NewInt(int64(k - n/2))
	}
	sx := deal(t, x)
	res := run3(t, func(ctx context.Context, e *Engine, i int) (fr.Vector, error) {
		o, err := e.Open(ctx, sx[i])
		if err == nil && e.Rounds() != 2 {
			t.Errorf("a split batch counted %d rounds", e.Rounds()-1)
		}
		return o, err
	})
	for k, v := range Signed(res[1]) {
		if v.Int64() != int64(k-n/2) {
			t.Fatalf("element %d opened as %s", k, v)
		}
	}
}

func TestClosedNetwork(t *testing.T) {
	// Two of the three parties start; closing the network must end their wait.
	net := protocol.NewMemNetwork()
	errs := make(chan error, 2)
	for _, r := range []protocol.Role{protocol.ControllerA, protocol.ControllerB} {
		go func() {
			_, err := New(context.Background(), net.Transport(r), rand.Reader)
			errs <- err
		}()
	}
	time.Sleep(20 * time.Millisecond)
	net.Close()
	for range 2 {
		if err := <-errs; err == nil {
			t.Error("engine setup succeeded with a party missing")
		}
	}
}

func TestFloorIsExact(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(13, 14))
	const bits, shift = 100, 37
	xs := append(randInts(rng, 50, bits), big.NewInt(0), new(big.Int).Lsh(big.NewInt(1), shift), big.NewInt(-1))
	sx := deal(t, xs)
	res := run3(t, func(ctx context.Context, e *Engine, i int) (fr.Vector, error) {
		return e.Floor(ctx, sx[i], shift, bits)
	})
	for k, g := range reveal(t, res) {
		// big.Int.Rsh rounds towards minus infinity: floor.
		if want := new(big.Int).Rsh(xs[k], shift); g.Cmp(want) != 0 {
			t.Errorf("floor(%s / 2^%d) = %s, want %s", xs[k], shift, g, want)
		}
	}
}

// TestCompareEdges compares every value of small bounds, where the mask's low bits
// equal the target often enough that every branch of the equality tests runs, and
// values next to the bounds and to zero of large ones.
func TestCompareEdges(t *testing.T) {
	var groups [][]*big.Int
	bounds := []int{2, 3, 4, 6, 50, 130, FieldBits - Kappa - 3}
	for _, bits := range bounds {
		var xs []*big.Int
		lim := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
		if bits <= 6 {
			for x := -lim.Int64() + 1; x < lim.Int64(); x++ {
				for range 8 { // many masks per value
					xs = append(xs, big.NewInt(x))
				}
			}
		} else {
			top := new(big.Int).Sub(lim, big.NewInt(1))
			for _, d := range []int64{0, 1, 2, 3} {
				xs = append(xs, new(big.Int).Sub(top, big.NewInt(d)), new(big.Int).Neg(new(big.Int).Sub(top, big.NewInt(d))))
			}
			for _, x := range []int64{0, 1, -1, 2, -2} {
				xs = append(xs, big.NewInt(x))
			}
			for _, k := range []int{1, bits / 2, bits - 2} {
				p := new(big.Int).Lsh(big.NewInt(1), uint(k))
				for _, d := range []int64{-1, 0, 1} {
					v := new(big.Int).Add(p, big.NewInt(d))
					xs = append(xs, v, new(big.Int).Neg(v))
				}
			}
		}
		groups = append(groups, xs)
	}
	shares := make([][3]fr.Vector, len(groups))
	for k, xs := range groups {
		shares[k] = deal(t, xs)
	}
	res := run3(t, func(ctx context.Context, e *Engine, i int) ([]fr.Vector, error) {
		var cs []*Comparison
		for k := range groups {
			cs = append(cs, &Comparison{X: shares[k][i], Bits: bounds[k], WithMin: true})
		}
		if err := e.Compare(ctx, cs...); err != nil {
			return nil, err
		}
		var out []fr.Vector
		for _, c := range cs {
			out = append(out, c.Neg, c.Min)
		}
		return out, nil
	})
	for k, xs := range groups {
		neg := reveal(t, [3]fr.Vector{res[0][2*k], res[1][2*k], res[2][2*k]})
		mins := reveal(t, [3]fr.Vector{res[0][2*k+1], res[1][2*k+1], res[2][2*k+1]})
		for j, x := range xs {
			want, wantMin := int64(0), new(big.Int)
			if x.Sign() < 0 {
				want, wantMin = 1, x
			}
			if !neg[j].IsInt64() || neg[j].Int64() != want {
				t.Errorf("%d bits: [%s < 0] = %s", bounds[k], x, neg[j])
			}
			if mins[j].Cmp(wantMin) != 0 {
				t.Errorf("%d bits: min(%s, 0) = %s", bounds[k], x, mins[j])
			}
		}
	}
}

// TestCompareShift rescales degree-2 products and compares them in the rounds of one
// comparison, which start in a Batch holding another opening.
func TestCompareShift(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(15, 16))
	const shift, bits = 40, 100
	// x·y with |x·y| < 2^(bits-1): x of 60 bits and y of 40.
	xs, ys := randInts(rng, 80, 60), randInts(rng, 80, 40)
	// Products next to multiples of 2^shift and to zero.
	for _, v := range []int64{0, 1, -1, 1 << 20, -(1 << 20), 3 << 30, -(3 << 30)} {
		xs = append(xs, big.NewInt(v))
		ys = append(ys, big.NewInt(1<<39-1))
		xs = append(xs, big.NewInt(v+1<<39))
		ys = append(ys, big.NewInt(2))
	}
	sx, sy := deal(t, xs), deal(t, ys)
	opened := deal(t, ints(12345))
	type out struct {
		neg, min, trunc, open fr.Vector
		rounds                int
	}
	res := run3(t, func(ctx context.Context, e *Engine, i int) (out, error) {
		r0 := e.Rounds()
		b := e.NewBatch()
		op := b.Open(opened[i])
		c := &Comparison{X: LocalMul(sx[i], sy[i]), Bits: bits, Shift: shift, WithMin: true}
		b.Compare(c)
		if err := b.Run(ctx); err != nil {
			return out{}, err
		}
		return out{c.Neg, c.Min, c.Trunc, op.Value(), e.Rounds() - r0}, nil
	})
	if res[0].rounds != 3 {
		t.Errorf("a shifted comparison with an opening took %d rounds, want 3", res[0].rounds)
	}
	if v := Signed(res[2].open)[0]; v.Int64() != 12345 {
		t.Errorf("opening in the comparison's first round gave %s", v)
	}
	g := func(f func(out) fr.Vector) []*big.Int {
		return reveal(t, [3]fr.Vector{f(res[0]), f(res[1]), f(res[2])})
	}
	neg, mins, trunc := g(func(o out) fr.Vector { return o.neg }), g(func(o out) fr.Vector { return o.min }), g(func(o out) fr.Vector { return o.trunc })
	for k := range xs {
		p := new(big.Int).Mul(xs[k], ys[k])
		lo := new(big.Int).Rsh(p, shift) // floor
		if d := new(big.Int).Sub(trunc[k], lo); d.Sign() < 0 || d.Cmp(big.NewInt(1)) > 0 {
			t.Errorf("%s / 2^%d rounded to %s, want %s or one more", p, shift, trunc[k], lo)
		}
		if exact := new(big.Int).Lsh(lo, shift).Cmp(p) == 0; exact && trunc[k].Cmp(lo) != 0 {
			t.Errorf("%s is a multiple of 2^%d but rounded to %s", p, shift, trunc[k])
		}
		want, wantMin := int64(0), new(big.Int)
		if trunc[k].Sign() < 0 {
			want, wantMin = 1, trunc[k]
		}
		if neg[k].Int64() != want || !neg[k].IsInt64() {
			t.Errorf("[%s < 0] = %s", trunc[k], neg[k])
		}
		if mins[k].Cmp(wantMin) != 0 {
			t.Errorf("min(%s, 0) = %s", trunc[k], mins[k])
		}
	}
}

// TestCompareShiftUnbiased checks that the rounding of a shifted comparison goes up
// in proportion to the remainder.
func TestCompareShiftUnbiased(t *testing.T) {
	const n, shift = 4000, 8
	xs := make([]*big.Int, n)
	for k := range xs {
		xs[k] = big.NewInt(64) // 0.25 in units of 2^shift
	}
	sx := deal(t, xs)
	res := run3(t, func(ctx context.Context, e *Engine, i int) (fr.Vector, error) {
		c := &Comparison{X: sx[i], Bits: 20, Shift: shift}
		err := e.Compare(ctx, c)
		return c.Trunc, err
	})
	ups := 0
	for _, v := range reveal(t, res) {
		switch v.Int64() {
		case 1:
			ups++
		case 0:
		default:
			t.Fatalf("0.25 rounded to %s", v)
		}
	}
	// Binomial(4000, 1/4): standard deviation 27.
	if ups < n/4-150 || ups > n/4+150 {
		t.Errorf("0.25 rounded up %d times in %d", ups, n)
	}
}

// TestMaskBounds checks the statistical masking of comparisons: the part of the mask
// that A (or B) does not know is uniform on at least bound + Kappa bits, H's mask
// has the structure the protocol relies on (shared pieces reconstruct to it), and
// the masked value stays below the field's modulus.
func TestMaskBounds(t *testing.T) {
	type params struct{ bits, shift int }
	cases := []params{{2, 0}, {50, 0}, {114, 64}, {171, 0}, {FieldBits - Kappa - 3, 0}, {FieldBits - Kappa - 3, 100}}
	for _, p := range cases {
		g, err := comparisonGroup(&Comparison{Bits: p.bits, Shift: p.shift})
		if err != nil {
			t.Fatal(err)
		}
		// a = x + 2^top < 2^(top+1); unknown to A: r_lo (s bits), r” (m), ρ_B.
		if unknown := g.s + g.m + g.hiBits; unknown < g.top+1+Kappa {
			t.Errorf("%d bits shifted by %d: %d mask bits for a %d-bit value", p.bits, p.shift, unknown, g.top+1)
		}
		if g.top+Kappa+3 > FieldBits {
			t.Errorf("%d bits: c may reach 2^%d", p.bits, g.top+Kappa+3)
		}
		if (p.shift == 0 && g.top != p.bits-1) || (p.shift > 0 && g.top != p.bits) {
			t.Errorf("%d bits shifted by %d: top bit %d", p.bits, p.shift, g.top)
		}
	}
	if _, err := comparisonGroup(&Comparison{Bits: FieldBits - Kappa - 2}); err == nil {
		t.Error("a comparison beyond the field's budget was accepted")
	}

	// Draw the masks of 30 elements in the three engines and check them against
	// each other.
	const n, bits, shift = 30, 80, 20
	type draw struct {
		r, rhi, rmid, toB fr.Vector
		maskBits          [][]byte
	}
	res := run3(t, func(ctx context.Context, e *Engine, i int) (draw, error) {
		g, err := comparisonGroup(&Comparison{X: make(fr.Vector, n), Bits: bits, Shift: shift})
		if err != nil {
			return draw{}, err
		}
		e.drawMasks(g)
		return draw{g.r, g.rhi, g.rmid, g.toB, g.maskBits}, nil
	})
	g, _ := comparisonGroup(&Comparison{Bits: bits, Shift: shift})
	rhi := reveal(t, [3]fr.Vector{res[0].rhi, res[1].rhi, res[2].rhi})
	for i := range n { // B's share of r” is sent in the first round
		res[(i+2)%3].rmid[i] = res[i%3].toB[i]
	}
	rmid := reveal(t, [3]fr.Vector{res[0].rmid, res[1].rmid, res[2].rmid})
	tops := 0
	for i := range n {
		h, a, b := i%3, (i+1)%3, (i+2)%3
		r := res[h].r[i].BigInt(new(big.Int))
		if r.BitLen() > g.top+Kappa+2 {
			t.Errorf("mask of %d bits", r.BitLen())
		}
		if r.BitLen() > g.top+Kappa {
			tops++
		}
		for j := range g.m {
			if res[h].maskBits[i][j] != res[a].maskBits[i][j]^res[b].maskBits[i][j] || r.Bit(shift+j) != uint(res[h].maskBits[i][j]) {
				t.Fatalf("element %d: bit %d of r” is not a ⊕ b", i, j)
			}
		}
		hi := new(big.Int).Rsh(r, uint(shift+g.m))
		if hi.Cmp(rhi[i]) != 0 {
			t.Errorf("element %d: r' shares reconstruct to %s, mask has %s", i, rhi[i], hi)
		}
		mid := new(big.Int).Rsh(r, shift)
		mid.Sub(mid, new(big.Int).Lsh(hi, uint(g.m)))
		if mid.Cmp(rmid[i]) != 0 {
			t.Errorf("element %d: r” shares reconstruct to %s, mask has %s", i, rmid[i], mid)
		}
	}
	// ρ_A + ρ_B has Kappa+2 bits at most and more than Kappa+1 often.
	if tops == 0 {
		t.Error("no mask reached its top bits: the masks are too short")
	}
}

// TestStopIf abandons comparisons after their first round on an opened value, and
// checks that the engines stay in step for the next comparison.
func TestStopIf(t *testing.T) {
	xs := ints(5, -7, 0, 123456, -1)
	sx, flag := deal(t, xs), deal(t, ints(1))
	type out struct {
		stopped     fr.Vector
		rounds      int
		neg         fr.Vector
		roundsAfter int
	}
	res := run3(t, func(ctx context.Context, e *Engine, i int) (out, error) {
		r0 := e.Rounds()
		b := e.NewBatch()
		f := b.Open(flag[i])
		c := &Comparison{X: sx[i], Bits: 40}
		b.Compare(c)
		b.StopIf(func() bool { return f.Value()[0].IsOne() })
		if err := b.Run(ctx); err != nil {
			return out{}, err
		}
		o := out{stopped: c.Neg, rounds: e.Rounds() - r0}
		r1 := e.Rounds()
		neg, err := e.LTZ(ctx, sx[i], 40)
		o.neg, o.roundsAfter = neg, e.Rounds()-r1
		return o, err
	})
	if res[0].rounds != 1 || res[0].stopped != nil {
		t.Errorf("stopped comparison took %d rounds and gave %v", res[0].rounds, res[0].stopped)
	}
	if res[0].roundsAfter != 3 {
		t.Errorf("comparison after a stopped one took %d rounds", res[0].roundsAfter)
	}
	for k, v := range reveal(t, [3]fr.Vector{res[0].neg, res[1].neg, res[2].neg}) {
		if want := int64(map[bool]int{true: 1}[xs[k].Sign() < 0]); v.Int64() != want {
			t.Errorf("[%s < 0] = %s after a stopped comparison", xs[k], v)
		}
	}
}

// TestCompareShiftSmall rescales and compares every value of small bounds, many
// times each, up to the largest shift the bound allows.
func TestCompareShiftSmall(t *testing.T) {
	type cse struct{ bits, shift int }
	cases := []cse{{3, 1}, {6, 2}, {6, 4}, {8, 3}}
	var vals [][]*big.Int
	for _, c := range cases {
		var xs []*big.Int
		lim := int64(1) << (c.bits - 1)
		for x := -lim + 1; x < lim; x++ {
			for range 6 {
				xs = append(xs, big.NewInt(x))
			}
		}
		vals = append(vals, xs)
	}
	shares := make([][3]fr.Vector, len(cases))
	for k := range cases {
		shares[k] = deal(t, vals[k])
	}
	res := run3(t, func(ctx context.Context, e *Engine, i int) ([]fr.Vector, error) {
		var cs []*Comparison
		for k, c := range cases {
			cs = append(cs, &Comparison{X: shares[k][i], Bits: c.bits, Shift: c.shift, WithMin: true})
		}
		if err := e.Compare(ctx, cs...); err != nil {
			return nil, err
		}
		var out []fr.Vector
		for _, c := range cs {
			out = append(out, c.Neg, c.Min, c.Trunc)
		}
		return out, nil
	})
	for k, c := range cases {
		g := func(j int) []*big.Int { return reveal(t, [3]fr.Vector{res[0][3*k+j], res[1][3*k+j], res[2][3*k+j]}) }
		neg, mins, trunc := g(0), g(1), g(2)
		for j, x := range vals[k] {
			lo := new(big.Int).Rsh(x, uint(c.shift))
			if d := new(big.Int).Sub(trunc[j], lo); d.Sign() < 0 || d.Cmp(big.NewInt(1)) > 0 ||
				(new(big.Int).Lsh(lo, uint(c.shift)).Cmp(x) == 0 && d.Sign() != 0) {
				t.Errorf("%d bits by %d: %s rounded to %s", c.bits, c.shift, x, trunc[j])
			}
			want, wantMin := int64(0), new(big.Int)
			if trunc[j].Sign() < 0 {
				want, wantMin = 1, trunc[j]
			}
			if !neg[j].IsInt64() || neg[j].Int64() != want || mins[j].Cmp(wantMin) != 0 {
				t.Errorf("%d bits by %d: %s rounded to %s: neg %s, min %s", c.bits, c.shift, x, trunc[j], neg[j], mins[j])
			}
		}
	}
}
