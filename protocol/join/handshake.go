package join

import (
	"context"
	"fmt"
	"strings"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/wire"
)

func (p *Party) hello() *wire.Hello {
	h := &wire.Hello{
		Version:      Version,
		Role:         p.role.String(),
		PaillierBits: uint32(p.params.PaillierBits),
		FracBits:     uint32(p.params.Fixed.Frac),
		ValueBits:    uint32(p.params.Fixed.Bits),
		Kappa:        uint32(p.params.Kappa),
		CaseFold:     p.params.CaseFold,
		Alpha:        p.params.Model.Alpha,
		MaxIter:      uint32(p.params.Model.MaxIter),
		Tol:          p.params.Model.Tol,
	}
	if p.table != nil {
		h.Columns = p.table.Columns
		h.Outcome = p.table.Outcome
	}
	return h
}

// handshake exchanges Hello messages with both other parties and checks that all three
// run the same protocol with the same settings and compatible column schemas.
func (p *Party) handshake(ctx context.Context) error {
	mine := p.hello()
	// Hellos are small, so sending to both before receiving cannot block.
	for _, r := range p.role.Others() {
		if err := p.link.send(ctx, r, envHello(mine)); err != nil {
			return err
		}
	}
	hellos := map[protocol.Role]*wire.Hello{p.role: mine}
	for _, from := range p.role.Others() {
		h, err := expect(ctx, &p.link, from, (*wire.Envelope).GetHello, "a hello")
		if err != nil {
			return err
		}
		if err := checkHello(mine, h, from); err != nil {
			return err
		}
		hellos[from] = h
	}
	s, err := joinSchema(hellos[protocol.ControllerA], hellos[protocol.ControllerB])
	if err != nil {
		return err
	}
	p.schema = s
	for from, h := range hellos {
		if from != p.role && from != protocol.ThirdParty {
			if err := p.log.Record(0, from, "columns", map[string]any{"columns": h.Columns, "outcome": h.Outcome}); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkHello compares another party's hello with this party's and names the first
// difference.
func checkHello(mine, h *wire.Hello, from protocol.Role) error {
	if h.Version != mine.Version {
		return fmt.Errorf("%s speaks protocol version %d, this site %d", from, h.Version, mine.Version)
	}
	if h.Role != from.String() {
		return fmt.Errorf("the peer configured as %s says it is %q", from, h.Role)
	}
	type field struct {
		name        string
		theirs, our any
	}
	for _, f := range []field{
		{"paillier_bits", h.PaillierBits, mine.PaillierBits},
		{"fixed-point fractional bits", h.FracBits, mine.FracBits},
		{"fixed-point value bits", h.ValueBits, mine.ValueBits},
		{"kappa", h.Kappa, mine.Kappa},
		{"alpha", h.Alpha, mine.Alpha},
		{"max_iter", h.MaxIter, mine.MaxIter},
		{"tol", h.Tol, mine.Tol},
	} {
		if f.theirs != f.our {
			return fmt.Errorf("settings differ: %s has %s = %v, this site %v", from, f.name, f.theirs, f.our)
		}
	}
	// Only the controllers hash identifiers, so only they must fold case alike.
	if mine.Role != protocol.ThirdParty.String() && from != protocol.ThirdParty && h.CaseFold != mine.CaseFold {
		return fmt.Errorf("settings differ: %s has case_fold = %v, this site %v", from, h.CaseFold, mine.CaseFold)
	}
	switch from {
	case protocol.ThirdParty:
		if len(h.Columns) != 0 || h.Outcome != "" {
			return fmt.Errorf("the third party announced data columns; it must hold none")
		}
	default:
		if len(h.Columns) == 0 {
			return fmt.Errorf("%s announced no attribute columns", from)
		}
	}
	return nil
}

// joinSchema lays out the joined table: A's columns, then B's.
func joinSchema(a, b *wire.Hello) (Schema, error) {
	var s Schema
	seen := make(map[string]protocol.Role)
	for _, c := range []struct {
		role protocol.Role
		h    *wire.Hello
	}{{protocol.ControllerA, a}, {protocol.ControllerB, b}} {
		for _, col := range c.h.Columns {
			if prev, dup := seen[col]; dup {
				return Schema{}, fmt.Errorf("column %q is in both %s's and %s's data: rename it at one site", col, prev, c.role)
			}
			seen[col] = c.role
			s.Columns = append(s.Columns, col)
			s.Owner = append(s.Owner, c.role)
		}
	}
	switch {
	case a.Outcome != "" && b.Outcome != "":
		return Schema{}, fmt.Errorf("both controllers name an outcome (%q, %q): set it at one site only", a.Outcome, b.Outcome)
	case a.Outcome == "" && b.Outcome == "":
		return Schema{}, fmt.Errorf("neither controller names an outcome column (columns: %s)", strings.Join(s.Columns, ", "))
	case a.Outcome != "":
		s.Outcome = a.Outcome
	default:
		s.Outcome = b.Outcome
	}
	if _, ok := seen[s.Outcome]; !ok {
		return Schema{}, fmt.Errorf("outcome %q is not among the announced columns", s.Outcome)
	}
	if len(s.Columns) < 2 {
		return Schema{}, fmt.Errorf("the joined table has no feature besides the outcome %q", s.Outcome)
	}
	return s, nil
}
