package session

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/wire"
)

// Version is the protocol version a party announces in its handshake.
const Version = 2

// hello is what this party announces: its role, its columns and every agreed setting.
func (s *Session) hello() *wire.Hello {
	h := &wire.Hello{Version: Version, Role: s.role.String()}
	if s.table != nil {
		h.Columns = s.table.Columns
		h.Outcome = s.table.Outcome
	}
	list := s.settings.settings(s.opts)
	if s.role != protocol.ThirdParty {
		list = append(list, s.settings.controllerSettings()...)
	}
	for _, st := range list {
		h.Settings = append(h.Settings, &wire.Setting{Key: st.key, Value: st.value})
	}
	return h
}

// handshake exchanges hellos with both other parties, checks that all three run the
// same protocol with the same settings and compatible columns, and lays out the joined
// table. Each controller's column names are the one thing it learns here.
func (s *Session) handshake(ctx context.Context) error {
	mine := s.hello()
	b, err := proto.Marshal(&wire.Envelope{Body: &wire.Envelope_Hello{Hello: mine}})
	if err != nil {
		return fmt.Errorf("encode hello: %w", err)
	}
	// Hellos are small, so sending to both before receiving cannot block.
	for _, r := range s.role.Others() {
		if err := s.t.Send(ctx, r, b); err != nil {
			return err
		}
	}
	hellos := map[protocol.Role]*wire.Hello{s.role: mine}
	for _, from := range s.role.Others() {
		msg, err := s.t.Recv(ctx, from)
		if err != nil {
			return err
		}
		env := new(wire.Envelope)
		if err := proto.Unmarshal(msg, env); err != nil {
			return fmt.Errorf("malformed hello from %s: %w", from, err)
		}
		h := env.GetHello()
		if h == nil {
			return fmt.Errorf("expected a hello from %s, got %T", from, env.GetBody())
		}
		if err := checkHello(mine, h, from); err != nil {
			return err
		}
		hellos[from] = h
	}
	schema, err := joinSchema(hellos[protocol.ControllerA], hellos[protocol.ControllerB])
	if err != nil {
		return err
	}
	s.schema = schema
	s.party.UseSchema(schema)
	for _, from := range s.role.Others() {
		if from == protocol.ThirdParty {
			continue
		}
		h := hellos[from]
		if err := s.log.Record(0, from, "columns", map[string]any{"columns": h.Columns, "outcome": h.Outcome}); err != nil {
			return err
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
	// Only the controllers hash identifiers, so only they agree on the data settings.
	withData := mine.Role != protocol.ThirdParty.String() && from != protocol.ThirdParty
	ours, theirs := agreed(mine, withData), agreed(h, withData)
	for _, st := range mine.Settings {
		if v, ok := ours[st.Key]; ok && theirs[st.Key] != v {
			if _, has := theirs[st.Key]; !has {
				return fmt.Errorf("settings differ: %s does not announce %s (this site %s)", from, st.Key, v)
			}
			return fmt.Errorf("settings differ: %s has %s = %s, this site %s", from, st.Key, theirs[st.Key], v)
		}
	}
	for _, st := range h.Settings {
		if _, ok := ours[st.Key]; !ok && theirs[st.Key] != "" {
			return fmt.Errorf("settings differ: %s announces %s = %s, which this site does not know", from, st.Key, st.Value)
		}
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

// agreed returns the settings of a hello that two parties must share: all but the
// data settings, and those too between the two controllers.
func agreed(h *wire.Hello, withData bool) map[string]string {
	m := make(map[string]string, len(h.Settings))
	for _, st := range h.Settings {
		if withData || !strings.HasPrefix(st.Key, "data.") {
			m[st.Key] = st.Value
		}
	}
	return m
}

// joinSchema lays out the joined table: A's columns, then B's.
func joinSchema(a, b *wire.Hello) (join.Schema, error) {
	var s join.Schema
	seen := make(map[string]protocol.Role)
	for _, c := range []struct {
		role protocol.Role
		h    *wire.Hello
	}{{protocol.ControllerA, a}, {protocol.ControllerB, b}} {
		for _, col := range c.h.Columns {
			if prev, dup := seen[col]; dup {
				return join.Schema{}, fmt.Errorf("column %q is in both %s's and %s's data: rename it at one site", col, prev, c.role)
			}
			seen[col] = c.role
			s.Columns = append(s.Columns, col)
			s.Owner = append(s.Owner, c.role)
		}
	}
	switch {
	case a.Outcome != "" && b.Outcome != "":
		return join.Schema{}, fmt.Errorf("both controllers name an outcome (%q, %q): set it at one site only", a.Outcome, b.Outcome)
	case a.Outcome == "" && b.Outcome == "":
		return join.Schema{}, fmt.Errorf("neither controller names an outcome column (columns: %s)", strings.Join(s.Columns, ", "))
	case a.Outcome != "":
		s.Outcome = a.Outcome
	default:
		s.Outcome = b.Outcome
	}
	if _, ok := seen[s.Outcome]; !ok {
		return join.Schema{}, fmt.Errorf("outcome %q is not among the announced columns", s.Outcome)
	}
	if len(s.Columns) < 2 {
		return join.Schema{}, fmt.Errorf("the joined table has no feature besides the outcome %q", s.Outcome)
	}
	return s, nil
}
