#!/usr/bin/env bash
# Runs the process tests of this folder (go test ./testnet/ with TRIAD_TESTNET set):
# sessions of three `triad node` processes on loopback and across network namespaces,
# checked against the embedded run and scikit-learn, with peers killed, stopped,
# misconfigured and cut off. Network namespaces need root; without it that test skips.
#
# usage: testnet/run.sh [path/to/triad] [go test flags...]
# Without a binary the tests build ./cmd/triad themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=""
if [ $# -gt 0 ]; then
	bin=$(realpath "$1")
	shift
fi

# Namespaces named triadtn-<pid>-<role> whose test binary is gone: the tests remove
# their own, but not if something killed them first.
cleanup() {
	command -v ip >/dev/null || return 0
	ip netns list 2>/dev/null | awk '{print $1}' | while read -r ns; do
		case "$ns" in triadtn-*) ;; *) continue ;; esac
		pid=${ns#triadtn-}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null || ip netns del "$ns" 2>/dev/null || true
	done
}
trap cleanup EXIT
cleanup

TRIAD_TESTNET=1 TRIAD_BIN="$bin" "${GO:-go}" test -count=1 -timeout 8m "$@" ./testnet/
