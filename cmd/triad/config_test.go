package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol"
)

// testSite runs triad init for role in a fresh folder and returns the folder.
func testSite(t *testing.T, role protocol.Role, extra ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), role.String())
	args := append([]string{"--role", role.String(), "--dir", dir}, extra...)
	if err := runInit(context.Background(), args, new(strings.Builder)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// peerLine is a [peers] line for role with a fresh peer ID.
func peerLine(t *testing.T, role protocol.Role) string {
	t.Helper()
	id, err := node.GenerateKey(filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s = \"/ip4/192.0.2.%d/tcp/%d/p2p/%s\"\n", role, 10+int(role), 4001+int(role), id)
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func TestTemplateRoundTrip(t *testing.T) {
	for _, role := range protocol.Roles() {
		t.Run(role.String(), func(t *testing.T) {
			dir := testSite(t, role)
			path := filepath.Join(dir, configFileName)

			// Without peers the template is incomplete, and says what is missing.
			_, err := loadSiteConfig(path)
			if err == nil || !strings.Contains(err.Error(), "peers."+role.Others()[0].String()) {
				t.Fatalf("template without peers: %v", err)
			}

			for _, r := range role.Others() {
				appendTo(t, path, peerLine(t, r))
			}
			c, err := loadSiteConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			def := defaultSiteConfig()
			if c.Role != role.String() {
				t.Errorf("role %q, want %q", c.Role, role)
			}
			if want := defaultListen(role); !slices.Equal(c.Listen, want) {
				t.Errorf("listen %v, want %v", c.Listen, want)
			}
			if c.KeyFile != filepath.Join(dir, keyFileName) || c.OutDir != filepath.Join(dir, "out") {
				t.Errorf("key_file %q, out_dir %q: want them resolved against %s", c.KeyFile, c.OutDir, dir)
			}
			if c.Model != def.Model || c.Crypto != def.Crypto {
				t.Errorf("model %+v, crypto %+v: want the defaults %+v, %+v", c.Model, c.Crypto, def.Model, def.Crypto)
			}
			if role != protocol.ThirdParty {
				if c.Data.File != filepath.Join(dir, "data.csv") || c.Data.IDColumn != "id" || c.Data.CaseFold != def.Data.CaseFold {
					t.Errorf("data %+v", c.Data)
				}
			}
			if p := c.settings(); p.Join.PaillierBits != c.Crypto.PaillierBits || p.Model.Alpha != c.Model.Alpha || p.Model.MaxIter != c.Model.MaxIter || p.Model.MinRows != c.Model.MinRows {
				t.Errorf("params %+v do not follow the file", p)
			}

			cfg, err := c.nodeConfig()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Role != role || len(cfg.Peers) != 2 {
				t.Fatalf("node config %+v", cfg)
			}
			key, err := node.LoadKey(filepath.Join(dir, keyFileName))
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.Key.Equals(key) {
				t.Fatal("node config does not carry the site's key")
			}
		})
	}
}

func TestSiteConfigErrors(t *testing.T) {
	type edit struct {
		old, new string // replace old by new in the template; old "" appends
	}
	cases := []struct {
		name  string
		role  protocol.Role
		edits []edit
		at    string   // the error must give the line holding this text, if set
		want  []string // and contain these fragments
	}{
		{"unknown key", protocol.ControllerA, []edit{{"case_fold = true", "case_fold = true\ncolour = \"blue\""}}, "colour", []string{`unknown key "data.colour"`}},
		{"unknown table", protocol.ThirdParty, []edit{{"[crypto]", "[cryptography]\nbits = 1\n[crypto]"}}, "[cryptography]", []string{`unknown key "cryptography"`}},
		{"bad role", protocol.ControllerB, []edit{{`role = "controller-b"`, `role = "insurer"`}}, "insurer", []string{"role:", `"insurer"`}},
		{"wrong type", protocol.ControllerA, []edit{{"max_iter = 5000", `max_iter = "many"`}}, "many", []string{"max_iter"}},
		{"syntax", protocol.ControllerA, []edit{{`id_column = "id"`, `id_column = "id`}}, "id_column", nil},
		{"bad multiaddr", protocol.ThirdParty, []edit{{"", "controller-a = \"/ip4/192.0.2.300/tcp/4001/p2p/x\"\n"}}, "192.0.2.300", []string{"peers.controller-a:", "not a multiaddr"}},
		{"no peer ID", protocol.ThirdParty, []edit{{"", "controller-a = \"/ip4/192.0.2.3/tcp/4001\"\n"}}, "192.0.2.3/", []string{"peers.controller-a:", "/p2p/"}},
		{"missing peer", protocol.ControllerA, []edit{{"", "PEER:controller-b"}}, "", []string{"peers.third-party: missing"}},
		{"peer for self", protocol.ControllerA, []edit{{"", "PEER:controller-a"}}, "controller-a = ", []string{"peers.controller-a:", "list the two other sites"}},
		{"unknown peer role", protocol.ControllerA, []edit{{"", "auditor = \"/ip4/192.0.2.3/tcp/1\"\n"}}, "auditor", []string{"peers.auditor:"}},
		{"bad listen address", protocol.ControllerB, []edit{{`"/ip4/0.0.0.0/tcp/4002"`, `"tcp://0.0.0.0:4002"`}}, "listen =", []string{"listen:", "not a multiaddr"}},
		{"third party with data", protocol.ThirdParty, []edit{{"[model]", "[data]\nfile = \"x.csv\"\n\n[model]"}}, "[data]", []string{"data:", "holds no data"}},
		{"bad paillier size", protocol.ControllerA, []edit{{"paillier_bits = 2048", "paillier_bits = 1024"}}, "paillier_bits", []string{"crypto.paillier_bits:", "2048 or 3072"}},
		{"negative alpha", protocol.ThirdParty, []edit{{"alpha = 0.1", "alpha = -1.0"}}, "alpha =", []string{"model.alpha:"}},
		{"id as feature", protocol.ControllerA, []edit{{"features = []", `features = ["age", "id"]`}}, "features =", []string{"data.features:", "identifier"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := testSite(t, c.role)
			path := filepath.Join(dir, configFileName)
			doc, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			text := string(doc)
			for _, e := range c.edits {
				switch {
				case strings.HasPrefix(e.new, "PEER:"):
					r, _ := protocol.ParseRole(strings.TrimPrefix(e.new, "PEER:"))
					text += peerLine(t, r)
				case e.old == "":
					text += e.new
				default:
					if !strings.Contains(text, e.old) {
						t.Fatalf("template has no %q", e.old)
					}
					text = strings.Replace(text, e.old, e.new, 1)
				}
			}
			// Complete the peers the case leaves out, so that only its own fault
			// remains.
			for _, r := range c.role.Others() {
				if c.name != "missing peer" && !strings.Contains(text, "\n"+r.String()+" = ") {
					text += peerLine(t, r)
				}
			}
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = loadSiteConfig(path)
			if err == nil {
				t.Fatalf("loadSiteConfig accepted:\n%s", text)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the file", msg)
			}
			if c.at != "" {
				line := 1 + strings.Count(text[:strings.Index(text, c.at)], "\n")
				if want := fmt.Sprintf("%s:%d:", path, line); !strings.Contains(msg, want) {
					t.Errorf("error %q does not point at line %d", msg, line)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestControllerNeedsData(t *testing.T) {
	dir := testSite(t, protocol.ControllerB)
	path := filepath.Join(dir, configFileName)
	doc, _ := os.ReadFile(path)
	// Drop the [data] table and its keys.
	text := string(doc)
	start, end := strings.Index(text, "[data]"), strings.Index(text, "[model]")
	text = text[:start] + text[end:]
	for _, r := range protocol.ControllerB.Others() {
		text += peerLine(t, r)
	}
	os.WriteFile(path, []byte(text), 0o644)
	_, err := loadSiteConfig(path)
	if err == nil || !strings.Contains(err.Error(), path+": data: missing") {
		t.Fatalf("controller without [data]: %v", err)
	}
}

func TestNodeConfigKeyErrors(t *testing.T) {
	dir := testSite(t, protocol.ThirdParty)
	path := filepath.Join(dir, configFileName)
	for _, r := range protocol.ThirdParty.Others() {
		appendTo(t, path, peerLine(t, r))
	}
	c, err := loadSiteConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(c.KeyFile, 0o644)
	if _, err := c.nodeConfig(); err == nil || !strings.Contains(err.Error(), "key_file:") || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v", err)
	}
	os.Remove(c.KeyFile)
	if _, err := c.nodeConfig(); err == nil || !strings.Contains(err.Error(), "key_file") {
		t.Fatalf("missing key: %v", err)
	}
}

func TestIDCommand(t *testing.T) {
	dir := testSite(t, protocol.ControllerB, "--listen", "/ip4/127.0.0.1/tcp/4102", "--listen", "/ip4/127.0.0.1/udp/4102/quic-v1")
	var out strings.Builder
	if err := runID(context.Background(), []string{"--config", filepath.Join(dir, configFileName)}, &out); err != nil {
		t.Fatal(err)
	}
	key, err := node.LoadKey(filepath.Join(dir, keyFileName))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := peer.IDFromPrivateKey(key)
	want := []string{
		"/ip4/127.0.0.1/tcp/4102/p2p/" + id.String(),
		"/ip4/127.0.0.1/udp/4102/quic-v1/p2p/" + id.String(),
	}
	if got := strings.Fields(out.String()); !slices.Equal(got, want) {
		t.Fatalf("triad id printed %q, want %q", got, want)
	}
}
