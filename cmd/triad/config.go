package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol"
	"github.com/triad-mpc/triad/protocol/join"
	"github.com/triad-mpc/triad/protocol/session"
)

// siteConfig is one site's configuration file (triad.toml), as `triad init` writes it.
// Relative paths in it are relative to the file's folder; loadSiteConfig resolves them.
type siteConfig struct {
	Role    string            `toml:"role"`
	KeyFile string            `toml:"key_file"`
	Listen  []string          `toml:"listen"`
	OutDir  string            `toml:"out_dir"`
	Data    dataConfig        `toml:"data"`
	Model   modelConfig       `toml:"model"`
	Crypto  cryptoConfig      `toml:"crypto"`
	Peers   map[string]string `toml:"peers"`

	// PeerTimeout is how long the node tries to reach each peer ("10m", "90s");
	// empty means node.DefaultPeerTimeout.
	PeerTimeout string `toml:"peer_timeout"`

	path  string         // the file the configuration was read from
	lines map[string]int // the line of each key ("data.file"), for error messages
}

// dataConfig is a controller's [data] table; a third party has none.
type dataConfig struct {
	File     string   `toml:"file"`
	IDColumn string   `toml:"id_column"`
	Features []string `toml:"features"`
	Outcome  string   `toml:"outcome"`
	CaseFold bool     `toml:"case_fold"`
	Sep      string   `toml:"sep"`     // field separator: one character, "tab", or "auto"
	Decimal  string   `toml:"decimal"` // decimal mark: ".", ",", or "auto"
}

type modelConfig struct {
	Alpha   float64 `toml:"alpha"`
	MaxIter int     `toml:"max_iter"`
	Tol     float64 `toml:"tol"`
	MinRows int     `toml:"min_rows"`
}

type cryptoConfig struct {
	PaillierBits int `toml:"paillier_bits"`
}

// defaultSiteConfig holds the values a key takes when the file leaves it out.
func defaultSiteConfig() siteConfig {
	p := session.Default()
	return siteConfig{
		KeyFile: "node.key",
		OutDir:  "out",
		Data:    dataConfig{CaseFold: p.Join.CaseFold},
		Model:   modelConfig{Alpha: p.Model.Alpha, MaxIter: p.Model.MaxIter, Tol: p.Model.Tol, MinRows: p.Model.MinRows},
		Crypto:  cryptoConfig{PaillierBits: p.Join.PaillierBits},
	}
}

// loadSiteConfig reads, completes and checks a site's configuration. Its errors name
// the file, the line where there is one, and the key.
func loadSiteConfig(path string) (*siteConfig, error) {
	c, err := parseSiteConfig(path)
	if err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseSiteConfig decodes the file strictly, fills in defaults and resolves relative
// paths, without checking the values.
func parseSiteConfig(path string) (*siteConfig, error) {
	doc, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read site configuration: %w", err)
	}
	c := defaultSiteConfig()
	dec := toml.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, decodeError(path, err)
	}
	c.path = path
	c.lines = keyLines(doc)
	dir := filepath.Dir(path)
	for _, p := range []*string{&c.KeyFile, &c.OutDir, &c.Data.File} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	return &c, nil
}

// decodeError turns go-toml's errors into "file:line:column: key: problem" lines.
func decodeError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		msgs := make([]string, len(strict.Errors))
		for i, e := range strict.Errors {
			row, col := e.Position()
			msgs[i] = fmt.Sprintf("%s:%d:%d: unknown key %q", path, row, col, strings.Join(e.Key(), "."))
		}
		return errors.New(strings.Join(msgs, "\n"))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		msg = goTypeName.ReplaceAllString(msg, "as $1")
		if key := de.Key(); len(key) > 0 {
			return fmt.Errorf("%s:%d:%d: %s: %s", path, row, col, strings.Join(key, "."), msg)
		}
		return fmt.Errorf("%s:%d:%d: %s", path, row, col, msg)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// goTypeName matches the Go names in go-toml's type errors, which mean nothing to
// the operator who edits the file.
var goTypeName = regexp.MustCompile(`into struct field \S+ of type (\S+)`)

// keyLines maps every key and table of a TOML document that parses ("role",
// "data", "data.file", "peers.controller-b") to the line it is on.
func keyLines(doc []byte) map[string]int {
	lines := make(map[string]int)
	var p unstable.Parser
	p.Reset(doc)
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		it := e.Key()
		var parts []string
		line := 0
		for it.Next() {
			k := it.Node()
			if line == 0 {
				line = p.Shape(k.Raw).Start.Line
			}
			parts = append(parts, string(k.Data))
		}
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = parts
			lines[strings.Join(table, ".")] = line
		case unstable.KeyValue:
			key := strings.Join(append(slices.Clone(table), parts...), ".")
			lines[key] = line
		}
	}
	return lines
}

// errorAt formats a problem with key, with the key's line when the file has it.
func (c *siteConfig) errorAt(key, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if line, ok := c.lines[key]; ok {
		return fmt.Errorf("%s:%d: %s: %s", c.path, line, key, msg)
	}
	return fmt.Errorf("%s: %s: %s", c.path, key, msg)
}

// hasTable reports whether the file sets anything in the named table.
func (c *siteConfig) hasTable(name string) bool {
	for k := range c.lines {
		if k == name || strings.HasPrefix(k, name+".") {
			return true
		}
	}
	return false
}

// validate checks every value and names the first that is wrong.
func (c *siteConfig) validate() error {
	role, err := c.validateIdentity()
	if err != nil {
		return err
	}
	if err := c.validateData(role); err != nil {
		return err
	}
	if err := c.settings().Validate(); err != nil {
		var se *session.SettingError
		if errors.As(err, &se) {
			return c.errorAt(se.Key, "%v: want %s", se.Value, se.Want)
		}
		return fmt.Errorf("%s: %w", c.path, err)
	}
	return c.validatePeers(role)
}

// validateIdentity checks what a site needs to know who it is and where it listens,
// which is all `triad id` needs.
func (c *siteConfig) validateIdentity() (protocol.Role, error) {
	if c.Role == "" {
		return 0, c.errorAt("role", "missing (want controller-a, controller-b or third-party)")
	}
	role, err := protocol.ParseRole(c.Role)
	if err != nil {
		return 0, c.errorAt("role", "%v", err)
	}
	if c.KeyFile == "" {
		return 0, c.errorAt("key_file", "empty")
	}
	if len(c.Listen) == 0 && role != protocol.ControllerA {
		return 0, c.errorAt("listen", "%s accepts connections and needs at least one listen address", role)
	}
	for i, s := range c.Listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return 0, c.errorAt("listen", "item %d: %q is not a multiaddr: %v", i+1, s, err)
		}
		if _, err := a.ValueForProtocol(ma.P_P2P); err == nil {
			return 0, c.errorAt("listen", "item %d: %q names a peer ID; listen addresses must not", i+1, s)
		}
	}
	return role, nil
}

func (c *siteConfig) validateData(role protocol.Role) error {
	if role == protocol.ThirdParty {
		if c.hasTable("data") {
			return c.errorAt("data", "the third party holds no data: remove the [data] table")
		}
		return nil
	}
	if !c.hasTable("data") {
		return c.errorAt("data", "missing: a controller names its CSV file and columns in a [data] table")
	}
	d := c.Data
	if d.File == "" {
		return c.errorAt("data.file", "missing (want the path of the CSV file)")
	}
	if d.IDColumn == "" {
		return c.errorAt("data.id_column", "missing (want the name of the identifier column)")
	}
	if _, err := join.ParseDialect(d.Sep, ""); err != nil {
		return c.errorAt("data.sep", "%v", err)
	}
	if _, err := join.ParseDialect("", d.Decimal); err != nil {
		return c.errorAt("data.decimal", "%v", err)
	}
	seen := make(map[string]bool, len(d.Features))
	for _, f := range d.Features {
		switch {
		case f == "":
			return c.errorAt("data.features", "an empty column name")
		case f == d.IDColumn:
			return c.errorAt("data.features", "%q is the identifier column, not an attribute", f)
		case seen[f]:
			return c.errorAt("data.features", "%q is listed twice", f)
		}
		seen[f] = true
	}
	if d.Outcome == d.IDColumn {
		return c.errorAt("data.outcome", "%q is the identifier column", d.Outcome)
	}
	return nil
}

// validatePeers checks that [peers] names exactly the two other roles, each with a
// multiaddr that ends in /p2p/<peer id>.
func (c *siteConfig) validatePeers(role protocol.Role) error {
	for name := range c.Peers {
		r, err := protocol.ParseRole(name)
		if err != nil {
			return c.errorAt("peers."+name, "%v", err)
		}
		if r == role {
			return c.errorAt("peers."+name, "this site is %s; list the two other sites", role)
		}
	}
	ids := make(map[peer.ID]string)
	for _, r := range role.Others() {
		key := "peers." + r.String()
		s, ok := c.Peers[r.String()]
		if !ok || s == "" {
			return c.errorAt(key, "missing: add %s = \"<address printed by triad init or triad id at that site>\" under [peers]", r)
		}
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return c.errorAt(key, "%q is not a multiaddr: %v", s, err)
		}
		info, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil {
			return c.errorAt(key, "%q does not end in /p2p/<peer id>: %v", s, err)
		}
		if len(info.Addrs) == 0 {
			return c.errorAt(key, "%q has a peer ID but no address to dial", s)
		}
		if other, dup := ids[info.ID]; dup {
			return c.errorAt(key, "peer ID %s is also given for %s", info.ID, other)
		}
		ids[info.ID] = r.String()
	}
	return nil
}

// nodeConfig loads the site's key and returns the configuration of its libp2p node.
func (c *siteConfig) nodeConfig() (node.Config, error) {
	role, err := protocol.ParseRole(c.Role)
	if err != nil {
		return node.Config{}, c.errorAt("role", "%v", err)
	}
	key, err := node.LoadKey(c.KeyFile)
	if err != nil {
		return node.Config{}, c.errorAt("key_file", "%v", err)
	}
	var timeout time.Duration
	if c.PeerTimeout != "" {
		d, err := time.ParseDuration(c.PeerTimeout)
		if err != nil || d <= 0 {
			return node.Config{}, c.errorAt("peer_timeout", "%q: want a positive duration such as \"10m\" or \"90s\"", c.PeerTimeout)
		}
		timeout = d
	}
	cfg := node.Config{
		Role:   role,
		Listen: slices.Clone(c.Listen),
		Key:    key,
		Peers:  make(map[protocol.Role]string, 2),
	}
	cfg.PeerTimeout = timeout
	for name, addr := range c.Peers {
		r, err := protocol.ParseRole(name)
		if err != nil {
			return node.Config{}, c.errorAt("peers."+name, "%v", err)
		}
		cfg.Peers[r] = addr
	}
	if err := cfg.Validate(); err != nil {
		return node.Config{}, fmt.Errorf("%s: %w", c.path, err)
	}
	return cfg, nil
}

// dialect returns how the site's CSV file is written; validate has checked it.
func (c *siteConfig) dialect() join.Dialect {
	d, _ := join.ParseDialect(c.Data.Sep, c.Data.Decimal)
	return d
}

// settings returns the session settings the file chooses, on top of Triad's defaults.
func (c *siteConfig) settings() session.Settings {
	p := session.Default()
	p.Join.PaillierBits = c.Crypto.PaillierBits
	p.Join.CaseFold = c.Data.CaseFold
	p.Model.Alpha, p.Model.MaxIter, p.Model.Tol, p.Model.MinRows = c.Model.Alpha, c.Model.MaxIter, c.Model.Tol, c.Model.MinRows
	return p
}
