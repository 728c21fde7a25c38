package join

import (
	"context"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/triad-mpc/triad/crypto/shamir"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/wire"
)

const elementSize = fr.Bytes

// reshare is step 7. Each controller Shamir-shares its additive shares (degree 1, so any
// two parties reconstruct) and sends one share to each other party; every party adds
// the shares it got from the two controllers. The sum is a Shamir share of the table.
func (p *Party) reshare(ctx context.Context) error {
	cols, rows := len(p.schema.Columns), p.rows
	idx := int(p.role)
	var own fr.Vector // this party's share from its own dealing (controllers)
	var sends []<-chan error
	if p.role != protocol.ThirdParty {
		flat := make(fr.Vector, 0, cols*rows)
		for _, col := range p.adds {
			flat = append(flat, col...)
			shamir.Wipe(col)
		}
		p.adds = nil
		shares, err := shamir.Share(p.random, flat)
		shamir.Wipe(flat)
		if err != nil {
			return err
		}
		own = shares[idx]
		for _, to := range p.role.Others() {
			v := shares[to]
			sends = append(sends, p.link.sendStream(ctx, to, len(v), p.batch/elementSize, shareBatch(v)))
		}
	}
	sum := make(fr.Vector, cols*rows)
	if own != nil {
		copy(sum, own)
		shamir.Wipe(own)
	}
	for _, from := range controllers {
		if from == p.role {
			continue
		}
		if err := p.receiveShares(ctx, from, sum); err != nil {
			return err
		}
	}
	for _, s := range sends {
		if err := <-s; err != nil {
			return fmt.Errorf("shares: %w", err)
		}
	}
	out := &Shares{Schema: p.schema, Rows: rows, Frac: p.params.Fixed.Frac, Cols: make([]fr.Vector, cols)}
	for j := range out.Cols {
		out.Cols[j] = sum[j*rows : (j+1)*rows : (j+1)*rows]
	}
	p.out = out
	return nil
}

// shareBatch returns the builder of the messages of shares v[lo:hi]; it wipes v once
// the last is built.
func shareBatch(v fr.Vector) func(lo, hi int) (*wire.Envelope, error) {
	return func(lo, hi int) (*wire.Envelope, error) {
		msg := &wire.Shares{Data: make([]byte, 0, (hi-lo)*elementSize), Last: hi == len(v)}
		for i := lo; i < hi; i++ {
			b := v[i].Bytes()
			msg.Data = append(msg.Data, b[:]...)
		}
		if msg.Last {
			shamir.Wipe(v)
		}
		return envShares(msg), nil
	}
}

// receiveShares adds a controller's stream of shares into sum.
func (p *Party) receiveShares(ctx context.Context, from protocol.Role, sum fr.Vector) error {
	at := 0
	err := recvStream(ctx, &p.link, from, (*wire.Envelope).GetShares, "Shamir shares", (*wire.Shares).GetLast, func(m *wire.Shares) error {
		defer clear(m.Data)
		if len(m.Data)%elementSize != 0 || at+len(m.Data)/elementSize > len(sum) {
			return fmt.Errorf("%s sent %d bytes of shares, which do not fit the %d elements left", from, len(m.Data), len(sum)-at)
		}
		var e fr.Element
		for i := 0; i < len(m.Data); i += elementSize {
			if err := e.SetBytesCanonical(m.Data[i : i+elementSize]); err != nil {
				return fmt.Errorf("share %d from %s: %w", at, from, err)
			}
			sum[at].Add(&sum[at], &e)
			at++
		}
		p.progress(int64(at), int64(len(sum)))
		return nil
	})
	if err != nil {
		return err
	}
	if at != len(sum) {
		return fmt.Errorf("%s sent %d shares, want %d", from, at, len(sum))
	}
	return nil
}
