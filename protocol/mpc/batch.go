package mpc

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol"
)

// A Batch collects the operations of one round so that they cost a single message to
// each peer, whatever their number and size:
//
//	b := eng.NewBatch()
//	z := b.Mul(x, y)
//	s := b.Trunc(mpc.LocalDots(rows, v), f, 128)
//	if err := b.Run(ctx); err != nil { ... }
//	use(z.Value(), s.Value())
//
// A Batch is used once.
type Batch struct {
	e           *Engine
	open, red   []fr.Vector // shares to open (degree ≤ 2) and to reduce, in parts
	nOpen, nRed int
	fins        []func(opened, reduced fr.Vector)
	err         error
	ran         bool

	// Bytes for one peer only, after the elements: out[k] goes to e.peers[k], which
	// sends want[k] bytes back, handed to recv.
	out  [2][]byte
	want [2]int
	recv func(in [2][]byte) error

	cmps []*cmpGroup // comparisons that start in this round (see Batch.Compare)
	stop func() bool // see StopIf
}

// StopIf sets a test that Run makes after the Batch's first round, when the results
// of its one-round operations are ready: if stop returns true, the comparisons
// started in the Batch are abandoned, their results stay nil, and Run returns
// without their two further rounds. stop must return the same on every party, as a
// test of opened values does.
func (b *Batch) StopIf(stop func() bool) { b.stop = stop }

// Pending is the result of an operation in a Batch, available once the Batch has run.
type Pending struct {
	v     fr.Vector
	ready bool
}

// Value returns the result: shares, or public values for Batch.Open. It panics if
// the Batch has not run successfully.
func (p *Pending) Value() fr.Vector {
	if !p.ready {
		panic("mpc: Pending value used before its Batch ran")
	}
	return p.v
}

// NewBatch returns an empty Batch.
func (e *Engine) NewBatch() *Batch { return &Batch{e: e} }

func (b *Batch) fail(err error) *Pending {
	if b.err == nil {
		b.err = err
	}
	return &Pending{}
}

// Open reveals the values shared by x (degree 1 or 2) to every party. Before opening,
// each party adds its share of a random degree-2 sharing of zero, so the shares
// reveal the values and nothing else about the polynomials.
func (b *Batch) Open(x fr.Vector) *Pending {
	off := b.nOpen
	b.open, b.nOpen = append(b.open, x), b.nOpen+len(x)
	p := &Pending{}
	b.fins = append(b.fins, func(opened, _ fr.Vector) {
		p.v, p.ready = opened[off:off+len(x):off+len(x)], true
	})
	return p
}

// Reduce turns degree-2 shares, such as local products (LocalMul, LocalDots), into
// degree-1 shares of the same values. Each party reshares its Lagrange-weighted share
// on a fresh random line (Gennaro, Rabin and Rabin 1998), whose value at the next
// party's point is drawn from the PRSS key the two share, so that only the point of
// the third party is sent: one element per value. Each point a party learns is
// uniform: the other point of the line is unknown to it.
func (b *Batch) Reduce(d fr.Vector) *Pending {
	off := b.nRed
	b.red, b.nRed = append(b.red, d), b.nRed+len(d)
	p := &Pending{}
	b.fins = append(b.fins, func(_, reduced fr.Vector) {
		p.v, p.ready = reduced[off:off+len(d):off+len(d)], true
	})
	return p
}

// Mul returns shares of the elementwise product of x and y.
func (b *Batch) Mul(x, y fr.Vector) *Pending {
	if len(x) != len(y) {
		return b.fail(fmt.Errorf("mpc: product of vectors of lengths %d and %d", len(x), len(y)))
	}
	return b.Reduce(LocalMul(x, y))
}

// Dots returns shares of the inner products of xs[k] and ys[k].
func (b *Batch) Dots(xs, ys []fr.Vector) *Pending { return b.Reduce(LocalDots(xs, ys)) }

// Trunc returns degree-1 shares of about d/2^shift, for shares d of degree 1 or 2 of
// integers with |d| < 2^(bits-1). It is probabilistic truncation (Catrina and Saxena
// 2010) with a mask from PRSS: the parties open d + 2^(bits-1) + r, where r has
// bits+Kappa bits and each party misses a uniform third of it, so the opened value is
// statistically hidden. The result differs from d/2^shift by less than 2 and is
// unbiased up to 2^-shift: it rounds up or down at random, in proportion to the
// remainder.
//
// The caller guarantees the bound on d; a larger value gives a wrong result, not an
// error. bits + Kappa + 3 must not exceed FieldBits.
func (b *Batch) Trunc(d fr.Vector, shift, bits int) *Pending {
	if shift <= 0 || shift >= bits || bits+Kappa+3 > FieldBits {
		return b.fail(fmt.Errorf("mpc: cannot truncate %d-bit values by %d bits", bits, shift))
	}
	n := len(d)
	hi := b.e.randomBounded(n, bits+Kappa-shift)
	lo := b.e.randomBounded(n, shift)
	twoShift := pow2(shift)
	offset := pow2(bits - 1)
	masked := make(fr.Vector, n)
	masked.ScalarMul(hi, &twoShift)
	masked.Add(masked, lo)
	masked.Add(masked, d)
	for i := range masked {
		masked[i].Add(&masked[i], &offset)
	}
	clear(lo)
	off := b.nOpen
	b.open, b.nOpen = append(b.open, masked), b.nOpen+n
	// The opened value is c = d + 2^(bits-1) + 2^shift·hi + lo with lo < 3·2^shift, so
	// floor(c/2^shift) - hi - 2^(bits-1-shift) = floor(d/2^shift + lo/2^shift), which
	// exceeds d/2^shift by 1 - 2^-shift on average: subtract 1.
	correction := pow2(bits - 1 - shift)
	one := fr.One()
	correction.Add(&correction, &one)
	p := &Pending{}
	b.fins = append(b.fins, func(opened, _ fr.Vector) {
		out := make(fr.Vector, n)
		for i := range out {
			out[i] = shiftRight(&opened[off+i], shift)
			out[i].Sub(&out[i], &hi[i])
			out[i].Sub(&out[i], &correction)
		}
		clear(hi)
		p.v, p.ready = out, true
	})
	return p
}

// MulTrunc returns shares of about x·y/2^shift (see Trunc; |x·y| < 2^(bits-1)).
func (b *Batch) MulTrunc(x, y fr.Vector, shift, bits int) *Pending {
	if len(x) != len(y) {
		return b.fail(fmt.Errorf("mpc: product of vectors of lengths %d and %d", len(x), len(y)))
	}
	return b.Trunc(LocalMul(x, y), shift, bits)
}

// Run performs the round: one message to each peer, one from each; and, when the
// Batch holds comparisons, their two further rounds.
func (b *Batch) Run(ctx context.Context) error {
	if b.ran {
		return errors.New("mpc: Batch run twice")
	}
	b.ran = true
	if b.err != nil {
		return b.err
	}
	var cs *compareState
	if len(b.cmps) > 0 {
		cs = b.e.startCompare(b)
	}
	if err := b.round(ctx); err != nil {
		if cs != nil {
			cs.abandon()
		}
		return err
	}
	if cs != nil {
		if b.stop != nil && b.stop() {
			cs.abandon()
			return nil
		}
		return cs.finish(ctx)
	}
	return nil
}

// round performs the round of b: one message to each peer, one from each.
func (b *Batch) round(ctx context.Context) error {
	e := b.e
	nOpen, nRed := b.nOpen, b.nRed
	if nOpen+nRed == 0 && len(b.out[0])+len(b.out[1])+b.want[0]+b.want[1] == 0 {
		for _, f := range b.fins {
			f(nil, nil)
		}
		return nil
	}
	// Openings: weighted and masked shares go to both peers.
	mine := e.maskedOpen(b.open, nOpen)
	// Reductions: the line g through (0, λ·d) and (x_next, R), with R drawn from the
	// key shared with next, has slope a = (R - λd)/x_next; prev gets g(x_prev) and
	// this party keeps g(x_self).
	toPrev, own := e.reshare(b.red, nRed)
	// What prev put on its line at this party's point comes from the key shared
	// with prev.
	fromPrev := e.tmp(1, nRed)
	e.pair[e.next].field(fromPrev)
	own.Add(own, fromPrev)
	clear(fromPrev)

	var msg [2][]byte
	var inLen [2]int
	for k, p := range e.peers {
		inLen[k] = nOpen * fr.Bytes
		switch p {
		case e.prev:
			msg[k] = make([]byte, (nOpen+nRed)*fr.Bytes)
			encode(msg[k][nOpen*fr.Bytes:], toPrev)
		case e.next:
			msg[k] = make([]byte, nOpen*fr.Bytes)
			inLen[k] += nRed * fr.Bytes // next sends its reductions to this party
		}
		encode(msg[k], mine)
		msg[k] = append(msg[k], b.out[k]...)
		inLen[k] += b.want[k]
	}
	clear(toPrev)
	in, err := e.exchange(ctx, msg, inLen) // the transport may keep msg: no reuse
	if err != nil {
		return fmt.Errorf("mpc: round %d: %w", e.rounds+1, err)
	}
	opened := mine
	theirs := e.tmp(0, max(nOpen, nRed))
	for k, p := range e.peers {
		if err := decode(theirs[:nOpen], in[k][:nOpen*fr.Bytes]); err != nil {
			return fmt.Errorf("mpc: round %d: from %s: %w", e.rounds, protocol.Role(p), err)
		}
		opened.Add(opened, theirs[:nOpen])
		if p == e.next {
			if err := decode(theirs[:nRed], in[k][nOpen*fr.Bytes:(nOpen+nRed)*fr.Bytes]); err != nil {
				return fmt.Errorf("mpc: round %d: from %s: %w", e.rounds, protocol.Role(p), err)
			}
			own.Add(own, theirs[:nRed])
		}
	}
	for _, f := range b.fins {
		f(opened, own)
	}
	if b.recv != nil {
		var extra [2][]byte
		for k := range in {
			extra[k] = in[k][len(in[k])-b.want[k]:]
		}
		if err := b.recv(extra); err != nil {
			return fmt.Errorf("mpc: round %d: %w", e.rounds, err)
		}
	}
	return nil
}

// reshare returns the points of this party's fresh lines for the degree-2 shares d:
// the one it sends to prev and its own.
func (e *Engine) reshare(d []fr.Vector, n int) (toPrev, own fr.Vector) {
	lam := e.lagWeighted(d, n, e.tmp(1, n))
	a := e.tmp(2, n)
	e.pair[e.prev].field(a) // R = g(x_next)
	a.Sub(a, lam)
	if e.next != 0 { // x_next = 1 needs no division
		a.ScalarMul(a, &e.invNext)
	}
	// g(x) = λd + x·a for x in {1, 2, 3}.
	at := func(x int, out fr.Vector) fr.Vector {
		for i := range out {
			switch x {
			case 1:
				out[i].Add(&lam[i], &a[i])
			case 2:
				out[i].Double(&a[i])
				out[i].Add(&out[i], &lam[i])
			case 3:
				out[i].Double(&a[i])
				out[i].Add(&out[i], &a[i])
				out[i].Add(&out[i], &lam[i])
			}
		}
		return out
	}
	toPrev, own = at(e.prev+1, e.tmp(0, n)), at(e.self+1, make(fr.Vector, n))
	clear(a)
	clear(lam)
	return toPrev, own
}

// Signed returns the integers that opened values represent, in (-p/2, p/2].
func Signed(v fr.Vector) []*big.Int {
	out := make([]*big.Int, len(v))
	half := new(big.Int).Rsh(fr.Modulus(), 1)
	for i := range v {
		x := v[i].BigInt(new(big.Int))
		if x.Cmp(half) > 0 {
			x.Sub(x, fr.Modulus())
		}
		out[i] = x
	}
	return out
}
