package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/triad-mpc/triad/protocol"
)

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.key")
	id, err := GenerateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %04o, want 0600", perm)
	}
	before, _ := os.ReadFile(path)
	if _, err := GenerateKey(path); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("GenerateKey over an existing key: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("GenerateKey changed an existing key file")
	}

	sk, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := peer.IDFromPrivateKey(sk); got != id {
		t.Fatalf("loaded key has peer ID %s, generated %s", got, id)
	}

	// Across restarts the node keeps the identity in its key file.
	a, b := newSite(t), newSite(t)
	for range 2 {
		sk, err := LoadKey(path)
		if err != nil {
			t.Fatal(err)
		}
		n, err := New(context.Background(), Config{
			Role:   protocol.ThirdParty,
			Listen: []string{"/ip4/127.0.0.1/tcp/0"},
			Key:    sk,
			Peers: map[protocol.Role]string{
				protocol.ControllerA: "/ip4/127.0.0.1/tcp/1/p2p/" + a.id.String(),
				protocol.ControllerB: "/ip4/127.0.0.1/tcp/1/p2p/" + b.id.String(),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if n.ID() != id {
			t.Errorf("node started with peer ID %s, want %s", n.ID(), id)
		}
		for _, a := range n.Addrs() {
			if !strings.HasSuffix(a.String(), "/p2p/"+id.String()) {
				t.Errorf("address %s does not end in the node's peer ID", a)
			}
		}
		n.Close()
	}

	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("LoadKey of a group-readable key: %v", err)
	}
	if _, err := LoadKey(filepath.Join(t.TempDir(), "missing.key")); err == nil {
		t.Fatal("LoadKey of a missing file succeeded")
	}
	junk := filepath.Join(t.TempDir(), "junk.key")
	os.WriteFile(junk, []byte("not a key"), 0o600)
	if _, err := LoadKey(junk); err == nil {
		t.Fatal("LoadKey of a file that holds no key succeeded")
	}
}

func TestConfigValidate(t *testing.T) {
	self, a, b := newSite(t), newSite(t), newSite(t)
	addr := func(s site) string { return "/ip4/10.0.0.1/tcp/4001/p2p/" + s.id.String() }
	good := func() Config {
		return Config{
			Role:   protocol.ThirdParty,
			Listen: []string{"/ip4/0.0.0.0/tcp/4003", "/ip4/0.0.0.0/udp/4003/quic-v1"},
			Key:    self.key,
			Peers:  map[protocol.Role]string{protocol.ControllerA: addr(a), protocol.ControllerB: addr(b)},
		}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("a good config: %v", err)
	}
	cases := []struct {
		name   string
		change func(*Config)
		want   string // the field the error must name
	}{
		{"bad role", func(c *Config) { c.Role = 7 }, "Role"},
		{"no key", func(c *Config) { c.Key = nil }, "Key"},
		{"bad listen address", func(c *Config) { c.Listen = []string{"/ip4/0.0.0.0/tcp/4003", "tcp://0.0.0.0:4003"} }, `Listen[1]: "tcp://0.0.0.0:4003"`},
		{"listen address with a peer ID", func(c *Config) { c.Listen = []string{addr(self)} }, "Listen[0]"},
		{"nowhere to listen", func(c *Config) { c.Listen = nil }, "Listen"},
		{"missing peer", func(c *Config) { delete(c.Peers, protocol.ControllerB) }, "Peers[controller-b]: missing"},
		{"peer without an ID", func(c *Config) { c.Peers[protocol.ControllerA] = "/ip4/10.0.0.1/tcp/4001" }, "Peers[controller-a]"},
		{"peer ID without an address", func(c *Config) { c.Peers[protocol.ControllerA] = "/p2p/" + a.id.String() }, "Peers[controller-a]"},
		{"bad multiaddr", func(c *Config) { c.Peers[protocol.ControllerB] = "/ip4/10.0.0.300/tcp/1" }, `Peers[controller-b]: "/ip4/10.0.0.300/tcp/1"`},
		{"self as a peer", func(c *Config) { c.Peers[protocol.ThirdParty] = addr(b) }, "Peers[third-party]"},
		{"own ID for a peer", func(c *Config) { c.Peers[protocol.ControllerA] = addr(self) }, "Peers[controller-a]"},
		{"one ID for both peers", func(c *Config) { c.Peers[protocol.ControllerB] = addr(a) }, "same peer ID"},
		{"negative peer timeout", func(c *Config) { c.PeerTimeout = -time.Second }, "PeerTimeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := good()
			c.change(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatal("Validate accepted the config")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not name %q", err, c.want)
			}
			if _, err := New(context.Background(), cfg); err == nil {
				t.Fatal("New accepted the config")
			}
		})
	}

	// Controller-a only dials, so it may listen nowhere.
	cfg := good()
	cfg.Role, cfg.Listen = protocol.ControllerA, nil
	cfg.Peers = map[protocol.Role]string{protocol.ControllerB: addr(a), protocol.ThirdParty: addr(b)}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("controller-a without listen addresses: %v", err)
	}
}
