package paillier

import (
	"context"
	"errors"
	"math/big"
)

// ownerBase makes randomness factors for the owner of a key, who knows p
// and q. hs has order α_p modulo p² and α_q modulo q², so hs^a mod n² follows
// by the Chinese remainder theorem from hs^(a mod α_p) mod p² and
// hs^(a mod α_q) mod q²: two fixed-base tables of half the modulus and
// SubgroupBits-bit exponents, about a quarter of the work of one public
// table each. The owner draws a mod α_p and a mod α_q uniformly, so its
// factors are uniform in the subgroup hs generates.
//
// Every field is secret: the tables' moduli are p² and q².
type ownerBase struct {
	p, q               *fixedBase // powers of hs mod p² and mod q²
	alphaP, alphaQ     *big.Int   // the exponents' bounds, the orders of hs mod p² and q²
	pSquared, qSquared *big.Int
	qInv               *big.Int // (q²)⁻¹ mod p², to join the halves
}

// newOwnerBase builds the owner's tables from copies of sk's secrets, with
// windows for n factors (n < 0: an unknown number) and at most maxBytes of
// tables in all. On error it wipes what it copied.
func newOwnerBase(ctx context.Context, sk *PrivateKey, n int64, maxBytes int) (*ownerBase, error) {
	sk.poolsMu.Lock()
	if sk.wiped {
		sk.poolsMu.Unlock()
		return nil, ErrWiped
	}
	o := &ownerBase{
		alphaP:   new(big.Int).Set(sk.alphaP),
		alphaQ:   new(big.Int).Set(sk.alphaQ),
		pSquared: new(big.Int).Set(sk.pSquared),
		qSquared: new(big.Int).Set(sk.qSquared),
	}
	sk.poolsMu.Unlock()
	o.qInv = new(big.Int).ModInverse(o.qSquared, o.pSquared)
	if o.qInv == nil {
		o.wipe()
		return nil, errors.New("p² and q² are not coprime")
	}
	var err error
	bits, k := o.alphaP.BitLen(), len(o.pSquared.Bits())
	if o.p, err = newFixedBase(ctx, sk.hs, o.pSquared, bits, windowFor(bits, k, n, maxBytes/2)); err != nil {
		o.wipe()
		return nil, err
	}
	bits, k = o.alphaQ.BitLen(), len(o.qSquared.Bits())
	if o.q, err = newFixedBase(ctx, sk.hs, o.qSquared, bits, windowFor(bits, k, n, maxBytes/2)); err != nil {
		o.wipe()
		return nil, err
	}
	return o, nil
}

// exp returns hs^a mod n² for the a with a ≡ ep mod α_p and a ≡ eq mod α_q,
// given as big-endian exponents below α_p and α_q.
func (o *ownerBase) exp(ep, eq []byte) *big.Int {
	fp, fq := o.p.exp(ep), o.q.exp(eq)
	// f = fq + q²·((fp − fq)·(q²)⁻¹ mod p²)
	d := new(big.Int).Sub(fp, fq)
	t := new(big.Int).Mul(d, o.qInv)
	d.Mod(t, o.pSquared)
	f := t.Mul(d, o.qSquared)
	f.Add(f, fq)
	wipeInts(fp, fq, d)
	return f
}

// wipe overwrites the tables and every secret o holds.
func (o *ownerBase) wipe() {
	if o == nil {
		return
	}
	o.p.wipe()
	o.q.wipe()
	wipeInts(o.alphaP, o.alphaQ, o.pSquared, o.qSquared, o.qInv)
}
