package protocol

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Disclosure records every value a party learns from the others, so that the list can be
// checked against what the protocol allows (DESIGN.md: sizes, the intersection size, the
// iteration count, the coefficients and the fit). It writes one JSON object per line.
type Disclosure struct {
	mu      sync.Mutex
	self    Role
	w       io.Writer
	entries []DisclosureEntry
}

// DisclosureEntry is one learned value.
type DisclosureEntry struct {
	Time  time.Time `json:"time"`
	Party string    `json:"party"`
	Step  int       `json:"step"`
	From  string    `json:"from"`
	What  string    `json:"what"`
	Value any       `json:"value"`
}

// NewDisclosure returns a log for the party playing self that writes to w (which may be
// nil). Each entry is written when it is recorded, and synced if w has a Sync method
// (an *os.File does).
func NewDisclosure(self Role, w io.Writer) *Disclosure {
	return &Disclosure{self: self, w: w}
}

// Record notes that this party learned value (named what) from the party playing from
// during step. from may be the party itself for values opened jointly.
func (d *Disclosure) Record(step int, from Role, what string, value any) error {
	if d == nil {
		return nil
	}
	e := DisclosureEntry{Time: time.Now().UTC(), Party: d.self.String(), Step: step, From: from.String(), What: what, Value: value}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.entries = append(d.entries, e)
	if d.w == nil {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("disclosure log: %w", err)
	}
	if _, err := d.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("disclosure log: %w", err)
	}
	// On disk, the entry must survive the process: a session killed after this
	// value was opened still has it in its log.
	if f, ok := d.w.(interface{ Sync() error }); ok {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("disclosure log: %w", err)
		}
	}
	return nil
}

// Entries returns a copy of what has been recorded so far.
func (d *Disclosure) Entries() []DisclosureEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]DisclosureEntry(nil), d.entries...)
}
