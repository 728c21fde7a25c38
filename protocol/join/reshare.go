package join

import (
	"context"
	"fmt"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/triad-mpc/triad/crypto/shamir"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/wire"
)

const elementSize = fr.Bytes

// reshare is step 7. Each controller Shamir-shares its additive shares (degree 1, so any
// two parties reconstruct) and sends one share to each other party; every party adds
// the shares it got from the two controllers. The sum is a Shamir share of the table.
//
// It runs batch by batch and in place: a controller overwrites each batch of its
// additive shares with its own Shamir shares of them as soon as the batch is dealt, and
// adds the other controller's shares of a batch once its own are there, so that it
// holds one copy of the table throughout, not one per share vector.
func (p *Party) reshare(ctx context.Context) error {
	cols, rows := len(p.schema.Columns), p.rows
	var sum []fr.Vector // by column of the schema
	if p.role == protocol.ThirdParty {
		sum = make([]fr.Vector, cols)
		for j := range sum {
			sum[j] = make(fr.Vector, rows)
		}
	} else {
		sum, p.adds = p.adds, nil
	}
	out := &Shares{Schema: p.schema, Rows: rows, Frac: p.params.Fixed.Frac, Cols: sum}
	cells := cells{cols: sum, rows: rows}
	var err error
	if p.role == protocol.ThirdParty {
		err = p.receiveBoth(ctx, cells)
	} else {
		err = p.dealAndReceive(ctx, cells)
	}
	if err != nil {
		out.Wipe()
		return err
	}
	p.out = out
	return nil
}

// cells addresses a table held by column as one sequence: cell e is row e%rows of
// column e/rows.
type cells struct {
	cols []fr.Vector
	rows int
}

func (c cells) len() int             { return len(c.cols) * c.rows }
func (c cells) at(e int) *fr.Element { return &c.cols[e/c.rows][e%c.rows] }
func (c cells) copyOut(v fr.Vector, lo int) {
	for i := range v {
		v[i] = *c.at(lo + i)
	}
}

// receiveBoth is the third party's side: it adds both controllers' streams of shares,
// read at once so that neither controller waits on the other's stream.
func (p *Party) receiveBoth(ctx context.Context, sum cells) error {
	var mu sync.Mutex
	errc := make(chan error, 2)
	for _, from := range controllers {
		go func() { errc <- p.receiveShares(ctx, from, sum, &mu, nil) }()
	}
	var first error
	for range controllers {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// dealAndReceive is a controller's side: it deals its additive shares in sum batch by
// batch, overwriting each with its own share, while it adds in the other controller's
// shares of the cells it has dealt.
//
// It cannot deadlock however the transport buffers: each controller's receiver waits
// only for its own dealer, and a dealer advances before it sends a batch; if both
// receivers waited, each controller would have dealt fewer cells than the other.
func (p *Party) dealAndReceive(ctx context.Context, sum cells) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dealt := &watermark{}
	dealt.cond.L = &dealt.mu
	var mu sync.Mutex // guards the cells against the receiver while the dealer writes
	recvd := make(chan error, 1)
	go func() {
		err := p.receiveShares(ctx, p.other(), sum, &mu, dealt.wait)
		if err != nil {
			cancel() // stop dealing
		}
		recvd <- err
	}()
	err := p.deal(ctx, sum, &mu, dealt)
	dealt.set(sum.len(), err) // release the receiver if dealing failed
	if rerr := <-recvd; rerr != nil {
		return rerr // the first failure: dealing stopped because of it
	}
	return err
}

// deal Shamir-shares the cells batch by batch: its own share replaces each cell, and
// the others' shares are sent to them.
func (p *Party) deal(ctx context.Context, sum cells, mu *sync.Mutex, dealt *watermark) error {
	n := sum.len()
	per := max(1, p.batch/elementSize)
	buf := make(fr.Vector, min(per, n))
	defer shamir.Wipe(buf)
	idx := int(p.role)
	for lo := 0; lo < n || lo == 0; lo += per {
		hi := min(lo+per, n)
		v := buf[:hi-lo]
		mu.Lock()
		sum.copyOut(v, lo)
		mu.Unlock()
		shares, err := shamir.Share(p.random, v)
		if err != nil {
			return err
		}
		mu.Lock()
		for i := range v {
			*sum.at(lo + i) = shares[idx][i]
		}
		mu.Unlock()
		dealt.set(hi, nil)
		for _, to := range p.role.Others() {
			if err == nil {
				err = p.link.send(ctx, to, envShares(sharesMessage(shares[to], hi == n)))
			}
		}
		for i := range shares {
			shamir.Wipe(shares[i])
		}
		if err != nil {
			return fmt.Errorf("shares: %w", err)
		}
		p.progress(int64(hi), int64(n))
		if hi == n {
			return nil
		}
	}
	return nil
}

// sharesMessage encodes one batch of shares.
func sharesMessage(v fr.Vector, last bool) *wire.Shares {
	msg := &wire.Shares{Data: make([]byte, 0, len(v)*elementSize), Last: last}
	for i := range v {
		b := v[i].Bytes()
		msg.Data = append(msg.Data, b[:]...)
	}
	return msg
}

// watermark is how many cells a controller has dealt, for its receiver to wait on.
type watermark struct {
	mu   sync.Mutex
	cond sync.Cond
	n    int
	err  error
}

func (w *watermark) set(n int, err error) {
	w.mu.Lock()
	w.n = max(w.n, n)
	if err != nil && w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.cond.Broadcast()
}

// wait returns once the first n cells are dealt, or dealing has failed.
func (w *watermark) wait(n int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.n < n && w.err == nil {
		w.cond.Wait()
	}
	return w.err
}

// receiveShares adds a controller's stream of shares into sum, under mu. ready, if not
// nil, is called with the end of each batch's cells before they are added.
func (p *Party) receiveShares(ctx context.Context, from protocol.Role, sum cells, mu *sync.Mutex, ready func(int) error) error {
	at, n := 0, sum.len()
	err := recvStream(ctx, &p.link, from, (*wire.Envelope).GetShares, "Shamir shares", (*wire.Shares).GetLast, func(m *wire.Shares) error {
		defer clear(m.Data)
		k := len(m.Data) / elementSize
		if len(m.Data)%elementSize != 0 || at+k > n {
			return fmt.Errorf("%s sent %d bytes of shares, which do not fit the %d elements left", from, len(m.Data), n-at)
		}
		if ready != nil {
			if err := ready(at + k); err != nil {
				return err
			}
		}
		mu.Lock()
		defer mu.Unlock()
		var e fr.Element
		for i := 0; i < len(m.Data); i += elementSize {
			if err := e.SetBytesCanonical(m.Data[i : i+elementSize]); err != nil {
				return fmt.Errorf("share %d from %s: %w", at, from, err)
			}
			c := sum.at(at)
			c.Add(c, &e)
			at++
		}
		e.SetZero()
		if p.role == protocol.ThirdParty {
			p.progress(int64(at), int64(n))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if at != n {
		return fmt.Errorf("%s sent %d shares, want %d", from, at, n)
	}
	return nil
}
