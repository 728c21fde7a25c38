// Package actorstest runs a whole three-party session in-process, as actors over the
// in-memory network, for the tests of what watches a session (the console, its
// terminal view, the report). It can hold the session at a chosen stage so that a test
// sees it half done, and it lists every identifier and attribute value of its input so
// that a test can check that none of them is shown anywhere.
package actorstest

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/session"
)

// Options choose the session.
type Options struct {
	Rows int // rows of controller A; B holds three quarters of them and a few of its own
	// HoldAt names a stage (intersection, masking, …): controller A's first message
	// sent during that stage waits until Release, so the session stands half done.
	HoldAt string
	// Alpha is the lasso's regularisation strength (default 0.01).
	Alpha float64
}

// Session is a running session.
type Session struct {
	Settings session.Settings
	Tables   map[protocol.Role]*join.Table
	Features []string // the model's features, in the protocol's order
	Regs     [3]*actors.Registry
	Logs     [3]*protocol.Disclosure
	Links    [3]*Links
	// X and Y are the joined rows in the clear (features in Features' order), for
	// reference fits; the session itself never sees them.
	X [][]float64
	Y []float64
	// IDs holds every identifier of the input; Values every attribute value, and
	// Encoded each value's fixed-point integer as the protocol holds it.
	IDs     []string
	Values  []float64
	Encoded []int64

	held    chan struct{}
	release chan struct{}
	once    sync.Once
	done    chan struct{}
	outs    [3]*session.Outcome
	err     error
}

// Start starts the session; it ends when it is over or ctx ends.
func Start(ctx context.Context, opt Options) (*Session, error) {
	if opt.Rows < 40 { // the joined three quarters meet the minimum cohort of three features
		opt.Rows = 40
	}
	p := session.Default()
	p.Join.PaillierBits = 1024 // fast, with session.WithTestKeys; the protocol is the same
	p.Model.MinRows = 1
	p.Model.Alpha = 0.01
	if opt.Alpha > 0 {
		p.Model.Alpha = opt.Alpha
	}
	s := &Session{Settings: p, held: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{}),
		Features: []string{"age_years", "creatinine", "claims_total"}}
	a := &join.Table{Columns: []string{"age_years", "creatinine", "hospital_days"}, Outcome: "hospital_days"}
	b := &join.Table{Columns: []string{"claims_total"}}
	enc := func(v float64) (int64, error) {
		e, err := p.Join.Fixed.Encode(v)
		if err != nil {
			return 0, err
		}
		s.Values, s.Encoded = append(s.Values, v), append(s.Encoded, e)
		return e, nil
	}
	// Values with six decimals and eight or more significant digits, so that a number
	// the console shows (a count, a time, a coefficient) cannot begin like one by chance.
	frac := func(i, p int) float64 { return float64(100001+(i*p)%899981) / 1e6 }
	for i := range opt.Rows + opt.Rows/4 {
		age := 30 + float64((i*37)%53) + frac(i, 7919)
		creat := 61 + float64((i*13)%29)*2.5 + frac(i, 104729)
		claims := 2000 + float64((i*577)%1201)*3 + frac(i, 15485863)
		days := math.Round((1.25+0.08*age+0.03*creat+0.0011*claims+float64((i*31)%7)/3)*1e6)/1e6 + frac(i, 3571)/1e7
		id := fmt.Sprintf("MRN-%07d-%c", 7300000+i*7919%999983, 'K'+rune(i%13))
		s.IDs = append(s.IDs, id)
		if i < opt.Rows {
			x1, err := enc(age)
			if err != nil {
				return nil, err
			}
			x2, _ := enc(creat)
			y, _ := enc(days)
			a.IDs, a.Rows = append(a.IDs, []byte(id)), append(a.Rows, []int64{x1, x2, y})
		}
		if i >= opt.Rows/4 && i < opt.Rows {
			s.X, s.Y = append(s.X, []float64{age, creat, claims}), append(s.Y, days)
		}
		if i >= opt.Rows/4 {
			c, _ := enc(claims)
			b.IDs, b.Rows = append(b.IDs, []byte(id)), append(b.Rows, []int64{c})
		}
	}
	s.Tables = map[protocol.Role]*join.Table{protocol.ControllerA: a, protocol.ControllerB: b}

	net := protocol.NewMemNetwork()
	for _, r := range protocol.Roles() {
		s.Regs[r] = actors.NewRegistry()
		s.Logs[r] = protocol.NewDisclosure(r, nil)
		s.Links[r] = &Links{Transport: net.Transport(r)}
		s.Regs[r].WatchPeers(s.Links[r].Peers)
	}
	if opt.HoldAt != "" {
		l, reg := s.Links[protocol.ControllerA], s.Regs[protocol.ControllerA]
		l.hold = func() {
			select {
			case <-s.release:
				return
			default:
			}
			for _, st := range reg.State().Steps {
				if st.Name == opt.HoldAt && st.Status == "running" {
					s.once.Do(func() { close(s.held) })
					<-s.release
					return
				}
			}
		}
	} else {
		close(s.held)
	}
	go func() {
		defer close(s.done)
		defer net.Close()
		s.outs, s.err = protocol.RunParties(ctx, func(ctx context.Context, r protocol.Role) (*session.Outcome, error) {
			return actors.Run(ctx, actors.Config{Transport: s.Links[r], Settings: p,
				Options: []session.Option{session.WithTestKeys()}, Table: s.Tables[r], Disclosure: s.Logs[r]}, s.Regs[r])
		})
	}()
	return s, nil
}

// Held is closed once the session stands at Options.HoldAt (at once without one).
func (s *Session) Held() <-chan struct{} { return s.held }

// Release lets a held session go on.
func (s *Session) Release() {
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

// Wait releases the session and returns each party's outcome once it is over.
func (s *Session) Wait() ([3]*session.Outcome, error) {
	s.Release()
	<-s.done
	return s.outs, s.err
}

// Leaks returns every identifier and attribute value of the input that text shows: an
// identifier anywhere, a value as any number within the fixed-point encoding's
// precision of it (so a rounded or decoded copy counts too), an encoded value as a
// whole number. The values have six decimals and the numbers Triad shows (counts,
// times, coefficients) would have to agree with one to 1e-7 to be taken for it.
func (s *Session) Leaks(text string) []string {
	var out []string
	for _, id := range s.IDs {
		if strings.Contains(text, id) {
			out = append(out, id)
		}
	}
	encoded := map[string]bool{}
	for _, e := range s.Encoded {
		encoded[strconv.FormatInt(e, 10)] = true
	}
	for _, n := range regexp.MustCompile(`[0-9]+(\.[0-9]+)?`).FindAllString(text, -1) {
		if encoded[n] {
			out = append(out, n)
			continue
		}
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			continue
		}
		for _, v := range s.Values {
			if math.Abs(f-v) <= 1e-7 {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// Links is a party's transport with the counts a node keeps of its links.
type Links struct {
	protocol.Transport
	sent, recv [3]atomic.Int64
	hold       func()
	holding    sync.Mutex
}

// Send counts and sends, after waiting if the session is held.
func (l *Links) Send(ctx context.Context, to protocol.Role, msg []byte) error {
	if l.hold != nil {
		l.holding.Lock()
		l.hold()
		l.holding.Unlock()
	}
	l.sent[to].Add(int64(len(msg)))
	return l.Transport.Send(ctx, to, msg)
}

// Recv receives and counts.
func (l *Links) Recv(ctx context.Context, from protocol.Role) ([]byte, error) {
	msg, err := l.Transport.Recv(ctx, from)
	l.recv[from].Add(int64(len(msg)))
	return msg, err
}

// Peers reports the links for the console, as a node would (without libp2p's peer
// IDs and addresses, which the in-memory network has not).
func (l *Links) Peers() []actors.PeerState {
	var out []actors.PeerState
	for _, r := range l.Self().Others() {
		out = append(out, actors.PeerState{Role: r.String(), Address: "in-memory", State: "up", Connected: true,
			BytesSent: l.sent[r].Load(), BytesRecv: l.recv[r].Load()})
	}
	return out
}
