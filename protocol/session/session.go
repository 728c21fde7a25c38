// Package session is what a Triad session is, for one party: its settings and their one
// validation, the handshake that compares them, the stages in order (the join of steps
// 1–7, the minimum-cohort rule, the regression of step 8), the hand-off from step 7's
// shares to step 8's input, the disclosure policy, and abort.
//
// It does no I/O of its own beyond the protocol.Transport it is given; callers (the
// actors package, tests) run its stages in order and watch its progress.
package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/lasso"
)

// abortWait bounds how long a failing party waits to tell the others.
const abortWait = 2 * time.Second

// reachedByAll reports whether err ends the session at every party without a word
// from this one: another party's abort, the minimum cohort, an empty intersection.
func reachedByAll(err error) bool {
	var ab *protocol.AbortedError
	var ce *CohortError
	var nm *join.NoMatchError
	return errors.As(err, &ab) || errors.As(err, &ce) || errors.As(err, &nm)
}

// Session is one party's side of one session. Create it with New, run its Stages in
// order with RunStage, then step 8 through Regression (or, WithJoinOnly, TakeShares).
type Session struct {
	role     protocol.Role
	t        protocol.Transport
	settings Settings
	opts     options
	table    *join.Table // controllers only
	log      *protocol.Disclosure
	party    *join.Party

	schema join.Schema
	start  time.Time

	mu     sync.Mutex
	stage  string
	report []StageReport
}

// StageReport is what one stage cost this party, with its span in wall-clock time.
type StageReport struct {
	Name       string
	Steps      string
	Start, End time.Time
	BytesSent  int64
	Rounds     int // communication rounds, where the stage counts them (step 8)
}

// Seconds returns the stage's wall time.
func (r StageReport) Seconds() float64 { return r.End.Sub(r.Start).Seconds() }

// Stage is one named part of a party's work, run in order.
type Stage struct {
	Name  string
	Steps string // the protocol steps it covers, e.g. "4"
	run   func(context.Context) error
}

// Outcome is one party's view of a finished session.
type Outcome struct {
	Role             protocol.Role
	Started          time.Time // when the session began at this party
	Schema           join.Schema
	IntersectionSize int
	Stages           []StageReport
	Model            *lasso.Result   // nil when the session stops after step 7
	CV               *lasso.CVResult // the cross-validation that chose α, if one did
}

// New prepares the side of the party at the transport's role. table is a controller's
// prepared data (join.ReadFile) and nil at the third party; log receives every value the
// party learns. It checks the settings and does not communicate.
func New(t protocol.Transport, s Settings, table *join.Table, log *protocol.Disclosure, opts ...Option) (*Session, error) {
	o := newOptions(opts)
	if err := s.Validate(opts...); err != nil {
		return nil, err
	}
	role := t.Self()
	var jopts []join.Option
	if o.batchBytes > 0 {
		jopts = append(jopts, join.WithBatchBytes(o.batchBytes))
	}
	var party *join.Party
	var err error
	if role == protocol.ThirdParty {
		if table != nil {
			return nil, errors.New("session: the third party holds no table")
		}
		party, err = join.NewThirdParty(t, s.Join, log, jopts...)
	} else {
		party, err = join.NewController(t, table, s.Join, log, jopts...)
	}
	if err != nil {
		return nil, err
	}
	return &Session{role: role, t: t, settings: s, opts: o, table: table, log: log, party: party, start: time.Now()}, nil
}

// Role returns the role of this party.
func (s *Session) Role() protocol.Role { return s.role }

// Settings returns the session's settings.
func (s *Session) Settings() Settings { return s.settings }

// Stages lists this party's stages of steps 0–7 in order: the handshake, the join's
// stages, and after the intersection the minimum-cohort check.
func (s *Session) Stages() []Stage {
	out := []Stage{{Name: "handshake", Steps: "0", run: s.handshake}}
	for _, st := range s.party.Stages() {
		out = append(out, Stage{Name: st.Name, Steps: st.Steps, run: st.Run})
		if st.Name == join.StageIntersection && !s.opts.joinOnly {
			out = append(out, Stage{Name: "cohort", Steps: "4", run: s.checkCohort})
		}
	}
	return out
}

// RunStage runs one stage, recording its span and bytes, and wraps its error with the
// steps it covers.
func (s *Session) RunStage(ctx context.Context, st Stage) error {
	s.mu.Lock()
	s.stage = st.Name
	s.mu.Unlock()
	before := s.party.Status().BytesSent
	start := time.Now()
	err := st.run(ctx)
	s.addReport(StageReport{Name: st.Name, Steps: st.Steps, Start: start, End: time.Now(),
		BytesSent: s.party.Status().BytesSent - before})
	if err == nil {
		return nil
	}
	var ab *protocol.AbortedError
	var ce *CohortError
	if errors.As(err, &ab) || errors.As(err, &ce) {
		return err // they say where they stand themselves
	}
	return fmt.Errorf("step %s (%s): %w", st.Steps, st.Name, err)
}

func (s *Session) addReport(r StageReport) {
	s.mu.Lock()
	s.report = append(s.report, r)
	s.mu.Unlock()
}

// Report returns what each finished stage cost, in order.
func (s *Session) Report() []StageReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]StageReport(nil), s.report...)
}

// Status returns the party's progress: the stage it is in, and the rows or values it
// has handled there in the stages of steps 1–7.
func (s *Session) Status() join.Status {
	ps := s.party.Status()
	s.mu.Lock()
	defer s.mu.Unlock()
	if ps.Stage != s.stage {
		ps.Stage, ps.Done, ps.Total = s.stage, 0, 0
	}
	return ps
}

// Outcome returns what this party knows so far, with the stages run so far (step 8
// among them once Regression's Finish is done); Model is left for the caller to fill
// in after step 8.
func (s *Session) Outcome() *Outcome {
	return &Outcome{Role: s.role, Started: s.start, Schema: s.schema, IntersectionSize: s.party.IntersectionSize(), Stages: s.Report()}
}

// JoinOnly reports whether the session ends after step 7 (WithJoinOnly).
func (s *Session) JoinOnly() bool { return s.opts.joinOnly }

// TakeShares hands the joined table's shares to the caller once step 7 is done, and
// forgets them; it returns nil before, or once they are taken.
func (s *Session) TakeShares() *join.Shares { return s.party.TakeResult() }

// Wipe erases every secret of steps 1–7 the party still holds (keys, shares, what is
// left of its table). Call it when the session ends, however it ends; shares already
// handed over (TakeShares, Regression) are the receiver's to wipe.
func (s *Session) Wipe() { s.party.Wipe() }

// Abort tells the other parties why this party stopped, waiting at most abortWait even
// if ctx is already cancelled. A party stopped through ctx gives ctx's cause (a lost
// peer, say) rather than "context canceled". It says nothing when the cause is another
// party's abort, the minimum-cohort rule or an empty intersection, which every party
// finds by itself at the same point.
func (s *Session) Abort(ctx context.Context, cause error) {
	if c := context.Cause(ctx); c != nil && (errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded)) {
		cause = c
	}
	if cause == nil || reachedByAll(cause) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortWait)
	defer cancel()
	_ = s.t.Abort(ctx, cause.Error())
}
