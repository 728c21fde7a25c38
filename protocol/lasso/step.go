package lasso

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol/mpc"
)

// Step runs one FISTA iteration in three rounds: the matrix-vector product
// z = A·v + b is local, and the soft-thresholding u = min(z + τ, 0) - min(τ - z, 0)
// truncates it in the rounds of its 2d comparisons. Every CheckEvery iterations the
// same comparison rounds also decide whether the squared step ||u_k - v_(k-1)||² is
// below Tol²; that bit is opened in the first round of the next Step, and when it is
// set the Step stops after that round and reports done. done is also reported when
// MaxIter iterations have run.
func (s *Solver) Step(ctx context.Context) (done bool, err error) {
	if !s.prepared {
		return false, errors.New("lasso: Step before Prepare")
	}
	if s.done {
		return true, nil
	}
	d, f := s.d, s.f
	s.iter++
	s.sinceRestart++

	// v = u + μ·(u - u_prev) with μ = (j-1)/(j+2), j counting from the last restart;
	// at scale 2^(2f) so that μ needs no truncation.
	j := s.sinceRestart
	mu := fixedInt(float64(j-1)/float64(j+2), f)
	v := mpc.Sub(mpc.ScaleBig(s.u, new(big.Int).Add(pow2(f), mu)), mpc.ScaleBig(s.uPrev, mu))

	// z = A·v + b at scale 2^(3f), rescaled to 2^f by the comparisons of the
	// soft-thresholding, z + τ and τ - z, in their rounds; the convergence test of the
	// previous step, and the pending convergence bit opened in the first of them.
	zl := mpc.LocalMatVec(s.A, v)
	bScaled := mpc.ScaleBig(s.b, pow2(2*f))
	zl.Add(zl, bScaled)
	tau := mpc.ScaleBig(s.tau, pow2(2*f))
	a := make(fr.Vector, 2*d)
	for i := range d {
		a[i].Add(&zl[i], &tau[i])   // z + τ
		a[d+i].Sub(&tau[i], &zl[i]) // τ - z
	}
	cmps := []*mpc.Comparison{{X: a, Bits: 3*f + coefBits + bitLen(d) + 6, Shift: 2 * f, WithMin: true}}
	check := s.iter > 1 && (s.iter-1)%s.opts.CheckEvery == 0 && s.iter < s.opts.MaxIter
	if check {
		cmps = append(cmps, &mpc.Comparison{X: s.stepNorm(), Bits: s.convBits()})
	}
	batch := s.eng.NewBatch()
	var bit *mpc.Pending
	if s.pending != nil {
		bit = batch.Open(s.pending)
	}
	batch.Compare(cmps...)
	if bit != nil {
		batch.StopIf(func() bool { return bit.Value()[0].IsOne() })
	}
	if err := batch.Run(ctx); err != nil {
		return false, fmt.Errorf("lasso: iteration %d: %w", s.iter, err)
	}
	if bit != nil {
		s.pending = nil
		b := bit.Value()[0]
		s.bits = append(s.bits, b.IsOne())
		if b.IsOne() {
			s.iter-- // converged before this iteration: drop it
			s.done = true
			return true, nil
		} else if !b.IsZero() {
			return false, fmt.Errorf("lasso: iteration %d: convergence bit opened as %s", s.iter, b.String())
		}
	}
	mins := cmps[0].Min
	next := mpc.Sub(mins[:d], mins[d:])
	if check {
		s.pending = cmps[1].Neg
	}
	clear(s.uPrev)
	s.uPrev, s.u, s.vPrev = s.u, next, v
	if s.sinceRestart == s.opts.Restart {
		s.sinceRestart = 0
	}
	if s.iter >= s.opts.MaxIter {
		s.done = true
	}
	return s.done, nil
}

// stepNorm returns degree-2 shares of ||u·2^f - v_prev||² - Tol²·2^(4f): negative when
// the last step, at scale 2^(4f), is shorter than the tolerance.
func (s *Solver) stepNorm() fr.Vector {
	f := s.f
	diff := mpc.Sub(mpc.ScaleBig(s.u, pow2(f)), s.vPrev)
	out := mpc.LocalDots([]fr.Vector{diff}, []fr.Vector{diff})
	tol := fixedInt(s.opts.Tol*s.opts.Tol, 4*f)
	var t fr.Element
	t.SetBigInt(tol)
	out[0].Sub(&out[0], &t)
	return out
}

// convBits bounds the step norm: d·(2^(coefBits+2)·2^(2f))².
func (s *Solver) convBits() int { return 4*s.f + 2*coefBits + 6 + bitLen(s.d) }
