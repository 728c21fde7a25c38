// Package jointest makes small controllers' tables for the tests of sessions, and
// tells the join's messages apart on the wire.
package jointest

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/triad-mpc/triad/crypto/fixedpoint"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/wire"
)

// Tables returns two controllers' tables, by role (the third party's is nil): n rows
// at controller A (a feature x1 and the outcome y = 2·x1 − 3·x2 + noise) of which
// controller B holds all but the first skip (the feature x2).
func Tables(tb testing.TB, fixed fixedpoint.Params, n, skip int) [3]*join.Table {
	tb.Helper()
	a := &join.Table{Columns: []string{"x1", "y"}, Outcome: "y"}
	b := &join.Table{Columns: []string{"x2"}}
	enc := func(v float64) int64 {
		e, err := fixed.Encode(v)
		if err != nil {
			tb.Fatal(err)
		}
		return e
	}
	for i := range n {
		id := fmt.Sprintf("p%03d", i)
		x1, x2 := float64(i%17)-8, float64((i*7)%13)*0.5
		a.IDs, a.Rows = append(a.IDs, []byte(id)), append(a.Rows, []int64{enc(x1), enc(2*x1 - 3*x2 + float64(i%5))})
		if i >= skip {
			b.IDs, b.Rows = append(b.IDs, []byte(id)), append(b.Rows, []int64{enc(x2)})
		}
	}
	return [3]*join.Table{a, b, nil}
}

// IsEnvelope reports whether msg is a message of steps 0–7 whose body is of type T
// (step 8's messages are not envelopes).
func IsEnvelope[T any](msg []byte) bool {
	env := new(wire.Envelope)
	if proto.Unmarshal(msg, env) != nil || env.GetBody() == nil {
		return false
	}
	_, ok := env.GetBody().(T)
	return ok
}
