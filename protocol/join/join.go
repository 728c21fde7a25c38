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
package join

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/triad-mpc/triad/crypto/fixedpoint"
	"github.com/triad-mpc/triad/crypto/paillier"
	"github.com/triad-mpc/triad/protocol"
)

// Version is the protocol version a party announces in its handshake.
const Version = 1

// abortWait bounds how long a failing party waits to tell the others.
const abortWait = 2 * time.Second

// Params are the session settings that all three parties must agree on; the handshake
// compares them and fails, naming the difference, if they do not.
type Params struct {
	PaillierBits int               // Paillier modulus size: 2048 or 3072
	Fixed        fixedpoint.Params // encoding of attribute values
	Kappa        int               // statistical masking parameter, in bits
	CaseFold     bool              // whether identifiers are case-folded before hashing
	Model        Model             // regression settings for step 8
}

// Model holds the regression settings that travel in the handshake.
type Model struct {
	Alpha   float64
	MaxIter int
	Tol     float64
}

// DefaultParams returns the settings Triad uses unless a site configures others.
func DefaultParams() Params {
	return Params{
		PaillierBits: 2048,
		Fixed:        fixedpoint.Params{Frac: 24, Bits: 64},
		Kappa:        40,
		CaseFold:     true,
		Model:        Model{Alpha: 0.1, MaxIter: 5000, Tol: 1e-8},
	}
}

// Validate checks the settings before a session starts.
func (p Params) Validate() error {
	if p.PaillierBits != 2048 && p.PaillierBits != 3072 && p.PaillierBits != 1024 {
		return fmt.Errorf("paillier bits %d: want 2048 or 3072", p.PaillierBits)
	}
	if err := p.Fixed.Validate(); err != nil {
		return err
	}
	if p.Kappa < 40 {
		return fmt.Errorf("kappa %d: want at least 40 bits of statistical masking", p.Kappa)
	}
	if p.Model.Alpha < 0 || p.Model.MaxIter < 1 || p.Model.Tol <= 0 {
		return fmt.Errorf("model: alpha %g, max_iter %d, tol %g: want alpha ≥ 0, max_iter ≥ 1, tol > 0", p.Model.Alpha, p.Model.MaxIter, p.Model.Tol)
	}
	return nil
}

// Schema is the joined table's layout, the same at all three parties after the handshake:
// controller A's columns, then controller B's.
type Schema struct {
	Columns []string
	Owner   []protocol.Role // which controller contributes each column
	Outcome string          // the column to predict
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

// Column returns the share of the named column, or nil.
func (s *Shares) Column(name string) fr.Vector {
	for i, c := range s.Columns {
		if c == name {
			return s.Cols[i]
		}
	}
	return nil
}

// StepReport is what one stage cost this party.
type StepReport struct {
	Name      string  `json:"name"`
	Steps     string  `json:"steps"`
	Seconds   float64 `json:"seconds"`
	BytesSent int64   `json:"bytes_sent"`
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

// Party is one party's side of steps 1–7. Create it with NewController or NewThirdParty,
// then call Run (or the Stages in order).
type Party struct {
	role   protocol.Role
	link   link
	params Params
	log    *protocol.Disclosure
	random io.Reader

	mu     sync.Mutex
	status Status
	report []StepReport

	table  *Table // controllers only
	schema Schema
	layout paillier.Layout

	tags  [][32]byte
	sk    *paillier.PrivateKey
	pk    [2]*paillier.PublicKey // by controller role: ControllerA, ControllerB
	rows  int                    // intersection size
	adds  []fr.Vector            // a controller's additive shares, by column of the schema
	match [2][][]*paillier.Ciphertext
	out   *Shares
}

// NewController prepares a controller's side. table is its prepared data (ReadTable).
func NewController(t protocol.Transport, table *Table, p Params, log *protocol.Disclosure) (*Party, error) {
	if r := t.Self(); r != protocol.ControllerA && r != protocol.ControllerB {
		return nil, fmt.Errorf("join: %s is not a controller", r)
	}
	if table == nil || len(table.Columns) == 0 {
		return nil, errors.New("join: a controller needs a table with at least one attribute column")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	return &Party{role: t.Self(), link: link{t: t}, params: p, log: log, random: rand.Reader, table: table}, nil
}

// NewThirdParty prepares the third party's side.
func NewThirdParty(t protocol.Transport, p Params, log *protocol.Disclosure) (*Party, error) {
	if t.Self() != protocol.ThirdParty {
		return nil, fmt.Errorf("join: %s is not the third party", t.Self())
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	return &Party{role: protocol.ThirdParty, link: link{t: t}, params: p, log: log, random: rand.Reader}, nil
}

// Stages lists this party's work in order.
func (p *Party) Stages() []Stage {
	if p.role == protocol.ThirdParty {
		return []Stage{
			{"handshake", "0", p.handshake},
			{"encryption", "3", p.receiveKeys},
			{"intersection", "4", p.intersect},
			{"masking", "5-6", p.blindAdd},
			{"resharing", "7", p.reshare},
		}
	}
	return []Stage{
		{"handshake", "0", p.handshake},
		{"hashing", "1-2", p.hash},
		{"encryption", "3", p.encrypt},
		{"intersection", "4", p.awaitCount},
		{"masking", "5-6", p.mask},
		{"resharing", "7", p.reshare},
	}
}

// Run performs every stage in order. On failure it tells the other parties why.
func (p *Party) Run(ctx context.Context) (*Shares, error) {
	for _, s := range p.Stages() {
		if err := p.RunStage(ctx, s); err != nil {
			Abort(ctx, p.link.t, err)
			return nil, err
		}
	}
	return p.TakeResult(), nil
}

// RunStage runs one stage, timing it and wrapping its error with the steps it covers.
func (p *Party) RunStage(ctx context.Context, s Stage) error {
	p.mu.Lock()
	p.status = Status{Stage: s.Name, BytesSent: p.link.sent.Load()}
	p.mu.Unlock()
	before := p.link.sent.Load()
	start := time.Now()
	err := s.Run(ctx)
	p.mu.Lock()
	p.report = append(p.report, StepReport{Name: s.Name, Steps: s.Steps, Seconds: time.Since(start).Seconds(), BytesSent: p.link.sent.Load() - before})
	p.mu.Unlock()
	if err != nil {
		var ab *protocol.AbortedError
		if errors.As(err, &ab) {
			return err
		}
		return fmt.Errorf("step %s (%s): %w", s.Steps, s.Name, err)
	}
	return nil
}

// TakeResult returns the party's shares once resharing is done, and forgets them so
// that they can be collected once the caller is done with them.
func (p *Party) TakeResult() *Shares {
	out := p.out
	p.out = nil
	return out
}

// Schema returns the joined table's layout once the handshake is done.
func (p *Party) Schema() Schema { return p.schema }

// IntersectionSize returns the number of matched rows once step 4 is done.
func (p *Party) IntersectionSize() int { return p.rows }

// Report returns what each finished stage cost.
func (p *Party) Report() []StepReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]StepReport(nil), p.report...)
}

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

// Abort tells the other parties why this party stopped, unless it stopped because
// another party did or because no identifier matched (which all three find at the same
// point), waiting at most abortWait even if ctx is cancelled.
func Abort(ctx context.Context, t protocol.Transport, cause error) {
	var ab *protocol.AbortedError
	var nm *NoMatchError
	if errors.As(cause, &ab) || errors.As(cause, &nm) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortWait)
	defer cancel()
	_ = t.Abort(ctx, cause.Error())
}

// wipeBig zeroes a big integer's words before it is dropped.
func wipeBig(x *big.Int) {
	if x != nil {
		clear(x.Bits())
		x.SetInt64(0)
	}
}
