package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/triad-mpc/triad/cmd/internal/cli"
	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol"
)

const (
	keyFileName    = "node.key"
	configFileName = "triad.toml"
)

// listFlag collects the values of a flag that may be repeated.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// runInit implements "triad init": a new identity key and a commented configuration
// template for one site.
func runInit(_ context.Context, args []string, stdout io.Writer) error {
	flags := cmdFlags("init")
	roleName := flags.String("role", "", "this site's role: controller-a, controller-b or third-party")
	dir := flags.String("dir", "", "folder for node.key and triad.toml (created if missing)")
	var listen listFlag
	flags.Var(&listen, "listen", "multiaddr to listen on; repeat for several (default: TCP and QUIC on port 4001, 4002 or 4003 by role)")
	force := flags.Bool("force", false, "replace an existing node.key and triad.toml (the site gets a new peer ID)")
	transport := flags.String("transport", "tcp", "which of the listen addresses to give the other sites: tcp or quic")
	if err := cli.Parse(flags, args, stdout); err != nil {
		return err
	}
	if *roleName == "" || *dir == "" {
		return cli.Usagef(flags, "init: --role and --dir are required")
	}
	role, err := protocol.ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("init: --role: %w", err)
	}
	if len(listen) == 0 {
		listen = defaultListen(role)
	}
	for _, s := range listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("init: --listen %q: %w", s, err)
		}
		if _, err := a.ValueForProtocol(ma.P_P2P); err == nil {
			return fmt.Errorf("init: --listen %q: a listen address must not name a peer ID", s)
		}
	}
	if *transport != "tcp" && *transport != "quic" {
		return cli.Usagef(flags, "init: --transport %q: want tcp or quic", *transport)
	}
	id, err := initSite(*dir, role, listen, *force)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s and %s for %s, peer ID %s\n",
		filepath.Join(*dir, keyFileName), filepath.Join(*dir, configFileName), role, id)
	if role != protocol.ThirdParty {
		fmt.Fprintf(stdout, "fill in the [data] table of %s with this site's CSV file and columns\n", configFileName)
	}
	a, ok := dialAddress(listen, id, *transport)
	if !ok {
		fmt.Fprintf(stdout, "this site listens on no %s address, so the other sites cannot dial it; they list it as\n", *transport)
	} else {
		fmt.Fprintf(stdout, "give the two other sites this line for the [peers] table of their triad.toml\n"+
			"(replace the IP address if they reach this machine at another one):\n")
	}
	fmt.Fprintf(stdout, "%s = %s\n", role, tomlString(a))
	return nil
}

// dialAddress returns the one address the other sites should dial: the first of the
// advertised addresses over transport ("tcp" or "quic"). A site with none is still
// known by its peer ID alone, and ok is false.
func dialAddress(listen []string, id peer.ID, transport string) (addr string, ok bool) {
	proto := ma.P_TCP
	if transport == "quic" {
		proto = ma.P_QUIC_V1
	}
	for _, s := range advertised(listen, id) {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			continue
		}
		if _, err := a.ValueForProtocol(proto); err == nil {
			return s, true
		}
	}
	return "/p2p/" + id.String(), false
}

// defaultListen is TCP and QUIC on all IPv4 interfaces, on a port that depends on the
// role so that three sites can share one test machine.
func defaultListen(r protocol.Role) []string {
	port := 4001 + int(r)
	return []string{
		fmt.Sprintf("/ip4/0.0.0.0/tcp/%d", port),
		fmt.Sprintf("/ip4/0.0.0.0/udp/%d/quic-v1", port),
	}
}

// initSite writes dir/node.key and dir/triad.toml. Both files are prepared in a
// temporary folder inside dir and moved into place together, so that a failure
// leaves dir as it was.
func initSite(dir string, role protocol.Role, listen []string, force bool) (id peer.ID, err error) {
	keyPath, cfgPath := filepath.Join(dir, keyFileName), filepath.Join(dir, configFileName)
	if !force {
		for _, p := range []string{keyPath, cfgPath} {
			if _, err := os.Lstat(p); err == nil {
				return "", fmt.Errorf("%s already exists; use --force to replace it (a new key gives the site a new peer ID)", p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
	}
	_, statErr := os.Stat(dir)
	switch {
	case errors.Is(statErr, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", err
		}
		defer func() {
			if err != nil {
				os.RemoveAll(dir)
			}
		}()
	case statErr != nil:
		return "", statErr
	}

	tmp, err := os.MkdirTemp(dir, ".triad-init-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if id, err = node.GenerateKey(filepath.Join(tmp, keyFileName)); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, configFileName), []byte(siteTemplate(role, listen)), 0o644); err != nil {
		return "", err
	}
	return id, replaceFiles(tmp, dir, []string{keyFileName, configFileName})
}

// replaceFiles moves the named files from src into dst, replacing what is there. If
// one move fails, the files already moved are taken back and the old ones restored.
func replaceFiles(src, dst string, names []string) error {
	type undo struct{ placed, backup string }
	var done []undo
	rollback := func() {
		for i := len(done) - 1; i >= 0; i-- {
			os.Remove(done[i].placed)
			if done[i].backup != "" {
				os.Rename(done[i].backup, done[i].placed)
			}
		}
	}
	for _, name := range names {
		target := filepath.Join(dst, name)
		u := undo{placed: target}
		if _, err := os.Lstat(target); err == nil {
			u.backup = filepath.Join(src, "old-"+name)
			if err := os.Rename(target, u.backup); err != nil {
				rollback()
				return err
			}
		}
		if err := os.Rename(filepath.Join(src, name), target); err != nil {
			if u.backup != "" {
				os.Rename(u.backup, target)
			}
			rollback()
			return err
		}
		done = append(done, u)
	}
	return nil
}

// advertised returns the site's addresses as other sites should dial them, each
// ending in /p2p/<id>. An unspecified listen address (0.0.0.0, ::) stands for every
// interface, so it is expanded to the machine's non-loopback addresses; where there
// are none, it is given as it is, for the operator to replace by the site's address.
func advertised(listen []string, id peer.ID) []string {
	ifaces, _ := manet.InterfaceMultiaddrs()
	var routable []ma.Multiaddr
	for _, a := range ifaces {
		if !manet.IsIPLoopback(a) && !manet.IsIP6LinkLocal(a) {
			routable = append(routable, a)
		}
	}
	suffix := "/p2p/" + id.String()
	var out []string
	for _, s := range listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			continue
		}
		addrs := []ma.Multiaddr{a}
		if manet.IsIPUnspecified(a) {
			if resolved, err := manet.ResolveUnspecifiedAddresses(addrs, routable); err == nil && len(resolved) > 0 {
				addrs = resolved
			}
		}
		for _, r := range addrs {
			out = append(out, r.String()+suffix)
		}
	}
	return out
}

// runID implements "triad id": the site's own full multiaddrs, one per line.
func runID(_ context.Context, args []string, stdout io.Writer) error {
	flags := cmdFlags("id")
	path := flags.String("config", "", "the site's configuration file")
	transport := flags.String("transport", "tcp", "which of the listen addresses to print: tcp or quic")
	if err := cli.Parse(flags, args, stdout); err != nil {
		return err
	}
	if *path == "" {
		return cli.Usagef(flags, "id: --config is required")
	}
	c, err := parseSiteConfig(*path)
	if err != nil {
		return err
	}
	if _, err := c.validateIdentity(); err != nil {
		return err
	}
	key, err := node.LoadKey(c.KeyFile)
	if err != nil {
		return c.errorAt("key_file", "%v", err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return c.errorAt("key_file", "%v", err)
	}
	if *transport != "tcp" && *transport != "quic" {
		return cli.Usagef(flags, "id: --transport %q: want tcp or quic", *transport)
	}
	a, _ := dialAddress(c.Listen, id, *transport)
	_, err = fmt.Fprintln(stdout, a)
	return err
}

// siteTemplate is the configuration triad init writes: every key with a one-line
// explanation and a sensible value, and [peers] last so that lines can be appended.
func siteTemplate(role protocol.Role, listen []string) string {
	d := defaultSiteConfig()
	quoted := make([]string, len(listen))
	for i, s := range listen {
		quoted[i] = tomlString(s)
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Triad site configuration for %s, written by triad init.", role)
	w("# Relative paths are relative to the folder of this file.")
	w("")
	w("# This site's part in the session: controller-a, controller-b or third-party.")
	w("role = %s", tomlString(role.String()))
	w("# This site's identity key; its peer ID is what the other sites configure. Keep it private (mode 0600).")
	w("key_file = %s", tomlString(keyFileName))
	w("# Multiaddrs to listen on (TCP and QUIC); the sites that come earlier in role order dial them.")
	w("listen = [%s]", strings.Join(quoted, ", "))
	w("# Folder for result.json and this site's disclosure log.")
	w("out_dir = %s", tomlString(d.OutDir))
	if role != protocol.ThirdParty {
		outcome := ""
		if role == protocol.ControllerA {
			outcome = "outcome"
		}
		w("")
		w("# This site's data, which never leaves it.")
		w("[data]")
		w("# CSV file with a header row.")
		w("file = %s", tomlString("data.csv"))
		w("# Column of the identifiers both controllers hold (a national ID, say).")
		w("id_column = %s", tomlString("id"))
		w("# Attribute columns to use, such as [\"age\", \"bmi\"]; empty means every column but the identifier.")
		w("features = []")
		w("# Column to predict, at the controller whose file holds it; leave it empty at the other controller.")
		w("outcome = %s", tomlString(outcome))
		w("# Fold identifiers to lower case before matching; both controllers must choose the same.")
		w("case_fold = %t", d.Data.CaseFold)
		w("# Field separator: one character, \"tab\", or \"auto\" to detect it (Dutch spreadsheets export \";\").")
		w("sep = %s", tomlString("auto"))
		w("# Decimal mark of numbers: \".\", \",\", or \"auto\" to detect it.")
		w("decimal = %s", tomlString("auto"))
	}
	w("")
	w("# Lasso regression; all three sites must agree.")
	w("[model]")
	w("# Regularisation strength (scikit-learn's alpha).")
	w("alpha = %s", tomlFloat(d.Model.Alpha))
	w("# Most solver iterations before it stops.")
	w("max_iter = %d", d.Model.MaxIter)
	w("# Convergence tolerance, scikit-learn's tol: the solver stops when the duality gap is at most tol·‖y − ȳ‖²/n.")
	w("tol = %s", tomlFloat(d.Model.Tol))
	w("# Minimum cohort: below this many joined people (and never below 10 per feature) no model is fitted.")
	w("min_rows = %d", d.Model.MinRows)
	w("# Choose alpha by secure K-fold cross-validation with this many folds (0: use alpha above).")
	w("cv = %d", d.Model.CV)
	w("# With cv: how many penalties on scikit-learn's LassoCV grid (alpha_max down to alpha_max/1000).")
	w("n_alphas = %d", d.Model.NAlphas)
	w("# With cv: the penalties to try instead of the grid, such as [0.5, 0.1, 0.01]; empty means the grid.")
	w("alphas = []")
	w("# With cv: \"min\" takes the alpha of least mean validation error, \"1se\" the largest within one standard error of it.")
	w("cv_rule = %s", tomlString(d.Model.CVRule))
	w("")
	w("# Encryption; all three sites must agree.")
	w("[crypto]")
	w("# Paillier modulus size in bits: 2048 or 3072.")
	w("paillier_bits = %d", d.Crypto.PaillierBits)
	w("")
	w("# The two other sites, each as role = \"multiaddr ending in /p2p/<peer id>\", from triad init or triad id there.")
	w("# Keep this table last: lines can then be appended to the file.")
	w("[peers]")
	return b.String()
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlFloat formats f so that TOML reads it back as a float, not an integer.
func tomlFloat(f float64) string {
	s := fmt.Sprintf("%g", f)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}
