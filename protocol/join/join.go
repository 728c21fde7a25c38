// Package join runs steps 1–7 of the Triad protocol: two controllers and a third party
// turn two tables into 3-party Shamir shares of their inner join on a common identifier,
// and nobody learns more than the sizes (the third party) and the intersection size.
//
// Each controller shuffles its rows, hashes identifiers with a key agreed with the other
// controller (the third party never sees it), packs and encrypts its rows under its own
// Paillier key and sends them to the third party, which matches tags blind and keeps the
// matches in a fresh random order. Each controller then masks the other's matched cells
// (κ extra bits, under the other's key); the third party adds the masks and re-randomises,
// and each controller decrypts value+mask for its own cells: the two controllers now hold
// additive integer shares of every cell. Finally each controller Shamir-shares its
// additive shares among all three parties, who add what they receive.
//
// Every step streams in messages of a bounded size (WithBatchBytes), and a sender waits
// while its receiver is behind, so no party buffers without limit. A controller holds
// its plaintext table and one copy of the joined table's shares (its additive shares,
// which step 7 turns into Shamir shares in place, batch by batch). The third party
// matches rows as they arrive and keeps, as bytes, only the ciphertexts of rows that have
// matched or still may: every row of a controller while the other is still sending, and
// afterwards only rows whose tag the other sent. It reads both controllers at once, so
// how long one waits says nothing of the other's table.
package join

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/triad-mpc/triad/crypto/shamir"
	"io"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/triad-mpc/triad/crypto/fixedpoint"
	"github.com/triad-mpc/triad/crypto/paillier"
	"github.com/triad-mpc/triad/protocol"
)

// Params are the join's settings, which all three parties must agree on (the session's
// handshake compares them, and protocol/session validates them).
type Params struct {
	PaillierBits int               // Paillier modulus size
	Fixed        fixedpoint.Params // encoding of attribute values
	Kappa        int               // statistical masking parameter, in bits
	CaseFold     bool              // whether identifiers are case-folded before hashing
}

// DefaultParams returns the join settings Triad uses unless a site configures others.
func DefaultParams() Params {
	return Params{PaillierBits: 2048, Fixed: fixedpoint.Params{Frac: 24, Bits: 64}, Kappa: 40, CaseFold: true}
}

// Schema is the joined table's layout, the same at all three parties after the handshake:
// controller A's columns, then controller B's.
type Schema struct {
	Columns []string
	Owner   []protocol.Role // which controller contributes each column
	Outcome string          // the column to predict
}

// Features lists the regression's features: every column but the outcome, in order.
func (s Schema) Features() []string {
	var out []string
	for _, c := range s.Columns {
		if c != s.Outcome {
			out = append(out, c)
		}
	}
	return out
}

// Shares is one party's Shamir share of the joined table, column by column, with every
// value at fixed-point scale 2^Frac. Row order is the third party's random order of
// matches, the same at all three parties.
type Shares struct {
	Schema
	Rows int
	Frac int
	Cols []fr.Vector
}

// Wipe zeroes the shares; s may be nil.
func (s *Shares) Wipe() {
	if s == nil {
		return
	}
	for _, c := range s.Cols {
		shamir.Wipe(c)
	}
	s.Cols = nil
}

// Column returns the share of the named column, or nil.
func (s *Shares) Column(name string) fr.Vector {
	for i, c := range s.Columns {
		if c == name {
			return s.Cols[i]
		}
	}
	return nil
}

// Status is a party's progress, for operators watching a session.
type Status struct {
	Stage     string
	Done      int64 // rows or values handled in the current stage
	Total     int64
	BytesSent int64
}

// Stage is one named part of a party's work, run in order.
type Stage struct {
	Name  string
	Steps string // protocol steps it covers, e.g. "4"
	Run   func(context.Context) error
}

// StageIntersection names the stage of step 4, after which every party knows the
// intersection size.
const StageIntersection = "intersection"

// Party is one party's side of steps 1–7. Create it with NewController or NewThirdParty,
// give it the schema the handshake agreed (UseSchema), then run its Stages in order.
type Party struct {
	role   protocol.Role
	link   link
	params Params
	log    *protocol.Disclosure
	random io.Reader
	batch  int // payload bytes of one bulk message

	mu     sync.Mutex
	status Status

	table  *Table // controllers only
	schema Schema
	layout paillier.Layout

	tags  [][32]byte
	sk    *paillier.PrivateKey
	pk    [2]*paillier.PublicKey // by controller role: ControllerA, ControllerB
	rows  int                    // intersection size
	adds  []fr.Vector            // a controller's additive shares, by column of the schema
	match [2][][]byte            // the third party's matched rows' ciphertexts, by controller
	out   *Shares

	held, heldPeak int64 // ciphertext bytes the third party holds, now and at most (under mu)
}

// Option changes how a party runs, never what the parties agree on.
type Option func(*Party)

// WithBatchBytes bounds the payload of one bulk message (default 1 MiB).
func WithBatchBytes(n int) Option { return func(p *Party) { p.batch = max(1, n) } }

// NewController prepares a controller's side. table is its prepared data (ReadTable).
func NewController(t protocol.Transport, table *Table, p Params, log *protocol.Disclosure, opts ...Option) (*Party, error) {
	if r := t.Self(); r != protocol.ControllerA && r != protocol.ControllerB {
		return nil, fmt.Errorf("join: %s is not a controller", r)
	}
	if table == nil || len(table.Columns) == 0 {
		return nil, errors.New("join: a controller needs a table with at least one attribute column")
	}
	if len(table.IDs) != len(table.Rows) {
		return nil, fmt.Errorf("join: the table has %d identifiers for %d rows (a table is used once)", len(table.IDs), len(table.Rows))
	}
	return newParty(t, table, p, log, opts), nil
}

// NewThirdParty prepares the third party's side.
func NewThirdParty(t protocol.Transport, p Params, log *protocol.Disclosure, opts ...Option) (*Party, error) {
	if t.Self() != protocol.ThirdParty {
		return nil, fmt.Errorf("join: %s is not the third party", t.Self())
	}
	return newParty(t, nil, p, log, opts), nil
}

func newParty(t protocol.Transport, table *Table, p Params, log *protocol.Disclosure, opts []Option) *Party {
	party := &Party{role: t.Self(), link: link{t: t}, params: p, log: log, random: rand.Reader, table: table, batch: batchBytes}
	for _, o := range opts {
		o(party)
	}
	return party
}

// Wipe erases every secret the party still holds: its Paillier private key, its
// additive and Shamir shares, and what is left of its table. A session calls it when
// it ends, however it ends; the party cannot be used afterwards.
func (p *Party) Wipe() {
	if p.sk != nil {
		p.sk.Wipe()
		p.sk = nil
	}
	for _, c := range p.adds {
		shamir.Wipe(c)
	}
	p.adds = nil
	p.out.Wipe()
	p.out = nil
	p.match = [2][][]byte{}
	clear(p.tags)
	p.tags = nil
	if p.table != nil {
		p.table.Wipe()
	}
}

// UseSchema sets the joined table's layout that the handshake agreed.
func (p *Party) UseSchema(s Schema) { p.schema = s }

// Stages lists this party's work in order.
func (p *Party) Stages() []Stage {
	stages := []Stage{
		{"hashing", "1-2", p.hash},
		{"encryption", "3", p.encrypt},
		{StageIntersection, "4", p.awaitCount},
		{"masking", "5-6", p.mask},
		{"resharing", "7", p.reshare},
	}
	if p.role == protocol.ThirdParty {
		stages = []Stage{
			{"encryption", "3", p.receiveKeys},
			{StageIntersection, "4", p.intersect},
			{"masking", "5-6", p.blindAdd},
			{"resharing", "7", p.reshare},
		}
	}
	for i, st := range stages {
		stages[i].Run = func(ctx context.Context) error {
			p.mu.Lock()
			p.status = Status{Stage: st.Name}
			p.mu.Unlock()
			return st.Run(ctx)
		}
	}
	return stages
}

// TakeResult returns the party's shares once resharing is done, and forgets them so
// that they can be collected once the caller is done with them.
func (p *Party) TakeResult() *Shares {
	out := p.out
	p.out = nil
	return out
}

// IntersectionSize returns the number of matched rows once step 4 is done.
func (p *Party) IntersectionSize() int { return p.rows }

// Status returns the party's progress.
func (p *Party) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.status
	s.BytesSent = p.link.sent.Load()
	return s
}

func (p *Party) progress(done, total int64) {
	p.mu.Lock()
	p.status.Done, p.status.Total = done, total
	p.mu.Unlock()
}

func (p *Party) other() protocol.Role {
	if p.role == protocol.ControllerA {
		return protocol.ControllerB
	}
	return protocol.ControllerA
}

// columnsOf returns the schema indices of the columns a controller contributes.
func (p *Party) columnsOf(r protocol.Role) []int {
	var idx []int
	for i, o := range p.schema.Owner {
		if o == r {
			idx = append(idx, i)
		}
	}
	return idx
}

// shuffle permutes n items with swap, drawing from a cryptographic source, so that row
// order reveals nothing about the input's order.
func shuffle(random io.Reader, n int, swap func(i, j int)) error {
	var buf [8]byte
	for i := n - 1; i > 0; i-- {
		bound := uint64(i + 1)
		limit := ^uint64(0) - (^uint64(0) % bound) // reject the biased tail
		for {
			if _, err := io.ReadFull(random, buf[:]); err != nil {
				return fmt.Errorf("shuffle: %w", err)
			}
			v := binary.LittleEndian.Uint64(buf[:])
			if v < limit {
				swap(i, int(v%bound))
				break
			}
		}
	}
	return nil
}

// wipeBig zeroes a big integer's words before it is dropped.
func wipeBig(x *big.Int) {
	if x != nil {
		clear(x.Bits())
		x.SetInt64(0)
	}
}
