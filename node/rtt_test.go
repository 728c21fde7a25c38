package node

import (
	"testing"
	"time"
)

// TestRTTMeasured checks that each node measures the round-trip time to both peers
// once their links are up, and that ping traffic does not count as session bytes.
func TestRTTMeasured(t *testing.T) {
	nodes, _ := loopback(t)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(20 * time.Second)
	for _, n := range nodes {
		for _, r := range n.self.Others() {
			for n.Stats().Peers[r].RTT == 0 {
				select {
				case <-tick.C:
				case <-timeout:
					t.Fatalf("%s never measured its round-trip time to %s", n.self, r)
				}
			}
			if st := n.Stats().Peers[r]; st.RTT < 0 || st.RTT > 10*time.Second || st.BytesSent != 0 {
				t.Fatalf("%s → %s: %+v", n.self, r, st)
			}
		}
	}
}
