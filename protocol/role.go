// Package protocol implements what each of Triad's three parties does in the eight
// steps of the protocol, as sequential Go over a small Transport interface. It knows
// nothing of libp2p or actors: tests run it over an in-memory transport and the node
// package plugs in the real network.
package protocol

import "fmt"

// Role names one of the three parties of a session.
type Role int

const (
	ControllerA Role = iota // the hospital: identifiers, its attributes, usually the outcome
	ControllerB             // the insurer: identifiers and its attributes
	ThirdParty              // the independent computing party: holds no data of its own

	// All is no party: it names the three at once, as the source of a value they
	// open jointly.
	All
)

// Roles returns the three roles in the order that fixes Shamir evaluation points
// (role r holds the share at x = r+1).
func Roles() [3]Role { return [3]Role{ControllerA, ControllerB, ThirdParty} }

func (r Role) String() string {
	switch r {
	case ControllerA:
		return "controller-a"
	case ControllerB:
		return "controller-b"
	case ThirdParty:
		return "third-party"
	case All:
		return "all"
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r >= ControllerA && r <= ThirdParty }

// Others returns the two roles other than r, in role order.
func (r Role) Others() [2]Role {
	var out [2]Role
	i := 0
	for _, o := range Roles() {
		if o != r {
			out[i] = o
			i++
		}
	}
	return out
}

// ParseRole parses the names that String returns.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if r.String() == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown role %q (want controller-a, controller-b or third-party)", s)
}
