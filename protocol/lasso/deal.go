package lasso

import (
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/triad-mpc/triad/crypto/fixedpoint"
	"github.com/triad-mpc/triad/crypto/shamir"
)

// Deal encodes the rows X and outcomes y at scale 2^frac and deals them as Shamir
// shares, one Data per party, drawing the sharing randomness from random. It plays a
// trusted dealer that holds the whole table, which no party of a real session does
// (there the join produces the shares): it is for tests and benchmarks.
func Deal(random io.Reader, X [][]float64, y []float64, frac int) ([3]Data, error) {
	var out [3]Data
	p := fixedpoint.Params{Frac: frac, Bits: 64}
	if err := p.Validate(); err != nil {
		return out, err
	}
	n, d := len(X), len(X[0])
	for i := range out {
		out[i] = Data{X: make([]fr.Vector, d), Frac: frac}
	}
	col := make(fr.Vector, n)
	defer shamir.Wipe(col)
	for j := 0; j <= d; j++ { // column d is the outcome
		for k := range n {
			v := y[k]
			if j < d {
				v = X[k][j]
			}
			e, err := p.Encode(v)
			if err != nil {
				return out, fmt.Errorf("lasso: deal row %d, column %d: %w", k, j, err)
			}
			col[k] = shamir.FromInt64(e)
		}
		s, err := shamir.Share(random, col)
		if err != nil {
			return out, err
		}
		for i := range out {
			if j < d {
				out[i].X[j] = s[i]
			} else {
				out[i].Y = s[i]
			}
		}
	}
	return out, nil
}
