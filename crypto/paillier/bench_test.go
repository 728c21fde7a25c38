package paillier

import (
	"context"
	"crypto/rand"
	"math/big"
	"strconv"
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchKey  *PrivateKey
)

// benchSetup returns a shared 2048-bit key.
func benchSetup(b *testing.B) *PrivateKey {
	b.Helper()
	benchOnce.Do(func() {
		var err error
		if benchKey, err = GenerateKey(rand.Reader, DefaultBits); err != nil {
			b.Fatal(err)
		}
	})
	return benchKey
}

func BenchmarkKeygen(b *testing.B) {
	for _, bits := range []int{DefaultBits, 3072} {
		b.Run(strconv.Itoa(bits), func(b *testing.B) {
			for b.Loop() {
				if _, err := GenerateKey(rand.Reader, bits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncrypt measures the online encryption: one multiplication by a
// precomputed factor.
func BenchmarkEncrypt(b *testing.B) {
	pk := benchSetup(b).Public()
	m := randBelow(b, pk.n)
	rn := mustNext(b, testPool(b, pk, WithPoolSize(1), WithLimit(1)))
	for b.Loop() {
		if _, err := pk.Encrypt(m, rn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRandomnessFactor measures one factor hs^a from the fixed-base
// table, on one core.
func BenchmarkRandomnessFactor(b *testing.B) {
	pk := benchSetup(b).Public()
	pool := testPool(b, pk, WithPoolSize(1), WithLimit(0))
	exp := make([]byte, (pool.ell+7)/8)
	for b.Loop() {
		if _, err := rand.Read(exp); err != nil {
			b.Fatal(err)
		}
		pool.table.exp(exp)
	}
}

// BenchmarkRandomnessFactorWindow measures one factor from tables of the
// windows a pool's limit can choose, on one core.
func BenchmarkRandomnessFactorWindow(b *testing.B) {
	pk := benchSetup(b).Public()
	ell := ExponentBits(pk.Bits())
	for _, w := range []int{8, 10} {
		b.Run(strconv.Itoa(w), func(b *testing.B) {
			tab, err := newFixedBase(context.Background(), pk.hs, pk.nSquared, ell, w)
			if err != nil {
				b.Fatal(err)
			}
			exp := make([]byte, (ell+7)/8)
			for b.Loop() {
				if _, err := rand.Read(exp); err != nil {
					b.Fatal(err)
				}
				tab.exp(exp)
			}
		})
	}
}

// BenchmarkRandomnessFactorOwner measures one factor of the key owner's, by
// CRT over p² and q², on one core.
func BenchmarkRandomnessFactorOwner(b *testing.B) {
	sk := benchSetup(b)
	o, err := newOwnerBase(context.Background(), sk, -1, maxTableBytes)
	if err != nil {
		b.Fatal(err)
	}
	defer o.wipe()
	ep := make([]byte, (sk.alphaP.BitLen()+7)/8)
	eq := make([]byte, (sk.alphaQ.BitLen()+7)/8)
	for b.Loop() {
		a, _ := rand.Int(rand.Reader, sk.alphaP)
		a.FillBytes(ep)
		a, _ = rand.Int(rand.Reader, sk.alphaQ)
		a.FillBytes(eq)
		o.exp(ep, eq)
	}
}

// BenchmarkModMul compares one product modulo n² of a 2048-bit key: the
// Montgomery product of the tables and math/big's multiplication and
// division.
func BenchmarkModMul(b *testing.B) {
	pk := benchSetup(b).Public()
	x, y := randBelow(b, pk.nSquared), randBelow(b, pk.nSquared)
	b.Run("montgomery", func(b *testing.B) {
		mm, err := newMontgomery(pk.nSquared)
		if err != nil {
			b.Fatal(err)
		}
		xw, yw, s := mm.words(x), mm.words(y), mm.newScratch()
		for b.Loop() {
			mm.mul(xw, xw, yw, s)
		}
	})
	b.Run("quorem", func(b *testing.B) {
		z, prod, quo := new(big.Int).Set(x), new(big.Int), new(big.Int)
		for b.Loop() {
			prod.Mul(z, y)
			quo.QuoRem(prod, pk.nSquared, z)
		}
	})
}

func BenchmarkRandomnessTable(b *testing.B) {
	pk := benchSetup(b).Public()
	for b.Loop() {
		r, err := NewRandomness(context.Background(), pk, rand.Reader, WithPoolSize(1), WithLimit(0))
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

func BenchmarkEncryptReference(b *testing.B) {
	pk := benchSetup(b).Public()
	m := randBelow(b, pk.n)
	for b.Loop() {
		if _, err := pk.EncryptReference(rand.Reader, m); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCiphertext returns a ciphertext as a pool makes them, with a factor
// hs^a for a uniform exponent a of ExponentBits bits.
func benchCiphertext(b *testing.B, pk *PublicKey) *Ciphertext {
	a := randBelow(b, new(big.Int).Lsh(one, uint(ExponentBits(pk.Bits()))))
	c, err := pk.Encrypt(randBelow(b, pk.n), new(big.Int).Exp(pk.hs, a, pk.nSquared))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkDecrypt(b *testing.B) {
	sk := benchSetup(b)
	c := benchCiphertext(b, sk.Public())
	for b.Loop() {
		if _, err := sk.Decrypt(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecryptFullCRT measures the CRT decryption with the exponents p−1
// and q−1 that any ciphertext needs when its randomness is not confined to a
// small subgroup: what Decrypt cost before keys carried one.
func BenchmarkDecryptFullCRT(b *testing.B) {
	sk := benchSetup(b)
	c := benchCiphertext(b, sk.Public())
	pm1, qm1 := new(big.Int).Sub(sk.p, one), new(big.Int).Sub(sk.q, one)
	hp := crtH(sk.p, sk.pSquared, pm1, sk.n)
	hq := crtH(sk.q, sk.qSquared, qm1, sk.n)
	want, err := sk.Decrypt(c)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		mp, _ := decryptHalf(c.c, sk.p, sk.pSquared, pm1, hp)
		mq, _ := decryptHalf(c.c, sk.q, sk.qSquared, qm1, hq)
		m := mp.Sub(mp, mq)
		m.Mul(m, sk.qInvP)
		m.Mod(m, sk.p)
		m.Mul(m, sk.q)
		m.Add(m, mq)
		if m.Cmp(want) != 0 {
			b.Fatal("full-exponent CRT decryption disagrees with Decrypt")
		}
	}
}

func BenchmarkDecryptBatch(b *testing.B) {
	sk := benchSetup(b)
	cs := make([]*Ciphertext, 64)
	for i := range cs {
		cs[i] = benchCiphertext(b, sk.Public())
	}
	for b.Loop() {
		if _, err := sk.DecryptBatch(context.Background(), cs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cs))/1e6, "ms/ciphertext")
}

func BenchmarkDecryptReference(b *testing.B) {
	sk := benchSetup(b)
	c := benchCiphertext(b, sk.Public())
	for b.Loop() {
		if _, err := sk.DecryptReference(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	pk := benchSetup(b).Public()
	x, y := benchCiphertext(b, pk), benchCiphertext(b, pk)
	for b.Loop() {
		pk.Add(x, y)
	}
}

func BenchmarkRerandomize(b *testing.B) {
	pk := benchSetup(b).Public()
	c := benchCiphertext(b, pk)
	rn := mustNext(b, testPool(b, pk, WithPoolSize(1), WithLimit(1)))
	for b.Loop() {
		pk.Rerandomize(c, rn)
	}
}

func benchLayout(b *testing.B) (Layout, []*big.Int) {
	l, err := NewLayout(64, 40, DefaultBits)
	if err != nil {
		b.Fatal(err)
	}
	vals := make([]*big.Int, l.Slots())
	for i := range vals {
		vals[i] = randBelow(b, new(big.Int).Lsh(one, 64))
	}
	return l, vals
}

func BenchmarkPack(b *testing.B) {
	l, vals := benchLayout(b)
	for b.Loop() {
		if _, err := l.Pack(vals); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnpack(b *testing.B) {
	l, vals := benchLayout(b)
	p, err := l.Pack(vals)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := l.Unpack(p, l.Slots()); err != nil {
			b.Fatal(err)
		}
	}
}
