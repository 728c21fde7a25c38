package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	logging "github.com/ipfs/go-log/v2"

	"github.com/triad-mpc/triad/actors/console"
)

var log = logging.Logger("triad/cmd")

// startConsole serves the debug console on addr (host:port) until the returned stop
// function is called. The console shows actor state and link statistics, never data.
func startConsole(addr string, w io.Writer, parties ...console.Party) (stop func(), err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	srv := &http.Server{Handler: console.Handler(parties...), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warnw("console stopped", "err", err)
		}
	}()
	fmt.Fprintf(w, "debug console: http://%s/\n", l.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
