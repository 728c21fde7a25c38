package node

import (
	logging "github.com/ipfs/go-log/v2"
	"github.com/libp2p/go-libp2p/gologshim"
)

// log records link events: peer roles, peer IDs, addresses, sizes and errors, never
// message contents. go-log keeps it at error level unless GOLOG_LOG_LEVEL or
// logging.SetLogLevel("triad/node", ...) says otherwise.
var log = logging.Logger("triad/node")

// RouteLibp2pLogs sends go-libp2p's log/slog output through go-log, so that one
// setting (GOLOG_LOG_LEVEL, logging.SetLogLevel) governs Triad's and libp2p's logs
// and both come out in the same format. The binary calls it once at start-up,
// before the first node is created: go-libp2p picks its handler on first use.
func RouteLibp2pLogs() {
	gologshim.SetDefaultHandler(logging.SlogHandler())
}
