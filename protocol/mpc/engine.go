// Package mpc is Triad's engine for secure computation among its three parties on
// degree-1 Shamir shares over BN254's scalar field (see crypto/shamir).
//
// Security model: semi-honest parties, honest majority (no two parties collude),
// private and authenticated channels between every pair (the transport's job).
// Additions and multiplications by public constants are local. Every interactive step
// opens only values that are uniformly random or statistically hidden by a mask with
// κ = 40 extra bits (Kappa), so a single party's view can be simulated from its inputs
// and outputs; each primitive's doc comment says what it opens.
//
// Randomness without a dealer comes from pseudo-random secret sharing (PRSS, Cramer,
// Damgård and Ishai 2005): for each party t, the other two share an AES key set up by
// New, and from these keys every party derives, without talking, its shares of random
// field elements, of random bounded integers and of sharings of zero. A sum of three
// terms, each unknown to one party, is unknown to every single party.
//
// The engine works on vectors. Every operation of a round is batched into one message
// per peer (see Batch), so a multiplication, an inner product of any length or a
// matrix-vector product costs one round; a comparison or an exact floor costs three,
// and a comparison can rescale its input (Comparison.Shift) and start in the round of
// other operations (Batch.Compare) at no extra round: it makes the one random bit it
// needs per value in its own rounds. Bit decompositions take random bits from a pool
// filled ahead in batches of two rounds. Numbers are integers embedded in the field (negative
// ones as p - |x|); fixed point is the caller's convention, with truncation by a
// power of two (Batch.Trunc, Floor, Comparison.Shift) to rescale.
//
// # Statistical masking
//
// Every masked opening adds to a value a, known to lie in [0, 2^b) from the bound the
// caller gives, a mask whose part unknown to the party that sees the result is
// uniform on [0, 2^(b+Kappa)): the two distributions of a + mask for any two values
// of a are then 2^-Kappa apart. The opened value stays below 2^(b+Kappa+3), so
// b + Kappa + 3 ≤ FieldBits (253, below log2 p ≈ 253.6) bounds every b:
//
//   - Trunc opens d + 2^(bits-1) + 2^shift·hi + lo, where hi and lo are sums of three
//     PRSS integers of bits+Kappa-shift and shift bits, each unknown to one party:
//     b = bits.
//   - BitDec opens x + sum_j 2^j·b_j + 2^bits·hi with shared random bits b_j and a
//     PRSS hi of Kappa bits: b = bits.
//   - Compare and Floor open c = a + r, a = x + 2^top < 2^(top+1), to the two parties
//     other than the value's helper only. r = r_lo + 2^s·(r” + 2^m·(ρ_A + ρ_B)): r_lo
//     (s bits, the helper's alone), r” (m bits a_j ⊕ b_j, one string from each key the
//     helper shares) and ρ_A, ρ_B (top+1+Kappa-s-m bits each, one from each key): the
//     part unknown to A is r_lo + 2^s·r” + 2^(s+m)·ρ_B, uniform on
//     [0, 2^(top+1+Kappa)), and so for B; b = top+1 with top = Bits-1 (Bits when
//     Shift > 0, for the rounding's carry) or bits-1 for Floor. The helper, which
//     knows r, sees no c: only keyed hashes (AES under a key it does not know, fresh
//     128-bit nonces, in an order it does not know), whose one piece of structure,
//     whether one pair is equal, is u ⊕ δ for a uniform bit δ it does not know. The
//     bit it opens is u ⊕ β for a random shared bit β. A hash collision (probability
//     below m·2^-64 per value) would flip one result; it reveals nothing.
//   - Everything else opened (products in the preprocessing, resharing points) is
//     uniform in the field.
//
// A comparison of a value of b bits sends 8·m bytes from each of two parties for its
// equality tests (m = b - 1, or Bits - Shift), about one and a third field elements
// per party to open c, and the two multiplications of its random bit; Min adds two.
// None of it is made ahead: a comparison costs three rounds on a fresh engine.
// On the wire a round is one payload per peer: the concatenated 32-byte encodings of
// its elements (Montgomery limbs, little-endian), nothing else, since both sides know
// the layout; payloads above protocol.MaxMessage travel as several messages.
//
// An Engine is not safe for concurrent use: the three parties' engines must issue the
// same operations in the same order.
package mpc

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/triad-mpc/triad/protocol"
)

// Kappa is the statistical security parameter: a masked value is hidden up to a
// statistical distance of 2^-Kappa.
const Kappa = 40

// FieldBits is the number of bits that masked values may use: a value with b bits
// plus its mask must stay below the field's modulus (about 2^253.6).
const FieldBits = 253

// Engine runs the MPC protocol for one party.
type Engine struct {
	t     protocol.Transport
	self  int
	peers [2]int
	own   *prg          // private randomness
	pair  [3]*prg       // pair[t], t != self: the key shared with the other party that is not t
	coef  [3]fr.Element // f_t(x_self) = 1 - x_self/x_t: PRSS weight for set {t}
	// randCoef[t] is coef[t] divided by the weight of the lower-numbered party that
	// knows r_t: 1 for that party.
	randCoef [3]fr.Element
	x        [3]fr.Element // evaluation points 1, 2, 3

	// next and prev are the parties (i+1) and (i+2) mod 3; invNext is 1/x_next.
	next, prev int
	invNext    fr.Element

	// hash[t], t != self: a block cipher under a key shared with the other party that
	// is not t, for the equality tests of comparisons in which t is the helper.
	hash [3]cipher.Block
	// helper is the helper of the next element compared: helpers rotate over the
	// elements so that the parties share the load.
	helper int

	rounds int
	sent   int64

	pool     pool
	minBatch int

	// Scratch vectors for temporaries of a round, reused to spare the allocator.
	scratch [3]fr.Vector
}

// tmp returns scratch vector k with length n. Its contents are arbitrary, and it is
// valid until the next call with the same k.
func (e *Engine) tmp(k, n int) fr.Vector {
	if cap(e.scratch[k]) < n {
		e.scratch[k] = make(fr.Vector, n, n+n/4)
	}
	return e.scratch[k][:n]
}

// Option configures an Engine.
type Option func(*Engine)

// WithPreprocessing sets the least number of random bits that one preprocessing
// batch makes for bit decompositions. By default a batch makes what the decomposition
// that needs it uses, no more: a caller that decomposes many small vectors in turn
// saves two rounds for every batch it spares by setting a larger one.
func WithPreprocessing(n int) Option {
	return func(e *Engine) {
		if n > 0 {
			e.minBatch = n
		}
	}
}

// New returns the engine of the party that owns t, after one round in which the
// parties set up their pairwise PRSS keys. random must be a cryptographically secure
// source (crypto/rand.Reader); the engine seeds its generators from it.
func New(ctx context.Context, t protocol.Transport, random io.Reader, opts ...Option) (*Engine, error) {
	self := t.Self()
	if !self.Valid() {
		return nil, fmt.Errorf("mpc: transport of unknown role %v", self)
	}
	e := &Engine{t: t, self: int(self)}
	for _, o := range opts {
		o(e)
	}
	others := self.Others()
	e.peers = [2]int{int(others[0]), int(others[1])}
	for i := range e.x {
		e.x[i].SetUint64(uint64(i + 1))
	}
	for t := range 3 {
		if t == e.self {
			continue
		}
		// f_t(x) = 1 - x/x_t: 1 at 0, 0 at x_t.
		var inv fr.Element
		inv.Inverse(&e.x[t])
		e.coef[t].Mul(&e.x[e.self], &inv)
		one := fr.One()
		e.coef[t].Sub(&one, &e.coef[t])
	}
	for t := range 3 {
		if t == e.self {
			continue
		}
		low := min(3-t-e.self, e.self) // the lower of the two parties other than t
		var w fr.Element               // f_t(x_low)
		w.Inverse(&e.x[t])
		w.Mul(&w, &e.x[low])
		one := fr.One()
		w.Sub(&one, &w)
		w.Inverse(&w)
		e.randCoef[t].Mul(&e.coef[t], &w)
	}
	e.next, e.prev = (e.self+1)%3, (e.self+2)%3
	e.invNext.Inverse(&e.x[e.next])
	var err error
	if e.own, err = seedPRG(random); err != nil {
		return nil, err
	}
	if err := e.setupPRSS(ctx); err != nil {
		return nil, err
	}
	for t := range 3 {
		if t != e.self {
			key := e.pair[t].key()
			e.hash[t], _ = aes.NewCipher(key) // 32 bytes: never fails
			clear(key)
		}
	}
	return e, nil
}

// setupPRSS gives each pair of parties a key unknown to the third. The key for the set
// {t} is drawn by the lower-numbered of the two other parties and sent to the higher.
func (e *Engine) setupPRSS(ctx context.Context) error {
	out := make(map[protocol.Role][]byte, 2)
	for _, p := range e.peers {
		out[protocol.Role(p)] = []byte{setupVersion}
	}
	for t := range 3 {
		if t == e.self {
			continue
		}
		other := 3 - t - e.self // the third index
		if e.self < other {
			key := e.own.key()
			e.pair[t] = newPRG(key)
			out[protocol.Role(other)] = append(out[protocol.Role(other)], key...)
			clear(key)
		}
	}
	in, err := protocol.Exchange(ctx, e.t, out)
	if err != nil {
		return fmt.Errorf("mpc: set up keys: %w", err)
	}
	for t := range 3 {
		if t == e.self {
			continue
		}
		other := 3 - t - e.self
		msg := in[protocol.Role(other)]
		if e.self < other {
			// other sent no key to this party: only the version.
			if len(msg) != 1 || msg[0] != setupVersion {
				return fmt.Errorf("mpc: set up keys: malformed message of %d bytes from %s", len(msg), protocol.Role(other))
			}
			continue
		}
		if len(msg) != 1+prgKeySize || msg[0] != setupVersion {
			return fmt.Errorf("mpc: set up keys: malformed message of %d bytes from %s", len(msg), protocol.Role(other))
		}
		e.pair[t] = newPRG(msg[1:])
		clear(msg)
	}
	e.rounds++
	e.sent += int64(len(out[protocol.Role(e.peers[0])]) + len(out[protocol.Role(e.peers[1])]))
	return nil
}

const setupVersion = 1

// Self returns the role of this party.
func (e *Engine) Self() protocol.Role { return protocol.Role(e.self) }

// Rounds returns the number of communication rounds so far, key setup included.
func (e *Engine) Rounds() int { return e.rounds }

// BytesSent returns the number of payload bytes this party has sent so far.
func (e *Engine) BytesSent() int64 { return e.sent }

var errShort = errors.New("short message")

// exchange sends msg[k] to e.peers[k] and returns what each peer sent, splitting
// payloads larger than protocol.MaxMessage into several messages. Both sides know the
// length of every payload, so chunks need no framing.
func (e *Engine) exchange(ctx context.Context, msg [2][]byte, inLen [2]int) ([2][]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	for k, p := range e.peers {
		go func() {
			b := msg[k]
			for first := true; first || len(b) > 0; first = false {
				n := min(len(b), protocol.MaxMessage)
				if err := e.t.Send(ctx, protocol.Role(p), b[:n]); err != nil {
					errc <- err // the transport names the peer
					return
				}
				b = b[n:]
			}
			errc <- nil
		}()
	}
	var in [2][]byte
	for k, p := range e.peers {
		var buf []byte
		for first := true; first || len(buf) < inLen[k]; first = false {
			m, err := e.t.Recv(ctx, protocol.Role(p))
			if err != nil {
				return in, err // the transport names the peer
			}
			if len(buf)+len(m) > inLen[k] || (len(m) < protocol.MaxMessage && len(buf)+len(m) < inLen[k]) {
				return in, fmt.Errorf("receive from %s: message of %d bytes where %d remain: %w", protocol.Role(p), len(m), inLen[k]-len(buf), errShort)
			}
			if first && len(m) == inLen[k] {
				buf = m // the whole payload in one message: no copy
				break
			}
			if buf == nil {
				buf = make([]byte, 0, inLen[k])
			}
			buf = append(buf, m...)
		}
		in[k] = buf
	}
	for range e.peers {
		if err := <-errc; err != nil {
			return in, err
		}
	}
	e.rounds++
	e.sent += int64(len(msg[0]) + len(msg[1]))
	return in, nil
}

// Elements travel as their four 64-bit Montgomery limbs, little-endian: 32 bytes,
// no conversion, and a receiver rejects any limbs that do not encode a value below p.

// encode writes the wire encodings of v at the start of b.
func encode(b []byte, v fr.Vector) {
	b = b[:len(v)*fr.Bytes]
	for i := range v {
		w := b[fr.Bytes*i : fr.Bytes*(i+1)]
		binary.LittleEndian.PutUint64(w[0:], v[i][0])
		binary.LittleEndian.PutUint64(w[8:], v[i][1])
		binary.LittleEndian.PutUint64(w[16:], v[i][2])
		binary.LittleEndian.PutUint64(w[24:], v[i][3])
	}
}

// decode parses len(out) elements from b.
func decode(out fr.Vector, b []byte) error {
	if len(b) != len(out)*fr.Bytes {
		return fmt.Errorf("%d bytes for %d elements", len(b), len(out))
	}
	for i := range out {
		w := b[fr.Bytes*i : fr.Bytes*(i+1)]
		l := [4]uint64{
			binary.LittleEndian.Uint64(w[0:]), binary.LittleEndian.Uint64(w[8:]),
			binary.LittleEndian.Uint64(w[16:]), binary.LittleEndian.Uint64(w[24:]),
		}
		if !belowModulus(&l) {
			return fmt.Errorf("element %d is not reduced", i)
		}
		out[i] = fr.Element(l)
	}
	return nil
}

// RunLocal runs f with an engine for each of the three parties over net, all in this
// process, as tests and benchmarks do; see protocol.RunParties for how failures end it.
func RunLocal[T any](ctx context.Context, net *protocol.MemNetwork, random io.Reader, f func(ctx context.Context, e *Engine, r protocol.Role) (T, error)) ([3]T, error) {
	return protocol.RunParties(ctx, func(ctx context.Context, r protocol.Role) (T, error) {
		e, err := New(ctx, net.Transport(r), random)
		if err != nil {
			var zero T
			return zero, err
		}
		return f(ctx, e, r)
	})
}
