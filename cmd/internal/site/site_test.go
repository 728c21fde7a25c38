package site

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/triad-mpc/triad/actors"
	"github.com/triad-mpc/triad/actors/console"
	"github.com/triad-mpc/triad/node"
	"github.com/triad-mpc/triad/protocol"
)

// TestLinksAndConsole starts three loopback nodes and checks what the actors and the
// console are told of their links, and that the console serves on loopback.
func TestLinksAndConsole(t *testing.T) {
	ctx := context.Background()
	nodes, err := node.Loopback(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()
	for _, n := range nodes {
		if _, err := n.Transport(ctx); err != nil {
			t.Fatal(err)
		}
	}
	links := PeerLinks(nodes[protocol.ThirdParty])()
	if len(links) != 2 || links[0].PeerID == "" || !links[0].Connected || links[0].State != "up" {
		t.Fatalf("peer links %+v", links)
	}
	roles := []string{links[0].Role, links[1].Role}
	if !slices.Contains(roles, "controller-a") || !slices.Contains(roles, "controller-b") {
		t.Fatalf("peer links name %v", roles)
	}

	reg := actors.NewRegistry()
	var out strings.Builder
	stop, err := StartConsole("127.0.0.1:0", &out, console.Party{Role: "controller-a", Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	url := strings.TrimSpace(strings.TrimPrefix(out.String(), "debug console: "))
	resp, err := http.Get(url + "api/state")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %sapi/state: %s", url, resp.Status)
	}
	ShowProgress(nil, reg)() // no writer: nothing to show, nothing to stop
}
