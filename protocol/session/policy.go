package session

import (
	"fmt"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/lasso"
)

// Disclosure is one kind of value a role may learn: in which step, from whom, under
// which name in its disclosure log.
type Disclosure struct {
	Step int
	From protocol.Role
	What string
}

// repeated lists the kinds of step 8 that are opened more than once: a convergence
// bit per test, a coefficient per feature.
func repeated(what string) bool {
	switch what {
	case lasso.RevealConverged, lasso.RevealCVConverged, lasso.RevealCoefficient:
		return true
	}
	return false
}

// Policy returns every kind of value the party playing role may learn in a session
// with model settings m (DESIGN.md's table): the other controller's column names, the
// sizes, the intersection size, and what step 8 opens, with cross-validation its grid
// and validation errors too. Anything else in a disclosure log is a bug.
func Policy(role protocol.Role, m Model) []Disclosure {
	var out []Disclosure
	switch role {
	case protocol.ControllerA, protocol.ControllerB:
		other := protocol.ControllerB
		if role == other {
			other = protocol.ControllerA
		}
		out = append(out,
			Disclosure{0, other, "columns"},
			Disclosure{4, protocol.ThirdParty, "intersection_size"})
	case protocol.ThirdParty:
		out = append(out,
			Disclosure{0, protocol.ControllerA, "columns"},
			Disclosure{0, protocol.ControllerB, "columns"},
			Disclosure{4, protocol.ControllerA, "input_rows"},
			Disclosure{4, protocol.ControllerB, "input_rows"},
			Disclosure{4, protocol.ThirdParty, "intersection_size"})
	default:
		return nil
	}
	step8 := []string{lasso.RevealConverged, lasso.RevealIterations, lasso.RevealCoefficient, lasso.RevealIntercept,
		lasso.RevealR2, lasso.RevealGap}
	if m.CV > 0 {
		step8 = append(step8, lasso.RevealCVAlphas, lasso.RevealCVConverged, lasso.RevealCVMSEMean,
			lasso.RevealCVMSEStdErr, lasso.RevealCVAlpha)
		if len(m.Alphas) == 0 {
			step8 = append(step8, lasso.RevealAlphaMax)
		}
	}
	for _, what := range step8 {
		out = append(out, Disclosure{8, protocol.All, what})
	}
	return out
}

// CheckDisclosures checks a party's disclosure log against its Policy: every entry must
// be of a kind the role may learn, recorded by that role, and only once unless it is a
// kind step 8 opens repeatedly.
func CheckDisclosures(role protocol.Role, m Model, entries []protocol.DisclosureEntry) error {
	allowed := make(map[Disclosure]bool)
	for _, d := range Policy(role, m) {
		allowed[d] = true
	}
	seen := make(map[Disclosure]bool)
	for i, e := range entries {
		if e.Party != role.String() {
			return fmt.Errorf("disclosure %d: recorded by %q, not %s", i+1, e.Party, role)
		}
		from, err := parseFrom(e.From)
		if err != nil {
			return fmt.Errorf("disclosure %d: %w", i+1, err)
		}
		d := Disclosure{e.Step, from, e.What}
		if !allowed[d] {
			return fmt.Errorf("disclosure %d: %s may not learn %q from %s in step %d", i+1, role, e.What, e.From, e.Step)
		}
		if seen[d] && !repeated(d.What) {
			return fmt.Errorf("disclosure %d: %q from %s in step %d is recorded twice", i+1, e.What, e.From, e.Step)
		}
		seen[d] = true
	}
	return nil
}

func parseFrom(s string) (protocol.Role, error) {
	if s == protocol.All.String() {
		return protocol.All, nil
	}
	return protocol.ParseRole(s)
}
