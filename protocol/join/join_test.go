package join

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/triad-mpc/triad/crypto/shamir"
	"github.com/triad-mpc/triad/protocol"
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
		a.IDs, a.Rows = append(a.IDs, id), append(a.Rows, row)
		rowsA[id] = row
	}
	var f fixture
	for k := range nB {
		i := nA - common + k // the last `common` of A's identifiers are shared
		id := fmt.Sprintf("patient-%06d", i)
		row := []int64{val(i, 3), val(i, 4)}
		b.IDs, b.Rows = append(b.IDs, id), append(b.Rows, row)
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
	s := Schema{Outcome: f.a.Outcome}
	for _, t := range []struct {
		r protocol.Role
		c []string
	}{{protocol.ControllerA, f.a.Columns}, {protocol.ControllerB, f.b.Columns}} {
		for _, c := range t.c {
			s.Columns, s.Owner = append(s.Columns, c), append(s.Owner, t.r)
		}
	}
	p.UseSchema(s)
	for _, st := range p.Stages() {
		if err := st.Run(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", st.Name, err)
		}
	}
	return p.TakeResult(), nil
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
		{"empty", 12, 9, 0},
		{"full", 25, 25, 25},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.nA, c.nB, c.common)
			net := protocol.NewMemNetwork()
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
// message carries one row, one row of masks or one share.
func TestJoinManyBatches(t *testing.T) {
	f := newFixture(t, 23, 19, 11)
	var mu sync.Mutex
	msgs := map[[2]protocol.Role]int{}
	net := protocol.NewMemNetwork(protocol.WithTap(func(from, to protocol.Role, msg []byte) {
		mu.Lock()
		msgs[[2]protocol.Role{from, to}]++
		mu.Unlock()
	}))
	defer net.Close()
	s, _ := runParties(t, net.Transport, f, WithBatchBytes(1))
	checkJoin(t, s, f)
	// Controller A sends each of its 23 rows, each of the 11 rows of masks and each
	// of its shares of 11·5 cells in a message of its own.
	a, tp := protocol.ControllerA, protocol.ThirdParty
	if got, min := msgs[[2]protocol.Role{a, tp}], 23+11+11*5; got < min {
		t.Fatalf("controller A sent %d messages to the third party, want at least %d", got, min)
	}
	if got, min := msgs[[2]protocol.Role{tp, a}], 11; got < min {
		t.Fatalf("the third party sent %d messages to controller A, want at least %d", got, min)
	}
}

// TestThirdPartySeesNoData records every byte the third party receives and looks for the
// identifiers and every encoding of every attribute value in it.
func TestThirdPartySeesNoData(t *testing.T) {
	f := newFixture(t, 30, 30, 20)
	var mu sync.Mutex
	var received bytes.Buffer
	net := protocol.NewMemNetwork(protocol.WithTap(func(from, to protocol.Role, msg []byte) {
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
	for _, tab := range []*Table{f.a, f.b} {
		for i, id := range tab.IDs {
			if bytes.Contains(wire, []byte(id)) {
				t.Fatalf("identifier %q crossed to the third party", id)
			}
			for _, v := range tab.Rows[i] {
				for _, needle := range encodings(v, offset) {
					if bytes.Contains(wire, needle) {
						t.Fatalf("an encoding (%x) of value %d crossed to the third party", needle, v)
					}
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
