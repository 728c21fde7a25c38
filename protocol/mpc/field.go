package mpc

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// modulus holds the limbs of p, least significant first.
var modulus = func() (l [4]uint64) {
	for i, w := range fr.Modulus().Bits() {
		l[i] = uint64(w)
	}
	return l
}()

// belowModulus reports whether the little-endian limbs l encode an integer below p.
func belowModulus(l *[4]uint64) bool {
	for i := 3; i >= 0; i-- {
		if l[i] != modulus[i] {
			return l[i] < modulus[i]
		}
	}
	return false
}

// pow2 returns 2^k as a field element, k < 254.
func pow2(k int) fr.Element {
	var limbs [4]uint64
	limbs[k/64] = 1 << (k % 64)
	return fromLimbs(limbs)
}

// fromLimbs returns the field element of the little-endian 64-bit limbs of an
// integer below p.
func fromLimbs(l [4]uint64) fr.Element {
	var b [fr.Bytes]byte
	for i := range 4 {
		for j := range 8 {
			b[fr.Bytes-1-(8*i+j)] = byte(l[i] >> (8 * j))
		}
	}
	e, err := fr.BigEndian.Element(&b)
	if err != nil {
		panic("mpc: integer not below the modulus")
	}
	return e
}

// shiftRight returns floor(c/2^m) for the canonical representative c of e.
func shiftRight(e *fr.Element, m int) fr.Element {
	l := e.Bits()
	var out [4]uint64
	w, s := m/64, uint(m%64)
	for i := 0; i+w < 4; i++ {
		out[i] = l[i+w] >> s
		if s > 0 && i+w+1 < 4 {
			out[i] |= l[i+w+1] << (64 - s)
		}
	}
	return fromLimbs(out)
}

// bit returns bit i of the canonical representative of e.
func bit(l *[4]uint64, i int) byte { return byte(l[i/64]>>(i%64)) & 1 }

// fromBig embeds an integer, negative ones included.
func fromBig(x *big.Int) fr.Element {
	var e fr.Element
	e.SetBigInt(x)
	return e
}

// scaled returns c·x for a public constant c.
func scaled(x fr.Vector, c *fr.Element) fr.Vector {
	out := make(fr.Vector, len(x))
	out.ScalarMul(x, c)
	return out
}

// Add returns x + y, elementwise: shares of the sum.
func Add(x, y fr.Vector) fr.Vector {
	out := make(fr.Vector, len(x))
	out.Add(x, y)
	return out
}

// Sub returns x - y, elementwise.
func Sub(x, y fr.Vector) fr.Vector {
	out := make(fr.Vector, len(x))
	out.Sub(x, y)
	return out
}

// Scale returns c·x for a public constant c.
func Scale(x fr.Vector, c int64) fr.Vector {
	k := fr.NewElement(0)
	k.SetInt64(c)
	return scaled(x, &k)
}

// ScaleBig returns c·x for a public integer c of any size.
func ScaleBig(x fr.Vector, c *big.Int) fr.Vector {
	k := fromBig(c)
	return scaled(x, &k)
}

// AddConst returns x + c for a public constant c: every party adds c to its share.
func AddConst(x fr.Vector, c *big.Int) fr.Vector {
	k := fromBig(c)
	out := make(fr.Vector, len(x))
	for i := range x {
		out[i].Add(&x[i], &k)
	}
	return out
}

// LocalMul returns the elementwise products of the shares x and y. The result is a
// degree-2 sharing: pass it to Batch.Reduce, Batch.Trunc or Batch.Open, nowhere else.
func LocalMul(x, y fr.Vector) fr.Vector {
	out := make(fr.Vector, len(x))
	out.Mul(x, y)
	return out
}

// LocalDots returns the inner products of xs[k] and ys[k] as degree-2 shares (see
// LocalMul). An inner product of any length costs one reduction.
func LocalDots(xs, ys []fr.Vector) fr.Vector {
	if len(xs) != len(ys) {
		panic("mpc: LocalDots of different numbers of vectors")
	}
	out := make(fr.Vector, len(xs))
	for k := range xs {
		if len(xs[k]) != len(ys[k]) {
			panic("mpc: inner product of vectors of different lengths")
		}
		out[k] = xs[k].InnerProduct(ys[k])
	}
	return out
}

// LocalMatVec returns rows·v as degree-2 shares (see LocalMul).
func LocalMatVec(rows []fr.Vector, v fr.Vector) fr.Vector {
	out := make(fr.Vector, len(rows))
	for k := range rows {
		if len(rows[k]) != len(v) {
			panic("mpc: matrix row and vector of different lengths")
		}
		out[k] = rows[k].InnerProduct(v)
	}
	return out
}

// Pow2 returns 2^k as a field element, for 0 ≤ k < 254: the fixed-point one at scale
// 2^k.
func Pow2(k int) fr.Element { return pow2(k) }
