package mpc

import (
	"context"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// A Comparison is a group of values to compare with zero in Compare.
type Comparison struct {
	X    fr.Vector // shares; degree 2 is allowed unless WithMin is set and Shift is 0
	Bits int       // bound: |X[i]| < 2^(Bits-1)
	// Shift, when positive, compares X/2^Shift rounded to an integer instead of X:
	// the rounding is the one of Trunc, up or down at random in proportion to the
	// remainder (unbiased, off by less than 1), and its result is in Trunc. It costs
	// no round more than a comparison: it is how a product is rescaled and compared
	// in the same rounds. 0 < Shift < Bits-1.
	Shift   int
	WithMin bool // also compute Min

	Neg   fr.Vector // result: shares of 1 where X[i] (rounded) < 0, else 0
	Min   fr.Vector // result when WithMin: shares of min(X[i], 0) (rounded when Shift > 0)
	Trunc fr.Vector // result when Shift > 0: shares of X[i]/2^Shift, rounded
}

// LTZ returns shares of [x_i < 0] for |x_i| < 2^(bits-1) (three rounds; see Compare).
func (e *Engine) LTZ(ctx context.Context, x fr.Vector, bits int) (fr.Vector, error) {
	c := &Comparison{X: x, Bits: bits}
	if err := e.Compare(ctx, c); err != nil {
		return nil, err
	}
	return c.Neg, nil
}

// MinZero returns shares of [x_i < 0] and of min(x_i, 0) for |x_i| < 2^(bits-1), in
// the rounds of one comparison. max(x, 0) is x - min(x, 0).
func (e *Engine) MinZero(ctx context.Context, x fr.Vector, bits int) (neg, min fr.Vector, err error) {
	c := &Comparison{X: x, Bits: bits, WithMin: true}
	if err := e.Compare(ctx, c); err != nil {
		return nil, nil, err
	}
	return c.Neg, c.Min, nil
}

// Compare computes the sign of every value of every group, all in the same three
// rounds (see Batch.Compare).
func (e *Engine) Compare(ctx context.Context, cs ...*Comparison) error {
	b := e.NewBatch()
	b.Compare(cs...)
	return b.Run(ctx)
}

// Compare starts comparisons in the round of b: they share its messages, and Run
// takes two more rounds to finish them. The results are in cs once Run returns.
//
// A value x with |x| < 2^(Bits-1) is negative exactly when bit m = Bits-1 of
// a = x + 2^m is 0, and q = floor(a/2^m) is what the protocol computes, as in Catrina
// and de Hoogh (2010) but with the bitwise comparison done by one party on hashes,
// which makes it cheap in bytes. For each value one party is the helper H (in turn
// over the values); the other two are A and B.
//
//  1. H holds the mask r = r” + 2^m·r' with r” = sum_j 2^j (a_j ⊕ b_j), where A
//     shares the bits a_j with H and B shares the bits b_j (PRSS keys, no
//     communication), and r' = ρ_A + ρ_B of Kappa+1 bits, ρ_A known to A and H, ρ_B
//     to B and H, so that r' has free Shamir shares. c = a + r is opened to A and B
//     only: H adds r to its masked share. r” is uniform and r' has Kappa+1 bits
//     unknown to A (ρ_B) and to B (ρ_A), so c hides a up to 2^-Kappa.
//  2. With u = [c mod 2^m < r”], q = floor(c/2^m) - r' - u. A and B, who both know
//     c, and a bit δ, test for each j whether u ⊕ δ is decided at bit j (bits above
//     j of r” and of the target equal, bit j different the right way) as an equality
//     of two strings, A's from c and a, B's from b; each sends H a keyed hash of its
//     string for every j (8 bytes, under a key and a fresh 128-bit nonce H does not
//     know), in an order permuted by a permutation H does not know. H learns whether
//     one pair of hashes is equal, which is u ⊕ δ, a uniform bit to it: δ is the
//     component b_h of a random bit β = b_0 ⊕ b_1 ⊕ b_2 (PRSS bits b_t known to the
//     parties other than t, whose shares of β two multiplications in the first two
//     rounds make) that H does not know. A product for Min is reduced in the same
//     round.
//  3. H opens pub = (u ⊕ δ) ⊕ b_A ⊕ b_B = u ⊕ β, whose blinding bit each party misses
//     one component of, and u = pub ⊕ β is linear in the shares of β; β·x for Min is
//     reduced in the same round.
//
// With Shift s the value compared is the truncation: the mask gets s more low bits
// r_lo, known to H only, and an extra bit of headroom; H shares r” with B in the
// first round, so the shares of the truncation are available after it.
func (b *Batch) Compare(cs ...*Comparison) {
	for _, c := range cs {
		g, err := comparisonGroup(c)
		if err != nil {
			b.fail(err)
			return
		}
		c.Neg, c.Min, c.Trunc = nil, nil, nil
		g.set = func(g *cmpGroup) {
			one := fr.One()
			c.Neg = make(fr.Vector, len(g.q))
			for i := range c.Neg {
				c.Neg[i].Sub(&one, &g.q[i])
			}
			c.Min, c.Trunc = g.min, g.trunc
		}
		b.cmps = append(b.cmps, g)
	}
}

func comparisonGroup(c *Comparison) (*cmpGroup, error) {
	k, s := c.Bits, c.Shift
	switch {
	case k < 2 || k+Kappa+3 > FieldBits:
		return nil, fmt.Errorf("mpc: cannot compare %d-bit values", k)
	case s < 0 || (s > 0 && s >= k-1):
		return nil, fmt.Errorf("mpc: cannot compare %d-bit values shifted by %d bits", k, s)
	}
	g := &cmpGroup{x: c.X, withMin: c.WithMin, s: s}
	if s == 0 {
		g.top, g.m = k-1, k-1
	} else {
		// The rounded value may exceed X/2^s by one: one more bit above.
		g.top, g.m = k, k-s
	}
	g.hiBits = g.top + 1 + Kappa - g.s - g.m
	return g, nil
}

// Floor returns shares of floor(d_i/2^shift), exactly, for shares d of degree 1 or 2
// with |d_i| < 2^(bits-1), in three rounds. Unlike Trunc it is deterministic:
// floor((d + 2^(shift-1))/2^shift) rounds to the nearest integer and maps 0 to 0. It is the protocol of Compare with m = shift: the mask r' has
// bits - shift + Kappa bits.
func (e *Engine) Floor(ctx context.Context, d fr.Vector, shift, bits int) (fr.Vector, error) {
	if shift < 1 || shift >= bits || bits+Kappa+3 > FieldBits {
		return nil, fmt.Errorf("mpc: cannot floor %d-bit values by %d bits", bits, shift)
	}
	g := &cmpGroup{x: d, top: bits - 1, m: shift}
	g.hiBits = g.top + 1 + Kappa - g.m
	var q fr.Vector
	g.set = func(g *cmpGroup) { q = g.q }
	b := e.NewBatch()
	b.cmps = append(b.cmps, g)
	if err := b.Run(ctx); err != nil {
		return nil, err
	}
	off := pow2(bits - 1 - shift)
	for i := range q {
		q[i].Sub(&q[i], &off)
	}
	return q, nil
}

// cmpGroup is one group of values for Compare or Floor: a = x + 2^top is compared,
// after a shift by s bits, on its low m bits; q shares floor(a/2^(s+m)).
type cmpGroup struct {
	x          fr.Vector
	s, m, top  int
	hiBits     int // bits of ρ_A and ρ_B
	withMin    bool
	base       int // the helper of element i is (base+i) % 3
	set        func(*cmpGroup)
	q, min     fr.Vector
	trunc      fr.Vector
	beta       fr.Vector // shares of the blinding bit β
	comps      []byte    // its components known to this party
	maskBits   [][]byte  // per element: H: bits of r”; A: a; B: b
	rhi        fr.Vector // shares of r'
	rmid       fr.Vector // shares of r” (when s > 0)
	toB        fr.Vector // H: B's share of r”
	r          fr.Vector // H: the mask
	nonce      [][]byte  // A, B: 16 bytes per element
	perm       [][]int   // A, B: where the hash of bit j goes
	c          fr.Vector // A, B: the opened values
	lin, xm    fr.Vector // 1 - floor(c/2^(s+m)) + r' and the value min multiplies
	p1, p2     *Pending
	gamma, pub []byte
}

func (g *cmpGroup) helper(i int) int { return (g.base + i) % 3 }

// wipe clears the group's secrets.
func (g *cmpGroup) wipe() {
	for _, v := range []fr.Vector{g.beta, g.rhi, g.rmid, g.toB, g.r, g.c, g.lin} {
		clear(v)
	}
	clear(g.comps)
	clear(g.gamma)
	for i := range g.maskBits {
		clear(g.maskBits[i])
	}
	for i := range g.nonce {
		clear(g.nonce[i])
	}
}

// compareState carries the comparisons of a Batch through their rounds.
type compareState struct {
	e    *Engine
	gs   []*cmpGroup
	bits *refill // the blinding bits β
}

// hashLen is the length of an equality-test hash: two different strings collide with
// probability 2^-64, which would flip one comparison.
const hashLen = 8

// startCompare draws the masks of b's comparisons and adds the first round's
// messages to b.
func (e *Engine) startCompare(b *Batch) *compareState {
	n := 0
	for _, g := range b.cmps {
		n += len(g.x)
	}
	// The blinding bits: their components are known now, their shares are made by
	// two multiplications in the first two rounds, in time for the third.
	st := &compareState{e: e, gs: b.cmps, bits: e.newRefill(n)}
	st.bits.first(b)
	off := 0
	for _, g := range b.cmps {
		g.base = e.helper
		e.helper = (e.helper + len(g.x)) % 3
		g.comps = st.bits.comps[off : off+len(g.x)]
		off += len(g.x)
		e.drawMasks(g)
	}
	var buf [fr.Bytes]byte
	for _, g := range b.cmps {
		y := e.maskedOpen([]fr.Vector{g.x}, len(g.x))
		top := pow2(g.top)
		for i := range y {
			h := g.helper(i)
			if h == e.self { // c = x + 2^top + r
				y[i].Add(&y[i], &g.r[i])
				y[i].Add(&y[i], &top)
			}
			for k, p := range e.peers {
				if p != h {
					encode(buf[:], y[i:i+1])
					b.out[k] = append(b.out[k], buf[:]...)
				}
				if e.self != h {
					b.want[k] += fr.Bytes
				}
				if g.s > 0 && h == e.self && p == (h+2)%3 {
					encode(buf[:], g.toB[i:i+1])
					b.out[k] = append(b.out[k], buf[:]...)
				}
				if g.s > 0 && p == h && e.self == (h+2)%3 {
					b.want[k] += fr.Bytes
				}
			}
		}
		g.c = y // this party's part, completed on receipt
	}
	clear(buf[:])
	b.recv = st.receiveOpened
	return st
}

// drawMasks draws, from the PRSS keys, what each element of g needs: for a key
// shared with the helper, bits of r”, ρ and a share of r”; for the key A and B
// share, the nonce and the permutation of the equality tests. H also computes the
// mask.
func (e *Engine) drawMasks(g *cmpGroup) {
	n, m := len(g.x), g.m
	g.maskBits = make([][]byte, n)
	g.rhi = make(fr.Vector, n)
	g.r = make(fr.Vector, n)
	if g.s > 0 {
		g.rmid = make(fr.Vector, n)
		g.toB = make(fr.Vector, n)
	}
	g.nonce, g.perm = make([][]byte, n), make([][]int, n)
	rho := make(fr.Vector, n)  // ρ from the key with the helper, by element
	rho2 := make(fr.Vector, n) // the helper's second ρ
	share := make(fr.Vector, n)
	second := make([][]byte, n) // the helper's second bit string
	for t := range 3 {
		if t == e.self {
			continue
		}
		var hx, ab []int
		for i := range n {
			if g.helper(i) == t {
				ab = append(ab, i)
			} else {
				hx = append(hx, i)
			}
		}
		// Key t is shared by the helper and one other party for the elements in hx.
		bits := e.pair[t].bits(len(hx) * m)
		rs := make(fr.Vector, len(hx))
		e.pair[t].bounded(rs, g.hiBits)
		var fs fr.Vector
		if g.s > 0 {
			fs = make(fr.Vector, len(hx))
			e.pair[t].field(fs)
		}
		for k, i := range hx {
			h := g.helper(i)
			w := bits[k*m : (k+1)*m : (k+1)*m]
			var r fr.Element
			r.Mul(&rs[k], &e.coef[t])
			g.rhi[i].Add(&g.rhi[i], &r)
			if e.self != h || t == (h+2)%3 { // a and ρ_A come from the key not known to B
				g.maskBits[i], rho[i] = w, rs[k]
				if fs != nil {
					share[i] = fs[k]
				}
			} else {
				second[i], rho2[i] = w, rs[k]
			}
		}
		// Key t is shared by A and B for the elements in ab.
		const nonceLen = 16
		raw := e.pair[t].bytes(len(ab) * (nonceLen + 8*m))
		for k, i := range ab {
			w := raw[k*(nonceLen+8*m) : (k+1)*(nonceLen+8*m)]
			g.nonce[i] = append([]byte(nil), w[:nonceLen]...)
			g.perm[i] = permutation(w[nonceLen:], m)
		}
		clear(raw)
		clear(rs)
	}
	for i := range n {
		h := g.helper(i)
		switch e.self {
		case (h + 1) % 3: // A: its share of r” is drawn
			if g.s > 0 {
				g.rmid[i] = share[i]
			}
		case h:
			// maskBits holds a (from the key not known to B), second holds b.
			for j := range m {
				g.maskBits[i][j] ^= second[i][j]
			}
			clear(second[i])
			var rmid fr.Element
			for j := m - 1; j >= 0; j-- {
				rmid.Double(&rmid)
				if g.maskBits[i][j] == 1 {
					one := fr.One()
					rmid.Add(&rmid, &one)
				}
			}
			// r = r_lo + 2^s·(r” + 2^m·(ρ_A + ρ_B)).
			hi := pow2(m)
			var rp fr.Element
			rp.Add(&rho[i], &rho2[i])
			rp.Mul(&rp, &hi)
			rp.Add(&rp, &rmid)
			if g.s > 0 {
				lo := make(fr.Vector, 1)
				e.own.bounded(lo, g.s)
				sc := pow2(g.s)
				rp.Mul(&rp, &sc)
				rp.Add(&rp, &lo[0])
				clear(lo)
				// Share r” on the line through (0, r”) and (x_A, share): the share of
				// A is drawn, the share of B is sent.
				a, bb := (h+1)%3, (h+2)%3
				var slope, inv fr.Element
				slope.Sub(&share[i], &rmid)
				inv.Inverse(&e.x[a])
				slope.Mul(&slope, &inv)
				g.rmid[i].Mul(&slope, &e.x[h])
				g.rmid[i].Add(&g.rmid[i], &rmid)
				g.toB[i].Mul(&slope, &e.x[bb])
				g.toB[i].Add(&g.toB[i], &rmid)
				slope.SetZero()
			}
			g.r[i] = rp
			rmid.SetZero()
			rp.SetZero()
		}
	}
	clear(rho)
	clear(rho2)
	clear(share)
}

// permutation returns a permutation of m positions from the random bytes w (8 per
// position), by Fisher and Yates; the bias of reducing 64 bits modulo at most m is
// below m·2^-64.
func permutation(w []byte, m int) []int {
	p := make([]int, m)
	for i := range p {
		p[i] = i
	}
	for i := m - 1; i > 0; i-- {
		j := int(binary.LittleEndian.Uint64(w[8*i:]) % uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// receiveOpened completes c for A and B and B's shares of r”.
func (st *compareState) receiveOpened(in [2][]byte) error {
	e := st.e
	var pos [2]int
	var v fr.Vector = make(fr.Vector, 1)
	next := func(k int) error {
		if len(in[k])-pos[k] < fr.Bytes {
			return errShort
		}
		err := decode(v, in[k][pos[k]:pos[k]+fr.Bytes])
		pos[k] += fr.Bytes
		return err
	}
	for _, g := range st.gs {
		for i := range g.c {
			h := g.helper(i)
			for k, p := range e.peers {
				if e.self != h {
					if err := next(k); err != nil {
						return fmt.Errorf("comparison: %w", err)
					}
					g.c[i].Add(&g.c[i], &v[0])
				}
				if g.s > 0 && p == h && e.self == (h+2)%3 {
					if err := next(k); err != nil {
						return fmt.Errorf("comparison: %w", err)
					}
					g.rmid[i] = v[0]
				}
			}
			if e.self == h {
				g.c[i].SetZero()
			}
		}
	}
	return nil
}

// abandon clears the comparisons' secrets when they do not finish.
func (st *compareState) abandon() {
	for _, g := range st.gs {
		g.wipe()
	}
	st.bits.wipe()
}

// finish runs the second and third rounds of the comparisons.
func (st *compareState) finish(ctx context.Context) error {
	e := st.e
	done := false
	defer func() {
		if !done {
			st.abandon()
			return
		}
		for _, g := range st.gs {
			g.wipe()
		}
	}()
	// Round 2: hashes to the helpers, products for min.
	b := e.NewBatch()
	one := fr.One()
	for _, g := range st.gs {
		n := len(g.x)
		g.lin = make(fr.Vector, n)
		if g.s > 0 {
			g.trunc = make(fr.Vector, n)
		}
		twoM, off := pow2(g.m), pow2(g.top-g.s)
		for i := range n {
			h := g.helper(i)
			var cs, q fr.Element // shares of floor(c/2^s) and floor(c/2^(s+m))
			if e.self != h {
				cs = g.c[i]
				if g.s > 0 {
					cs = shiftRight(&cs, g.s)
				}
				q = shiftRight(&cs, g.m)
				cs.Mul(&cs, &e.coef[h])
				q.Mul(&q, &e.coef[h])
			}
			g.lin[i].Sub(&one, &q)
			g.lin[i].Add(&g.lin[i], &g.rhi[i])
			if g.s > 0 {
				// The truncation: floor(c/2^s) - r” - 2^m·r' - 2^(top-s).
				var t fr.Element
				t.Mul(&twoM, &g.rhi[i])
				t.Add(&t, &g.rmid[i])
				t.Add(&t, &off)
				g.trunc[i].Sub(&cs, &t)
			}
		}
		g.xm = g.x
		if g.s > 0 {
			g.xm = g.trunc
		}
		if g.withMin {
			g.p1 = b.Mul(g.lin, g.xm)
		}
		for i := range n {
			h := g.helper(i)
			if e.self == h {
				for k := range e.peers {
					b.want[k] += g.m * hashLen
				}
				continue
			}
			k := e.peerIndex(h)
			b.out[k] = e.appendHashes(b.out[k], g, i)
		}
	}
	st.bits.second(b)
	b.recv = st.receiveHashes
	if err := b.round(ctx); err != nil {
		return err
	}

	// Round 3: the helpers open u ⊕ β; β·x for min.
	beta := st.bits.shares()
	off := 0
	b = e.NewBatch()
	for _, g := range st.gs {
		g.beta = beta[off : off+len(g.x)]
		off += len(g.x)
		if g.withMin {
			g.p2 = b.Mul(g.beta, g.xm)
		}
		g.pub = make([]byte, len(g.x))
		for i := range g.x {
			h := g.helper(i)
			if e.self == h {
				a, bb := (h+1)%3, (h+2)%3
				g.pub[i] = g.gamma[i] ^ (g.comps[i]>>a)&1 ^ (g.comps[i]>>bb)&1
				for k := range e.peers {
					b.out[k] = append(b.out[k], g.pub[i])
				}
			} else {
				b.want[e.peerIndex(h)]++
			}
		}
	}
	b.recv = st.receivePub
	if err := b.round(ctx); err != nil {
		return err
	}
	for _, g := range st.gs {
		n := len(g.x)
		g.q = make(fr.Vector, n)
		if g.withMin {
			g.min = make(fr.Vector, n)
		}
		var p1, p2 fr.Vector
		if g.withMin {
			p1, p2 = g.p1.Value(), g.p2.Value()
		}
		for i := range n {
			// u = pub ⊕ β; q = floor(c/2^(s+m)) - r' - u = 1 - lin - u.
			var u fr.Element
			if g.pub[i] == 0 {
				u = g.beta[i]
			} else {
				u.Sub(&one, &g.beta[i])
			}
			g.q[i].Sub(&one, &g.lin[i])
			g.q[i].Sub(&g.q[i], &u)
			if g.withMin {
				// [x < 0]·x = lin·x + u·x, u·x = β·x or x - β·x.
				mn := &g.min[i]
				if g.pub[i] == 0 {
					mn.Add(&p1[i], &p2[i])
				} else {
					mn.Add(&p1[i], &g.xm[i])
					mn.Sub(mn, &p2[i])
				}
			}
			u.SetZero()
		}
		g.set(g)
	}
	clear(beta)
	st.bits.wipe()
	done = true
	return nil
}

// peerIndex returns k with e.peers[k] == p.
func (e *Engine) peerIndex(p int) int {
	if e.peers[0] == p {
		return 0
	}
	return 1
}

// appendHashes appends the m hashes of element i's equality tests, for A or B.
//
// With target P = c mod 2^m when δ = 0 and P = c mod 2^m + 1 when δ = 1, u ⊕ δ = 1
// exactly when some bit j with P_j = δ has r”_k = P_k above j and r”_j ≠ P_j: with
// r” = a ⊕ b, when b_k = P_k ⊕ a_k above j and b_j = P_j ⊕ a_j ⊕ 1. A hashes the
// left side (P ⊕ a above j, then P_j ⊕ a_j ⊕ 1) where P_j = δ and sends random
// bytes elsewhere; B hashes b. The hash of a string is a chain of block cipher
// calls from the top bit down from the nonce, so all m hashes cost 2m calls. When
// δ = 1 and P = 2^m the answer is 1 whatever r”: both send the same hash in one
// position.
func (e *Engine) appendHashes(dst []byte, g *cmpGroup, i int) []byte {
	h := g.helper(i)
	isA := e.self == (h+1)%3
	m := g.m
	blk := e.hash[h]
	delta := (g.comps[i] >> h) & 1
	// The target's bits.
	cs := g.c[i]
	if g.s > 0 {
		cs = shiftRight(&cs, g.s)
	}
	limbs := cs.Bits()
	target := make([]byte, m)
	for j := range target {
		target[j] = bit(&limbs, j)
	}
	always := false
	if delta == 1 {
		carry := byte(1)
		for j := 0; j < m && carry == 1; j++ {
			target[j] ^= 1
			carry = 1 - target[j]
		}
		always = carry == 1
	}
	start := len(dst)
	dst = append(dst, make([]byte, m*hashLen)...)
	out := dst[start:]
	var own []byte
	if isA {
		own = e.own.bytes(m * hashLen)
	}
	var x, in, y [16]byte
	copy(x[:], g.nonce[i])
	mine := g.maskBits[i]
	for j := m - 1; j >= 0; j-- {
		v := mine[j]
		if isA {
			v ^= target[j]
		}
		slot := out[hashLen*g.perm[i][j] : hashLen*(g.perm[i][j]+1)]
		switch {
		case isA && (always || target[j] != delta):
			copy(slot, own[hashLen*j:hashLen*(j+1)])
		default:
			ov := v
			if isA {
				ov ^= 1
			}
			hashBlock(blk, &y, &in, &x, j, ov, 1)
			copy(slot, y[:hashLen])
		}
		hashBlock(blk, &x, &in, &x, j, v, 0)
	}
	if always {
		copy(x[:], g.nonce[i])
		hashBlock(blk, &y, &in, &x, 0xffff, 0, 2)
		slot := out[hashLen*g.perm[i][0] : hashLen*(g.perm[i][0]+1)]
		copy(slot, y[:hashLen])
	}
	clear(x[:])
	clear(y[:])
	clear(in[:])
	clear(target)
	clear(own)
	return dst
}

// hashBlock sets out to E(x ⊕ (j, bit, domain)), with in as scratch.
func hashBlock(blk cipher.Block, out, in, x *[16]byte, j int, bit byte, domain byte) {
	*in = *x
	in[0] ^= byte(j)
	in[1] ^= byte(j >> 8)
	in[2] ^= bit
	in[3] ^= domain
	blk.Encrypt(out[:], in[:])
}

// receiveHashes finds, for each element this party helps with, whether one pair of
// hashes is equal.
func (st *compareState) receiveHashes(in [2][]byte) error {
	e := st.e
	var pos [2]int
	for _, g := range st.gs {
		g.gamma = make([]byte, len(g.x))
		for i := range g.x {
			h := g.helper(i)
			if e.self != h {
				continue
			}
			kA, kB := e.peerIndex((h+1)%3), e.peerIndex((h+2)%3)
			la, lb := in[kA][pos[kA]:], in[kB][pos[kB]:]
			if len(la) < g.m*hashLen || len(lb) < g.m*hashLen {
				return fmt.Errorf("comparison: %w", errShort)
			}
			for j := range g.m {
				if string(la[j*hashLen:(j+1)*hashLen]) == string(lb[j*hashLen:(j+1)*hashLen]) {
					g.gamma[i] = 1
				}
			}
			pos[kA] += g.m * hashLen
			pos[kB] += g.m * hashLen
		}
	}
	return nil
}

// receivePub reads the opened bits u ⊕ β.
func (st *compareState) receivePub(in [2][]byte) error {
	e := st.e
	var pos [2]int
	for _, g := range st.gs {
		for i := range g.x {
			h := g.helper(i)
			if e.self == h {
				continue
			}
			k := e.peerIndex(h)
			if pos[k] >= len(in[k]) {
				return fmt.Errorf("comparison: %w", errShort)
			}
			p := in[k][pos[k]]
			pos[k]++
			if p > 1 {
				return errors.New("comparison: opened bit is not 0 or 1")
			}
			g.pub[i] = p
		}
	}
	return nil
}
