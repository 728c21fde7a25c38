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

// zeroShares returns shares of a random degree-2 sharing of zero (PRZS), which makes
// opening a degree-2 sharing reveal its value and nothing else: sum_t s_t·x·f_t(x).
func (e *Engine) zeroShares(n int) fr.Vector {
	return e.prss(n, func(g *prg, v fr.Vector) { g.field(v) }, &e.zcoef)
}

func (e *Engine) prss(n int, draw func(*prg, fr.Vector), weights *[3]fr.Element) fr.Vector {
	out := make(fr.Vector, n)
	tmp := make(fr.Vector, n)
	for t := range 3 {
		if t == e.self {
			continue
		}
		draw(e.pair[t], tmp)
		tmp.ScalarMul(tmp, &weights[t])
		out.Add(out, tmp)
	}
	clear(tmp)
	return out
}

// pairBits returns, for each t, this party's shares of n random bits known to the two
// parties other than t (the share of the bits it does not know is zero).
func (e *Engine) pairBits(n int) [3]fr.Vector {
	var out [3]fr.Vector
	for t := range 3 {
		out[t] = make(fr.Vector, n)
		if t == e.self {
			continue
		}
		for i, b := range e.pair[t].bits(n) {
			if b == 1 {
				out[t][i] = e.coef[t]
			}
		}
	}
	return out
}
