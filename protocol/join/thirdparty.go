package join

import (
	"context"
	"fmt"
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

// tagged is one controller's encrypted table as the third party holds it.
type tagged struct {
	tags [][32]byte
	cts  [][]*paillier.Ciphertext
}

// intersect is step 4: receive both controllers' tagged rows, match tags, keep the
// matched rows in a fresh random order and tell both controllers only how many.
func (p *Party) intersect(ctx context.Context) error {
	var got [2]tagged
	errc := make(chan error, 2)
	for k, r := range controllers {
		go func() {
			var err error
			got[k], err = p.receiveRows(ctx, r, p.layout.Ciphertexts(len(p.columnsOf(r))))
			errc <- err
		}()
	}
	for range controllers {
		if err := <-errc; err != nil {
			return err
		}
	}
	index := make(map[[32]byte]int, len(got[0].tags))
	for i, t := range got[0].tags {
		if _, dup := index[t]; dup {
			return fmt.Errorf("%s sent the same tag twice", protocol.ControllerA)
		}
		index[t] = i
	}
	var pairs [][2]int
	seen := make(map[[32]byte]bool, len(got[1].tags))
	for j, t := range got[1].tags {
		if seen[t] {
			return fmt.Errorf("%s sent the same tag twice", protocol.ControllerB)
		}
		seen[t] = true
		if i, ok := index[t]; ok {
			pairs = append(pairs, [2]int{i, j})
		}
	}
	if err := shuffle(p.random, len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] }); err != nil {
		return err
	}
	for k := range controllers {
		p.match[k] = make([][]*paillier.Ciphertext, len(pairs))
		for i, pr := range pairs {
			p.match[k][i] = got[k].cts[pr[k]]
		}
	}
	p.rows = len(pairs)
	for k, r := range controllers {
		if err := p.log.Record(4, r, "input_rows", len(got[k].tags)); err != nil {
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

// receiveRows collects one controller's stream of tagged encrypted rows.
func (p *Party) receiveRows(ctx context.Context, from protocol.Role, per int) (tagged, error) {
	var t tagged
	pk := p.pk[from]
	err := recvStream(ctx, &p.link, from, (*wire.Envelope).GetRows, "encrypted rows", (*wire.Rows).GetLast, func(m *wire.Rows) error {
		if int(m.PerRow) != per {
			return fmt.Errorf("%s sent %d ciphertexts per row, want %d", from, m.PerRow, per)
		}
		if len(m.Tags)%32 != 0 {
			return fmt.Errorf("%s sent a tag list of %d bytes", from, len(m.Tags))
		}
		cts, err := parseCiphertexts(pk, m.Ciphertexts)
		if err != nil {
			return fmt.Errorf("rows from %s: %w", from, err)
		}
		n := len(m.Tags) / 32
		if len(cts) != n*per {
			return fmt.Errorf("%s sent %d tags with %d ciphertexts, want %d", from, n, len(cts), n*per)
		}
		for i := range n {
			var tag [32]byte
			copy(tag[:], m.Tags[32*i:])
			t.tags = append(t.tags, tag)
			t.cts = append(t.cts, cts[i*per:(i+1)*per])
		}
		return nil
	})
	return t, err
}

// blindAdd is steps 5 and 6 at the third party: for each controller, add the other's
// encrypted masks to its matched ciphertexts, re-randomise so the sum's randomness is
// fresh, and return the result to it. Both directions run at once.
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
	p.match = [2][][]*paillier.Ciphertext{}
	return first
}

func (p *Party) blindAddFor(ctx context.Context, owner, maskFrom protocol.Role, rows [][]*paillier.Ciphertext, done *atomic.Int64) error {
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
			sums := make([]*paillier.Ciphertext, len(masks))
			for k, mk := range masks {
				sums[k] = pk.Add(rows[row+k/per][k%per], mk)
			}
			fresh, err := pk.RerandomizeBatch(ctx, pool, sums)
			if err != nil {
				return err
			}
			out := &wire.Ciphertexts{Data: make([]byte, 0, len(fresh)*size), Last: m.Last}
			for _, c := range fresh {
				out.Data = pk.AppendCiphertext(out.Data, c)
			}
			row += len(masks) / per
			p.progress(done.Add(int64(len(masks)/per)), 2*int64(p.rows))
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
