package node_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/triad-mpc/triad/crypto/shamir"
	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/session"
)

// TestJoinOverLibp2p runs steps 1–7 between three real libp2p hosts on loopback and
// checks that any two parties' shares reconstruct the plaintext inner join, and that the
// third party received no identifier.
func TestJoinOverLibp2p(t *testing.T) {
	for _, c := range []struct {
		name       string
		bFrom, bTo int // controller B holds ids bFrom..bTo-1; A holds 0..29
	}{
		{"partial", 20, 45},
		{"empty", 30, 40},
		{"full", 0, 30},
	} {
		t.Run(c.name, func(t *testing.T) { joinOverLibp2p(t, c.bFrom, c.bTo) })
	}
}

func joinOverLibp2p(t *testing.T, bFrom, bTo int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var toThird bytes.Buffer
	nodes, err := node.Loopback(ctx, node.WithTap(func(from, to protocol.Role, msg []byte) {
		if to == protocol.ThirdParty {
			mu.Lock()
			toThird.Write(msg)
			mu.Unlock()
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()

	p := session.Default()
	p.Join.PaillierBits = 1024
	a := &join.Table{Columns: []string{"x1", "y"}, Outcome: "y"}
	b := &join.Table{Columns: []string{"x2", "x3"}}
	rowsA := map[string][]int64{}
	for i := range 30 {
		id := fmt.Sprintf("id-%04d", i)
		row := []int64{int64(i*i) - 300, -int64(i) << 40}
		a.IDs, a.Rows = append(a.IDs, []byte(id)), append(a.Rows, row)
		rowsA[id] = row
	}
	var want [][]int64
	for i := bFrom; i < bTo; i++ {
		id := fmt.Sprintf("id-%04d", i)
		row := []int64{int64(i) * 123456789, 0}
		b.IDs, b.Rows = append(b.IDs, []byte(id)), append(b.Rows, row)
		if ra, ok := rowsA[id]; ok {
			want = append(want, append(slices.Clone(ra), row...))
		}
	}
	var ids []string // copied: the session wipes the tables' identifiers
	for _, id := range slices.Concat(a.IDs, b.IDs) {
		ids = append(ids, string(id))
	}

	var shares [3]*join.Shares
	var errs [3]error
	var wg sync.WaitGroup
	for _, r := range protocol.Roles() {
		wg.Go(func() {
			tr, err := nodes[r].Transport(ctx)
			if err != nil {
				errs[r] = err
				return
			}
			tables := [3]*join.Table{a, b, nil}
			sess, err := session.New(tr, p, tables[r], nil, session.WithTestKeys(), session.WithJoinOnly())
			if err == nil {
				shares[r], err = runStages(ctx, sess)
			}
			errs[r] = err
		})
	}
	wg.Wait()
	if len(want) == 0 { // no identifier matched: every party says so itself
		for r, err := range errs {
			var nm *join.NoMatchError
			if !errors.As(err, &nm) {
				t.Fatalf("%s: err = %v, want a *join.NoMatchError", protocol.Role(r), err)
			}
		}
		return
	}
	for r, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", protocol.Role(r), err)
		}
	}
	slices.SortFunc(want, slices.Compare[[]int64])
	for _, pair := range [][2]int{{0, 1}, {0, 2}, {1, 2}} {
		i, j := pair[0], pair[1]
		got := make([][]int64, shares[i].Rows)
		for c := range shares[i].Cols {
			v, err := shamir.Reconstruct(i, j, shares[i].Cols[c], shares[j].Cols[c])
			if err != nil {
				t.Fatal(err)
			}
			for r := range v {
				got[r] = append(got[r], shamir.Signed(&v[r]).Int64())
			}
		}
		slices.SortFunc(got, slices.Compare[[]int64])
		if !slices.EqualFunc(got, want, slices.Equal[[]int64]) {
			t.Fatalf("parties %d and %d reconstruct %v, want %v", i, j, got, want)
		}
	}
	if toThird.Len() == 0 {
		t.Fatal("the tap saw nothing reach the third party")
	}
	for _, id := range ids {
		if bytes.Contains(toThird.Bytes(), []byte(id)) {
			t.Fatalf("identifier %q reached the third party", id)
		}
	}
}

// runStages runs a session's stages in order and takes the shares of step 7.
func runStages(ctx context.Context, s *session.Session) (*join.Shares, error) {
	for _, st := range s.Stages() {
		if err := s.RunStage(ctx, st); err != nil {
			s.Abort(ctx, err)
			return nil, err
		}
	}
	return s.TakeShares(), nil
}
