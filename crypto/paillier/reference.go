package paillier

import (
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
)

// EncryptReference encrypts m ∈ [0, n) the textbook way, with a fresh uniform
// r ∈ Z*_n and a full exponentiation r^n mod n². It is the baseline that
// Randomness and Encrypt are measured and tested against, about twenty times
// slower, and its security needs the DCR assumption only. Its randomness lies
// outside the subgroup of hs: only DecryptReference decrypts its ciphertexts.
func (pk *PublicKey) EncryptReference(random io.Reader, m *big.Int) (*Ciphertext, error) {
	if err := pk.checkMessage(m); err != nil {
		return nil, err
	}
	r, err := randomUnit(random, pk.n)
	if err != nil {
		return nil, fmt.Errorf("paillier: drawing encryption randomness: %w", err)
	}
	rn := new(big.Int).Exp(r, pk.n, pk.nSquared)
	wipeInt(r)
	c, err := pk.Encrypt(m, rn)
	wipeInt(rn)
	return c, err
}

// DecryptReference decrypts c the textbook way, as L(c^λ mod n²)·μ mod n with
// L(x) = (x−1)/n, in variable time. It decrypts every unit of Z*_{n²}, those
// from EncryptReference included, and is the baseline that Decrypt is
// measured and tested against; use Decrypt for ciphertexts made with a
// Randomness.
func (sk *PrivateKey) DecryptReference(c *Ciphertext) (*big.Int, error) {
	if err := sk.checkCiphertext(c); err != nil {
		return nil, err
	}
	x := new(big.Int).Exp(c.c, sk.lambda, sk.nSquared)
	m := lFunc(x, sk.n)
	wipeInt(x)
	m.Mul(m, sk.mu)
	return m.Mod(m, sk.n), nil
}

// randomUnit returns a uniform element of Z*_n.
func randomUnit(random io.Reader, n *big.Int) (*big.Int, error) {
	g := new(big.Int)
	for {
		x, err := rand.Int(random, n)
		if err != nil {
			return nil, err
		}
		if x.Sign() > 0 && g.GCD(nil, nil, x, n).Cmp(one) == 0 {
			return x, nil
		}
	}
}
