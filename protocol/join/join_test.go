package join

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"google.golang.org/protobuf/proto"

	"github.com/triad-mpc/triad/crypto/keyedhash"
	"github.com/triad-mpc/triad/crypto/shamir"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/memnet"
	"github.com/triad-mpc/triad/protocol/wire"
)

// testParams uses 1024-bit keys so the suite stays quick; the protocol is the same.
func testParams() Params {
	p := DefaultParams()
	p.PaillierBits = 1024
	return p
}

// fixture is two controllers' plaintext tables and their inner join.
type fixture struct {
	a, b *Table
	join [][]int64 // expected joined rows, schema order (A's columns then B's)
}

// newFixture builds tables of nA and nB rows sharing `common` identifiers, with values
// that are negative, zero, tiny and large.
func newFixture(t *testing.T, nA, nB, common int) fixture {
	t.Helper()
	p := testParams()
	val := func(i, j int) int64 {
		switch (i + j) % 5 {
		case 0:
			return 0
		case 1:
			return -int64(i*7919+j*104729+1) << 20 // large negative
		case 2:
			v, err := p.Fixed.Encode(float64(i%97)*1234.567891 + float64(j))
			if err != nil {
				t.Fatal(err)
			}
			return v
		case 3:
			return (int64(1)<<(p.Fixed.Bits-1) - 1) - int64(i) // near the top of the range
		default:
			return -(int64(1) << (p.Fixed.Bits - 1)) + int64(j) + 1 // near the bottom
		}
	}
	a := &Table{Source: "a", Columns: []string{"age", "ef", "days"}, Outcome: "days"}
	b := &Table{Source: "b", Columns: []string{"visits", "cost"}}
	rowsA := map[string][]int64{}
	for i := range nA {
		id := fmt.Sprintf("patient-%06d", i)
		row := []int64{val(i, 0), val(i, 1), val(i, 2)}
		a.IDs, a.Rows = append(a.IDs, []byte(id)), append(a.Rows, row)
		rowsA[id] = row
	}
	var f fixture
	for k := range nB {
		i := nA - common + k // the last `common` of A's identifiers are shared
		id := fmt.Sprintf("patient-%06d", i)
		row := []int64{val(i, 3), val(i, 4)}
		b.IDs, b.Rows = append(b.IDs, []byte(id)), append(b.Rows, row)
		if ra, ok := rowsA[id]; ok {
			f.join = append(f.join, append(slices.Clone(ra), row...))
		}
	}
	if len(f.join) != common {
		t.Fatalf("fixture: %d common rows, want %d", len(f.join), common)
	}
	f.a, f.b = a, b
	return f
}

// runParties runs steps 1–7 for three parties over tr and returns their shares.
func runParties(t *testing.T, tr func(protocol.Role) protocol.Transport, f fixture, opts ...Option) ([3]*Shares, [3]*protocol.Disclosure) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := testParams()
	var logs [3]*protocol.Disclosure
	for _, r := range protocol.Roles() {
		logs[r] = protocol.NewDisclosure(r, nil)
	}
	out, err := protocol.RunParties(ctx, func(ctx context.Context, r protocol.Role) (*Shares, error) {
		var party *Party
		var err error
		switch r {
		case protocol.ControllerA:
			party, err = NewController(tr(r), f.a, p, logs[r], opts...)
		case protocol.ControllerB:
			party, err = NewController(tr(r), f.b, p, logs[r], opts...)
		default:
			party, err = NewThirdParty(tr(r), p, logs[r], opts...)
		}
		if err != nil {
			return nil, err
		}
		return run(ctx, party, f)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, logs
}

// run gives a party the schema the handshake would agree for f's tables and runs its
// stages in order.
func run(ctx context.Context, p *Party, f fixture) (*Shares, error) {
	p.UseSchema(schemaOf(f))
	for _, st := range p.Stages() {
		if err := st.Run(ctx); err != nil {
			return nil, fmt.Errorf("step %s (%s): %w", st.Steps, st.Name, err)
		}
	}
	return p.TakeResult(), nil
}

// schemaOf is the schema the handshake would agree for f's tables.
func schemaOf(f fixture) Schema {
	s := Schema{Outcome: f.a.Outcome}
	for _, t := range []struct {
		r protocol.Role
		c []string
	}{{protocol.ControllerA, f.a.Columns}, {protocol.ControllerB, f.b.Columns}} {
		for _, c := range t.c {
			s.Columns, s.Owner = append(s.Columns, c), append(s.Owner, t.r)
		}
	}
	return s
}

// reconstruct opens the table from the shares of parties i and j.
func reconstruct(t *testing.T, s [3]*Shares, i, j int) [][]int64 {
	t.Helper()
	rows := make([][]int64, s[i].Rows)
	for r := range rows {
		rows[r] = make([]int64, len(s[i].Cols))
	}
	for c := range s[i].Cols {
		v, err := shamir.Reconstruct(i, j, s[i].Cols[c], s[j].Cols[c])
		if err != nil {
			t.Fatal(err)
		}
		for r := range v {
			x := shamir.Signed(&v[r])
			if !x.IsInt64() {
				t.Fatalf("column %d row %d: %v does not fit 64 bits", c, r, x)
			}
			rows[r][c] = x.Int64()
		}
	}
	return rows
}

func sortRows(rows [][]int64) [][]int64 {
	out := slices.Clone(rows)
	slices.SortFunc(out, slices.Compare[[]int64])
	return out
}

func checkJoin(t *testing.T, s [3]*Shares, f fixture) {
	t.Helper()
	want := sortRows(f.join)
	for _, pair := range [][2]int{{0, 1}, {0, 2}, {1, 2}} {
		got := sortRows(reconstruct(t, s, pair[0], pair[1]))
		if !slices.EqualFunc(got, want, slices.Equal[[]int64]) {
			t.Fatalf("parties %v reconstruct %d rows that differ from the plaintext join of %d rows", pair, len(got), len(want))
		}
	}
	if got := s[0].Columns; !slices.Equal(got, []string{"age", "ef", "days", "visits", "cost"}) || s[0].Outcome != "days" {
		t.Fatalf("schema = %v outcome %q", got, s[0].Outcome)
	}
}

func TestJoinInMemory(t *testing.T) {
	for _, c := range []struct {
		name           string
		nA, nB, common int
	}{
		{"partial", 40, 30, 17},
		{"one", 12, 9, 1},
		{"full", 25, 25, 25},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.nA, c.nB, c.common)
			net := memnet.New()
			defer net.Close()
			s, logs := runParties(t, net.Transport, f)
			checkJoin(t, s, f)
			for _, r := range protocol.Roles() {
				if s[r].Rows != c.common {
					t.Fatalf("%s holds %d rows, want %d", r, s[r].Rows, c.common)
				}
				found := false
				for _, e := range logs[r].Entries() {
					if e.What == "intersection_size" && e.Value == c.common {
						found = true
					}
				}
				if !found {
					t.Fatalf("%s's disclosure log does not record the intersection size", r)
				}
			}
		})
	}
}

// TestJoinManyBatches streams every step in many messages: with 1-byte batches each
// message carries one row, one row of masks or one share. The inputs span many batches
// on both sides, of equal and of unequal sizes.
func TestJoinManyBatches(t *testing.T) {
	for _, c := range []struct {
		name           string
		nA, nB, common int
	}{
		{"similar", 23, 19, 11},
		{"B larger", 9, 67, 7},
		{"A larger", 67, 9, 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.nA, c.nB, c.common)
			var mu sync.Mutex
			msgs := map[[2]protocol.Role]int{}
			net := memnet.New(memnet.WithTap(func(from, to protocol.Role, msg []byte) {
				mu.Lock()
				msgs[[2]protocol.Role{from, to}]++
				mu.Unlock()
			}))
			defer net.Close()
			s, _ := runParties(t, net.Transport, f, WithBatchBytes(1))
			checkJoin(t, s, f)
			// Each controller sends each of its rows, each of the matched rows of masks
			// and each of its shares of the matched cells in a message of its own.
			cells := c.common * (len(f.a.Columns) + len(f.b.Columns))
			tp := protocol.ThirdParty
			for _, w := range []struct {
				r    protocol.Role
				rows int
			}{{protocol.ControllerA, c.nA}, {protocol.ControllerB, c.nB}} {
				if got, min := msgs[[2]protocol.Role{w.r, tp}], w.rows+c.common+cells; got < min {
					t.Errorf("%s sent %d messages to the third party, want at least %d", w.r, got, min)
				}
				if got, min := msgs[[2]protocol.Role{tp, w.r}], c.common; got < min {
					t.Errorf("the third party sent %d messages to %s, want at least %d", got, w.r, min)
				}
			}
		})
	}
}

// gatedTransport holds back controller B's rows from the third party until controller
// A's last row has arrived, so that the test knows what the third party could match
// when each row came.
type gatedTransport struct {
	protocol.Transport
	once  sync.Once
	aDone chan struct{}
	fromB int
}

func (g *gatedTransport) Recv(ctx context.Context, from protocol.Role) ([]byte, error) {
	if from == protocol.ControllerB {
		if g.fromB++; g.fromB > 1 { // B's first message is its public key
			select {
			case <-g.aDone:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	b, err := g.Transport.Recv(ctx, from)
	if err == nil && from == protocol.ControllerA {
		env := new(wire.Envelope)
		if proto.Unmarshal(b, env) == nil && env.GetRows().GetLast() {
			g.once.Do(func() { close(g.aDone) })
		}
	}
	return b, err
}

// TestThirdPartyHoldsOnlyMatches checks that the third party keeps the ciphertexts of
// matched rows only: once A's stream has ended, none of B's unmatched rows, and after
// step 4 none of A's.
func TestThirdPartyHoldsOnlyMatches(t *testing.T) {
	const nA, nB, common = 13, 71, 8
	f := newFixture(t, nA, nB, common)
	net := memnet.New()
	defer net.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := testParams()
	var tp *Party
	var afterMatch int64
	out, err := protocol.RunParties(ctx, func(ctx context.Context, r protocol.Role) (*Shares, error) {
		log := protocol.NewDisclosure(r, nil)
		switch r {
		case protocol.ControllerA:
			party, err := NewController(net.Transport(r), f.a, p, log, WithBatchBytes(1))
			if err != nil {
				return nil, err
			}
			return run(ctx, party, f)
		case protocol.ControllerB:
			party, err := NewController(net.Transport(r), f.b, p, log, WithBatchBytes(1))
			if err != nil {
				return nil, err
			}
			return run(ctx, party, f)
		}
		g := &gatedTransport{Transport: net.Transport(r), aDone: make(chan struct{})}
		party, err := NewThirdParty(g, p, log, WithBatchBytes(1))
		if err != nil {
			return nil, err
		}
		tp = party
		// As run, stopping after step 4 to look at what the third party holds.
		party.UseSchema(schemaOf(f))
		for _, st := range party.Stages() {
			if err := st.Run(ctx); err != nil {
				return nil, fmt.Errorf("step %s (%s): %w", st.Steps, st.Name, err)
			}
			if st.Name == StageIntersection {
				party.mu.Lock()
				afterMatch = party.held
				party.mu.Unlock()
			}
		}
		return party.TakeResult(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkJoin(t, out, f)
	width := func(cols int) int64 {
		return int64(tp.layout.Ciphertexts(cols) * tp.pk[0].CiphertextSize())
	}
	wA, wB := width(len(f.a.Columns)), width(len(f.b.Columns))
	if want := common * (wA + wB); afterMatch != want {
		t.Errorf("after step 4 the third party holds %d bytes of ciphertexts, want %d (%d matched rows)", afterMatch, want, common)
	}
	// All of A's rows, then B's matched rows only.
	if want := nA*wA + common*wB; tp.heldPeak != want {
		t.Errorf("the third party held up to %d bytes of ciphertexts, want %d: all of A's %d rows and B's %d matched of %d",
			tp.heldPeak, want, nA, common, nB)
	}
	if tp.held != 0 {
		t.Errorf("after step 6 the third party still holds %d bytes of ciphertexts", tp.held)
	}
}

// TestThirdPartySeesNoData records every byte the third party receives and looks for the
// identifiers and every encoding of every attribute value in it.
func TestThirdPartySeesNoData(t *testing.T) {
	f := newFixture(t, 30, 30, 20)
	// The session wipes the tables' identifiers and values: look for copies.
	var plainIDs [][]byte
	var plainRows [][]int64
	for _, tab := range []*Table{f.a, f.b} {
		for i := range tab.IDs {
			plainIDs = append(plainIDs, bytes.Clone(tab.IDs[i]))
			plainRows = append(plainRows, slices.Clone(tab.Rows[i]))
		}
	}
	var mu sync.Mutex
	var received bytes.Buffer
	net := memnet.New(memnet.WithTap(func(from, to protocol.Role, msg []byte) {
		if to == protocol.ThirdParty {
			mu.Lock()
			received.Write(msg)
			mu.Unlock()
		}
	}))
	defer net.Close()
	s, logs := runParties(t, net.Transport, f)
	checkJoin(t, s, f)
	wire := received.Bytes()
	if len(wire) == 0 {
		t.Fatal("the third party received nothing")
	}
	offset := testParams().Fixed.OffsetBig()
	for i, id := range plainIDs {
		if bytes.Contains(wire, id) {
			t.Fatalf("identifier %q crossed to the third party", id)
		}
		for _, v := range plainRows[i] {
			for _, needle := range encodings(v, offset) {
				if bytes.Contains(wire, needle) {
					t.Fatalf("an encoding (%x) of value %d crossed to the third party", needle, v)
				}
			}
		}
	}
	for _, e := range logs[protocol.ThirdParty].Entries() {
		switch e.What {
		case "columns", "input_rows", "intersection_size": // column names are the agreed schema, not data
		default:
			t.Errorf("the third party learned %q, which the protocol does not allow", e.What)
		}
	}
}

// encodings lists byte patterns under which a fixed-point value could travel in clear:
// 8-byte integers of the value and of value+offset in both byte orders, and the 32-byte
// field element. Patterns with fewer than four non-zero bytes are too common to test.
func encodings(v int64, offset *big.Int) [][]byte {
	var out [][]byte
	add := func(b []byte) {
		nz := 0
		for _, x := range b {
			if x != 0 {
				nz++
			}
		}
		if nz >= 4 {
			out = append(out, b)
		}
	}
	shifted := new(big.Int).Add(big.NewInt(v), offset).Uint64()
	for _, u := range []uint64{uint64(v), shifted} {
		add(binary.BigEndian.AppendUint64(nil, u))
		add(binary.LittleEndian.AppendUint64(nil, u))
	}
	e := shamir.FromInt64(v)
	b := e.Bytes()
	add(b[:])
	var m fr.Element
	m.SetBigInt(new(big.Int).Add(big.NewInt(v), offset))
	b = m.Bytes()
	add(b[:])
	return out
}

func TestShuffleIsAPermutation(t *testing.T) {
	n := 1000
	v := make([]int, n)
	for i := range v {
		v[i] = i
	}
	if err := shuffle(rand.Reader, n, func(i, j int) { v[i], v[j] = v[j], v[i] }); err != nil {
		t.Fatal(err)
	}
	moved := 0
	seen := make([]bool, n)
	for i, x := range v {
		if seen[x] {
			t.Fatalf("%d appears twice", x)
		}
		seen[x] = true
		if x != i {
			moved++
		}
	}
	if moved < n/2 {
		t.Fatalf("only %d of %d items moved", moved, n)
	}
}

// runEach runs steps 1–7 for three parties over a fresh in-memory network and returns
// each party's own error, where runParties stops at the first.
func runEach(t *testing.T, f fixture) [3]error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	net := memnet.New()
	defer net.Close()
	p := testParams()
	var errs [3]error
	var wg sync.WaitGroup
	for _, r := range protocol.Roles() {
		wg.Go(func() {
			var party *Party
			var err error
			log := protocol.NewDisclosure(r, nil)
			switch r {
			case protocol.ControllerA:
				party, err = NewController(net.Transport(r), f.a, p, log)
			case protocol.ControllerB:
				party, err = NewController(net.Transport(r), f.b, p, log)
			default:
				party, err = NewThirdParty(net.Transport(r), p, log)
			}
			if err == nil {
				_, err = run(ctx, party, f)
			}
			errs[r] = err
		})
	}
	wg.Wait()
	return errs
}

// TestEmptyIntersection checks that when no identifier matches, every party stops
// after step 4 with a NoMatchError that says what to check, not an abort notice.
func TestEmptyIntersection(t *testing.T) {
	f := newFixture(t, 12, 9, 0)
	for _, r := range protocol.Roles() {
		err := runEach(t, f)[r]
		var nm *NoMatchError
		if !errors.As(err, &nm) {
			t.Fatalf("%s: err = %v, want a *NoMatchError", r, err)
		}
		for _, want := range []string{"step 4", "no identifier matched", "leading zeros", "white space", "case folding is on"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not mention %q", r, err, want)
			}
		}
	}
}

// TestHashWipesIdentifiers checks that the identifiers' bytes are zero once step 2 is
// over, whether the session went on or stopped in step 2.
func TestHashWipesIdentifiers(t *testing.T) {
	zero := func(t *testing.T, name string, ids [][]byte) {
		t.Helper()
		for i, id := range ids {
			if !bytes.Equal(id, make([]byte, len(id))) {
				t.Fatalf("%s: identifier %d not wiped: %q", name, i, id)
			}
		}
	}
	f := newFixture(t, 20, 20, 10)
	a, b := slices.Clone(f.a.IDs), slices.Clone(f.b.IDs)
	net := memnet.New()
	runParties(t, net.Transport, f)
	net.Close()
	zero(t, "controller-a", a)
	zero(t, "controller-b", b)
	if f.a.IDs != nil || f.b.IDs != nil {
		t.Fatal("the tables still list identifiers")
	}

	// Controller B stops once it has A's commitment: A fails in step 2.
	f = newFixture(t, 20, 20, 10)
	a = slices.Clone(f.a.IDs)
	net = memnet.New()
	defer net.Close()
	party, err := NewController(net.Transport(protocol.ControllerA), f.a, testParams(), protocol.NewDisclosure(protocol.ControllerA, nil))
	if err != nil {
		t.Fatal(err)
	}
	tb := net.Transport(protocol.ControllerB)
	ctx := context.Background()
	go func() {
		if _, err := tb.Recv(ctx, protocol.ControllerA); err == nil {
			tb.Abort(ctx, "stopped for the test")
		}
	}()
	err = party.hash(ctx)
	var ab *protocol.AbortedError
	if !errors.As(err, &ab) {
		t.Fatalf("err = %v, want controller-b's abort", err)
	}
	zero(t, "controller-a after a failed step 2", a)
}

// recording is a transport that keeps every frame it hands to its party.
type recording struct {
	protocol.Transport
	mu     sync.Mutex
	frames [][]byte
}

func (r *recording) Recv(ctx context.Context, from protocol.Role) ([]byte, error) {
	b, err := r.Transport.Recv(ctx, from)
	r.mu.Lock()
	r.frames = append(r.frames, b)
	r.mu.Unlock()
	return b, err
}

// TestKeyOpeningFrameIsWiped runs step 2 for both controllers and checks that the frame
// that brought the other's opening (its key share) is zero afterwards, while the one
// that brought the commitment is left as it came.
func TestKeyOpeningFrameIsWiped(t *testing.T) {
	f := newFixture(t, 5, 5, 2)
	net := memnet.New()
	defer net.Close()
	var tr [2]*recording
	var errs [2]error
	var wg sync.WaitGroup
	for k, r := range controllers {
		tr[k] = &recording{Transport: net.Transport(r)}
		tab := f.a
		if k == 1 {
			tab = f.b
		}
		party, err := NewController(tr[k], tab, testParams(), nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { errs[k] = party.hash(context.Background()) })
	}
	wg.Wait()
	for k, r := range controllers {
		if errs[k] != nil {
			t.Fatalf("%s: %v", r, errs[k])
		}
		if len(tr[k].frames) != 2 {
			t.Fatalf("%s received %d frames in step 2, want 2", r, len(tr[k].frames))
		}
		commitment, opening := tr[k].frames[0], tr[k].frames[1]
		if bytes.Equal(commitment, make([]byte, len(commitment))) {
			t.Fatalf("%s: the commitment's frame was zeroed too", r)
		}
		if len(opening) < keyedhash.OpeningSize || !bytes.Equal(opening, make([]byte, len(opening))) {
			t.Fatalf("%s: the frame of the other's opening (%d bytes) is not zero", r, len(opening))
		}
	}
}
