// Package testnet runs Triad sessions the way sites run them: three `triad node`
// processes, each with its own identity and configuration written by `triad init`,
// listening on ports the system chooses. Its tests check the processes' results
// against the embedded run and against scikit-learn's fit of the joined table, and
// what the processes do when a peer is killed, stopped, misconfigured or cut off, on
// loopback and across network namespaces joined by veth pairs.
//
// The tests start processes and, as root, network namespaces, so they run only when
// TRIAD_TESTNET is set (testnet/run.sh and `make testnet` set it). TRIAD_BIN names
// the binary to test; without it the tests build ./cmd/triad. Every process and
// namespace a test starts is removed when it ends, and every wait is bounded.
package testnet
