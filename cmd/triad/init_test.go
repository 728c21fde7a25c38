package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol"
)

func keyID(t *testing.T, path string) peer.ID {
	t.Helper()
	key, err := node.LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestInitWritesSite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hospital")
	var out strings.Builder
	if err := runInit(context.Background(), []string{"--role", "controller-a", "--dir", dir}, &out); err != nil {
		t.Fatal(err)
	}
	keyPath, cfgPath := filepath.Join(dir, keyFileName), filepath.Join(dir, configFileName)
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("node.key has mode %04o, want 0600", perm)
	}
	id := keyID(t, keyPath)

	doc, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	// Every key comes with its comment line, and [peers] is the last table.
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		if strings.Contains(l, " = ") && !strings.HasPrefix(l, "#") && (i == 0 || !strings.HasPrefix(lines[i-1], "#")) {
			t.Errorf("line %d %q has no comment above it", i+1, l)
		}
	}
	if last := lines[len(lines)-1]; last != "[peers]" {
		t.Errorf("the template ends with %q, want the [peers] table", last)
	}
	for _, want := range []string{`role = "controller-a"`, `"/ip4/0.0.0.0/tcp/4001"`, `"/ip4/0.0.0.0/udp/4001/quic-v1"`, "[data]"} {
		if !strings.Contains(text, want) {
			t.Errorf("the template lacks %s", want)
		}
	}

	// The output gives exactly one [peers] line, over TCP, carrying the new peer ID.
	var peerLines int
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "controller-a = ") {
			peerLines++
			if !strings.HasSuffix(l, "/p2p/"+id.String()+`"`) || !strings.Contains(l, "/tcp/4001/") {
				t.Errorf("printed address %q does not end in the site's peer ID", l)
			}
		}
	}
	if peerLines != 1 {
		t.Errorf("init printed %d [peers] lines, want the one to give the other sites:\n%s", peerLines, out.String())
	}
}

func TestInitRefusesOverwrite(t *testing.T) {
	dir := testSite(t, protocol.ThirdParty)
	keyPath, cfgPath := filepath.Join(dir, keyFileName), filepath.Join(dir, configFileName)
	id := keyID(t, keyPath)
	appendTo(t, cfgPath, "# edited by the operator\n")
	before, _ := os.ReadFile(cfgPath)

	err := runInit(context.Background(), []string{"--role", "third-party", "--dir", dir}, new(strings.Builder))
	if err == nil || !strings.Contains(err.Error(), "already exists") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("init over an existing site: %v", err)
	}
	if keyID(t, keyPath) != id {
		t.Fatal("the refused init replaced the key")
	}
	if after, _ := os.ReadFile(cfgPath); string(after) != string(before) {
		t.Fatal("the refused init changed the configuration")
	}
	// A configuration without its key is refused as well.
	os.Remove(keyPath)
	if err := runInit(context.Background(), []string{"--role", "third-party", "--dir", dir}, new(strings.Builder)); err == nil {
		t.Fatal("init over an existing configuration succeeded")
	}
	if _, err := os.Stat(keyPath); err == nil {
		t.Fatal("the refused init wrote a key")
	}

	if err := runInit(context.Background(), []string{"--role", "third-party", "--dir", dir, "--force"}, new(strings.Builder)); err != nil {
		t.Fatal(err)
	}
	if keyID(t, keyPath) == id {
		t.Fatal("--force kept the old key")
	}
	if after, _ := os.ReadFile(cfgPath); strings.Contains(string(after), "edited by the operator") {
		t.Fatal("--force kept the old configuration")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("the site folder holds %d entries, want node.key and triad.toml", len(entries))
	}
}

func TestInitWritesNothingOnError(t *testing.T) {
	cases := [][]string{
		{"--role", "auditor"},
		{"--role", "controller-b", "--listen", "/ip4/0.0.0.0/tcp/4002", "--listen", "not-an-address"},
		{"--role", "controller-b", "--listen", "/ip4/0.0.0.0/tcp/4002/p2p/12D3KooWSBrxaSzNE5iqAHqMdsNaDUoq6tSa3GFarg3nuptAKrqD"},
	}
	for _, args := range cases {
		dir := filepath.Join(t.TempDir(), "site")
		if err := runInit(context.Background(), append(args, "--dir", dir), new(strings.Builder)); err == nil {
			t.Errorf("init %v succeeded", args)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("init %v left %s behind", args, dir)
		}
	}
}

func TestInitListen(t *testing.T) {
	dir := testSite(t, protocol.ControllerB, "--listen", "/ip4/10.1.2.3/tcp/7000")
	path := filepath.Join(dir, configFileName)
	for _, r := range protocol.ControllerB.Others() {
		appendTo(t, path, peerLine(t, r))
	}
	c, err := loadSiteConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Listen) != 1 || c.Listen[0] != "/ip4/10.1.2.3/tcp/7000" {
		t.Fatalf("listen %v, want the --listen address only", c.Listen)
	}
}
