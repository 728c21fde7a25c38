package mpc

import "github.com/consensys/gnark-crypto/ecc/bn254/fr"

// The PRSS of New: for each party t the other two hold a generator pair[t]. A value
// r = r_0 + r_1 + r_2, where r_t is drawn from pair[t], is shared without interaction
// as the degree-1 polynomial sum_t r_t·f_t(x) with f_t(x) = 1 - x/x_t: party j
// computes sum over t != j of r_t·f_t(x_j), and the term it does not know vanishes at
// its point. Party j misses r_j, so r is as random to it as r_j is.

// Random returns this party's shares of n uniform random field elements, without
// communication.
func (e *Engine) Random(n int) fr.Vector {
	return e.prss(n, func(g *prg, v fr.Vector) { g.field(v) }, &e.coef)
}

// randomBounded returns shares of n integers, each the sum of three uniform integers
// in [0, 2^bits): statistical masks for values of bits-Kappa bits.
func (e *Engine) randomBounded(n, bits int) fr.Vector {
	return e.prss(n, func(g *prg, v fr.Vector) { g.bounded(v, bits) }, &e.coef)
}

// maskedOpen returns what this party sends to open the degree-2 shares d: its
// Lagrange-weighted share λ_j·d plus R(j,next) - R(prev,j), where R(a,b) is drawn
// from the key that parties a and b share. The sum over the three parties of what
// they send is the secret, as the masks cancel; and for each party the other two
// messages are uniform given the secret, because of the mask R(next,prev) it does not
// know. This is a pseudo-random sharing of zero of degree 2 (PRZS), folded into the
// weights so that opening needs no multiplications.
func (e *Engine) maskedOpen(parts []fr.Vector, n int) fr.Vector {
	out := e.lagWeighted(parts, n, make(fr.Vector, n))
	r := e.tmp(0, n)
	e.pair[e.prev].field(r) // R(self, next): the key not known to prev
	out.Add(out, r)
	e.pair[e.next].field(r) // R(prev, self)
	out.Sub(out, r)
	clear(r)
	return out
}

// lagWeighted returns λ_self·d, for d the concatenation of parts of total length n and
// the degree-2 Lagrange weights (3, -3, 1), by additions.
func (e *Engine) lagWeighted(parts []fr.Vector, n int, out fr.Vector) fr.Vector {
	o := out
	for _, d := range parts {
		switch e.self {
		case 0, 1:
			var t fr.Element
			for i := range d {
				t.Double(&d[i])
				o[i].Add(&t, &d[i])
				if e.self == 1 {
					o[i].Neg(&o[i])
				}
			}
		default:
			copy(o, d)
		}
		o = o[len(d):]
	}
	return out
}

func (e *Engine) prss(n int, draw func(*prg, fr.Vector), weights *[3]fr.Element) fr.Vector {
	out := make(fr.Vector, n)
	tmp := e.tmp(0, n)
	for t := range 3 {
		if t == e.self {
			continue
		}
		draw(e.pair[t], tmp)
		if !weights[t].IsOne() {
			tmp.ScalarMul(tmp, &weights[t])
		}
		out.Add(out, tmp)
	}
	clear(tmp)
	return out
}

// pairBits returns, for each t, this party's shares of n random bits known to the two
// parties other than t (the share of the bits it does not know is zero), and the bits
// it knows: bit t of comps[i] is bit i of the set {t}, for t other than this party.
func (e *Engine) pairBits(n int) (shares [3]fr.Vector, comps []byte) {
	comps = make([]byte, n)
	for t := range 3 {
		shares[t] = make(fr.Vector, n)
		if t == e.self {
			continue
		}
		bits := e.pair[t].bits(n)
		for i, b := range bits {
			if b == 1 {
				shares[t][i] = e.coef[t]
				comps[i] |= 1 << t
			}
		}
		clear(bits)
	}
	return shares, comps
}
