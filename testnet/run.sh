#!/usr/bin/env bash
# Starts three triad nodes as separate processes on loopback, runs one session on
# synthetic data, checks their results against each other and against the same session
# run in one process, checks that no identifier reached a log, and stops them.
#
# usage: testnet/run.sh [path/to/triad] [rows]
set -euo pipefail

bin=$(realpath "${1:-bin/triad}")
rows=${2:-400}
alpha=0.05
work=$(mktemp -d "${TMPDIR:-/tmp}/triad-testnet.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "testnet: FAIL: $*" >&2
	for r in controller-a controller-b third-party; do
		[ -f "$work/$r.log" ] && { echo "--- $r.log" >&2; tail -n 20 "$work/$r.log" >&2; }
	done
	exit 1
}

"$bin" demo --data-only --rows "$rows" --out "$work/data" >/dev/null

roles=(controller-a controller-b third-party)
base=$((20000 + RANDOM % 20000))
declare -A addr
for i in 0 1 2; do
	r=${roles[$i]}
	"$bin" init --role "$r" --dir "$work/$r" --listen "/ip4/127.0.0.1/tcp/$((base + i))" >"$work/$r.init"
	addr[$r]=$(grep -o '"/ip4/127.0.0.1/tcp/[0-9]*/p2p/[^"]*"' "$work/$r.init" | head -n 1)
	[ -n "${addr[$r]}" ] || fail "triad init printed no address for $r"
done

configure() { # role, data file, outcome
	local cfg="$work/$1/triad.toml"
	if [ -n "$2" ]; then
		sed -i -e "s|^file = .*|file = \"$2\"|" -e 's|^id_column = .*|id_column = "patient_id"|' \
			-e "s|^outcome = .*|outcome = \"$3\"|" "$cfg"
	fi
	sed -i -e "s|^alpha = .*|alpha = $alpha|" "$cfg"
	for o in "${roles[@]}"; do
		[ "$o" = "$1" ] || echo "$o = ${addr[$o]}" >>"$cfg"
	done
}
configure controller-a "$work/data/hospital.csv" hospital_days
configure controller-b "$work/data/insurer.csv" ""
configure third-party "" ""

for r in "${roles[@]}"; do
	timeout 600 "$bin" node --config "$work/$r/triad.toml" >"$work/$r.log" 2>&1 &
	pids+=($!)
done
for i in 0 1 2; do
	wait "${pids[$i]}" || fail "${roles[$i]} exited with status $?"
done
pids=()

"$bin" run --controller-a "$work/data/hospital.csv" --controller-b "$work/data/insurer.csv" \
	--id patient_id --outcome hospital_days --alpha "$alpha" --out "$work/embedded" >"$work/embedded.log" 2>&1 ||
	fail "the embedded run failed: $(tail -n 5 "$work/embedded.log")"

# Identifiers must not appear in any log or disclosure record.
tail -n +2 "$work/data/hospital.csv" | cut -d, -f1 >"$work/ids"
tail -n +2 "$work/data/insurer.csv" | cut -d, -f1 >>"$work/ids"
if grep -rlF -f "$work/ids" "$work"/*.log "$work"/*/out/*.jsonl "$work/embedded"/*.jsonl 2>/dev/null; then
	fail "an identifier appears in the logs above"
fi

python3 - "$work" <<'PY' || fail "results disagree"
import json, sys
work = sys.argv[1]
res = {r: json.load(open(f"{work}/{r}/out/result.json")) for r in ("controller-a", "controller-b", "third-party")}
emb = json.load(open(f"{work}/embedded/result.json"))
n = {r: v["intersection_size"] for r, v in res.items()}
assert len(set(n.values())) == 1 and n["third-party"] == emb["intersection_size"] > 0, n
ref = emb["coefficients"]
scale = max([1.0] + [abs(v) for v in ref.values()])
for r, v in res.items():
    assert v["iterations"] > 0, (r, v["iterations"])
    assert set(v["coefficients"]) == set(ref), (r, sorted(v["coefficients"]))
    worst = max(abs(v["coefficients"][k] - ref[k]) for k in ref)
    assert worst <= 1e-4 * scale, (r, worst)
    assert abs(v["r2"] - emb["r2"]) <= 1e-5, (r, v["r2"], emb["r2"])
print(f"testnet: ok: {n['third-party']} joined rows, {len(ref)} coefficients, R² {emb['r2']:.6f}, "
      f"three processes agree with the embedded run")
PY
