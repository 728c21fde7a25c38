package join

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/triad-mpc/triad/crypto/paillier"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/wire"
)

var controllers = [2]protocol.Role{protocol.ControllerA, protocol.ControllerB}

// receiveKeys is the third party's side of step 3: both controllers' public keys.
func (p *Party) receiveKeys(ctx context.Context) error {
	for _, r := range controllers {
		pk, err := p.recvKey(ctx, r)
		if err != nil {
			return err
		}
		p.pk[r] = pk
	}
	return p.setLayout()
}

// tagged holds the two controllers' encrypted rows at the third party while step 4
// matches them: each row's ciphertexts as bytes, back to back, found by tag. A row is
// kept while it may still match: always while the other controller is still sending,
// and afterwards only if the other sent the same tag.
type tagged struct {
	mu    sync.Mutex
	index map[[32]byte][2]int32 // tag → row in rows[k] of each controller k, or -1
	rows  [2][][]byte           // nil once dropped
	count [2]int                // rows received from each controller
	done  [2]bool               // whether each controller's stream has ended
	p     *Party
}

// add takes one row of controller k.
func (t *tagged) add(k int, tag [32]byte, cts []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.count[k]++
	e, ok := t.index[tag]
	if !ok {
		e = [2]int32{-1, -1}
	}
	if e[k] >= 0 {
		return fmt.Errorf("%s sent the same tag twice", controllers[k])
	}
	if t.done[1-k] && e[1-k] < 0 {
		return nil // the other controller has no such row: it cannot match
	}
	e[k] = int32(len(t.rows[k]))
	t.index[tag] = e
	t.rows[k] = append(t.rows[k], bytes.Clone(cts))
	t.p.hold(int64(len(cts)))
	return nil
}

// finish marks controller k's stream as ended and drops the other's rows that now
// cannot match.
func (t *tagged) finish(k int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done[k] = true
	for tag, e := range t.index {
		if e[k] < 0 {
			t.drop(1-k, e[1-k])
			delete(t.index, tag)
		}
	}
}

func (t *tagged) drop(k int, i int32) {
	t.p.hold(-int64(len(t.rows[k][i])))
	t.rows[k][i] = nil
}

// intersect is step 4: receive both controllers' tagged rows, match tags, keep the
// matched rows in a fresh random order and tell both controllers only how many. Rows are
// matched as they arrive, so the third party holds the ciphertexts of matched rows and
// of rows that may still match, never of the others (see tagged).
func (p *Party) intersect(ctx context.Context) error {
	t := &tagged{index: make(map[[32]byte][2]int32), p: p}
	errc := make(chan error, 2)
	for k, r := range controllers {
		go func() {
			err := p.receiveRows(ctx, r, p.layout.Ciphertexts(len(p.columnsOf(r))), func(tag [32]byte, cts []byte) error {
				return t.add(k, tag, cts)
			})
			if err == nil {
				t.finish(k)
			}
			errc <- err
		}()
	}
	var first error
	for range controllers {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	pairs := make([][2]int32, 0, len(t.index))
	for _, e := range t.index {
		pairs = append(pairs, e) // both controllers had the row: finish kept no other
	}
	t.index = nil
	if err := shuffle(p.random, len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] }); err != nil {
		return err
	}
	for k := range controllers {
		p.match[k] = make([][]byte, len(pairs))
		for i, pr := range pairs {
			p.match[k][i] = t.rows[k][pr[k]]
		}
	}
	t.rows = [2][][]byte{}
	p.rows = len(pairs)
	for k, r := range controllers {
		if err := p.log.Record(4, r, "input_rows", t.count[k]); err != nil {
			return err
		}
	}
	if err := p.log.Record(4, protocol.ThirdParty, "intersection_size", p.rows); err != nil {
		return err
	}
	for _, r := range controllers {
		if err := p.link.send(ctx, r, envCount(&wire.Count{Rows: uint64(p.rows)})); err != nil {
			return err
		}
	}
	if p.rows == 0 {
		return &NoMatchError{CaseFold: p.params.CaseFold}
	}
	return nil
}

// hold counts ciphertext bytes the third party takes (n > 0) or drops (n < 0).
func (p *Party) hold(n int64) {
	p.mu.Lock()
	p.held += n
	p.heldPeak = max(p.heldPeak, p.held)
	p.mu.Unlock()
}

// receiveRows reads one controller's stream of tagged encrypted rows, handing each row
// to use: its tag and its per ciphertexts, which use must copy to keep. The
// ciphertexts are checked when they are used, in step 5.
func (p *Party) receiveRows(ctx context.Context, from protocol.Role, per int, use func(tag [32]byte, cts []byte) error) error {
	width := per * p.pk[from].CiphertextSize()
	return recvStream(ctx, &p.link, from, (*wire.Envelope).GetRows, "encrypted rows", (*wire.Rows).GetLast, func(m *wire.Rows) error {
		if int(m.PerRow) != per {
			return fmt.Errorf("%s sent %d ciphertexts per row, want %d", from, m.PerRow, per)
		}
		if len(m.Tags)%32 != 0 {
			return fmt.Errorf("%s sent a tag list of %d bytes", from, len(m.Tags))
		}
		n := len(m.Tags) / 32
		if len(m.Ciphertexts) != n*width {
			return fmt.Errorf("%s sent %d tags with %d bytes of ciphertexts, want %d", from, n, len(m.Ciphertexts), n*width)
		}
		for i := range n {
			if err := use([32]byte(m.Tags[32*i:32*i+32]), m.Ciphertexts[i*width:(i+1)*width]); err != nil {
				return err
			}
		}
		return nil
	})
}

// blindAdd is steps 5 and 6 at the third party: for each controller, add the other's
// encrypted masks to its matched ciphertexts, re-randomise so the sum's randomness is
// fresh, and return the result to it. Both directions run at once; each matched row's
// ciphertexts are dropped once their sums are sent.
func (p *Party) blindAdd(ctx context.Context) error {
	var done atomic.Int64
	p.progress(0, 2*int64(p.rows))
	errc := make(chan error, 2)
	for k, owner := range controllers {
		maskFrom := controllers[1-k]
		go func() { errc <- p.blindAddFor(ctx, owner, maskFrom, p.match[k], &done) }()
	}
	var first error
	for range controllers {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	p.match = [2][][]byte{}
	return first
}

func (p *Party) blindAddFor(ctx context.Context, owner, maskFrom protocol.Role, rows [][]byte, done *atomic.Int64) error {
	pk := p.pk[owner]
	per := p.layout.Ciphertexts(len(p.columnsOf(owner)))
	// Uniform exponents: the owner knows its key's factors and could otherwise take
	// discrete logarithms of short-exponent factors and link what it gets back to
	// the rows it sent, learning which of them matched.
	pool, err := paillier.NewRandomness(ctx, pk, p.random, paillier.WithLimit(len(rows)*per), paillier.WithUniform())
	if err != nil {
		return err
	}
	defer pool.Close()
	row := 0
	size := pk.CiphertextSize()
	err = recvStream(ctx, &p.link, maskFrom, (*wire.Envelope).GetCiphertexts, "encrypted masks", (*wire.Ciphertexts).GetLast,
		func(m *wire.Ciphertexts) error {
			masks, err := parseCiphertexts(pk, m.Data)
			if err != nil {
				return fmt.Errorf("masks from %s: %w", maskFrom, err)
			}
			if len(masks)%per != 0 || row+len(masks)/per > len(rows) {
				return fmt.Errorf("%s sent %d masks, which do not fit the %d rows left", maskFrom, len(masks), len(rows)-row)
			}
			n := len(masks) / per
			var held int64
			for i := row; i < row+n; i++ {
				held += int64(len(rows[i]))
			}
			cts, err := parseCiphertexts(pk, slices.Concat(rows[row:row+n]...))
			if err != nil {
				return fmt.Errorf("rows from %s: %w", owner, err)
			}
			clear(rows[row : row+n])
			p.hold(-held)
			sums := make([]*paillier.Ciphertext, len(masks))
			for k, mk := range masks {
				sums[k] = pk.Add(cts[k], mk)
			}
			fresh, err := pk.RerandomizeBatch(ctx, pool, sums)
			if err != nil {
				return err
			}
			out := &wire.Ciphertexts{Data: make([]byte, 0, len(fresh)*size), Last: m.Last}
			for _, c := range fresh {
				out.Data = pk.AppendCiphertext(out.Data, c)
			}
			row += n
			p.progress(done.Add(int64(n)), 2*int64(p.rows))
			return p.link.send(ctx, owner, envCiphertexts(out))
		})
	if err != nil {
		return err
	}
	if row != len(rows) {
		return fmt.Errorf("%s sent masks for %d rows, want %d", maskFrom, row, len(rows))
	}
	return nil
}
