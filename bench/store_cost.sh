#!/usr/bin/env bash
# The request-path cost of the store: the same wrk load, in one run, against
#   (a) sluice with the usage ledger on (SQLite, the default: every request
#       queued for the group commit every 200 ms),
#   (b) the same sluice with the ledger off (store.usage_ledger: false),
#   (c) optionally BASE, another sluice binary (e.g. a build from before the
#       store existed), with the same config minus the store keys,
# all in front of one instant engine-sim; prints requests/s, p50/p99 and CPU
# per request of each, and the ratios to (b).
# Usage: bench/store_cost.sh path/to/sluice [duration_s] [connections] [BASE-sluice]
set -euo pipefail
SLUICE=$(realpath "${1:-build/release/sluice}")
DURATION=${2:-10}
CONNS=${3:-32}
BASE=${4:-}
THREADS=2
WORK=$(mktemp -d /tmp/sluice-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-deps.sh --bench" >&2; exit 1; }

start_engine "$SLUICE" engine


start_bench_sluice ledger "$SLUICE" "store: {url: sqlite:sluice.db, commit_interval: 200ms}"
start_bench_sluice no-ledger "$SLUICE" "store: {url: sqlite:sluice.db, usage_ledger: false}"
[[ -n "$BASE" ]] && start_bench_sluice base "$(realpath "$BASE")" ""

write_post_lua
warm_up "http://127.0.0.1:$PORT_ledger" "http://127.0.0.1:$PORT_no_ledger" ${BASE:+"http://127.0.0.1:$PORT_base"}
results=()
# Alternate the order across two rounds so neither target always runs on a cooler machine.
for round in 1 2; do
  results+=("$(run_wrk "no-ledger-$round" "http://127.0.0.1:$PORT_no_ledger" "$PID_no_ledger")")
  results+=("$(run_wrk "ledger-$round" "http://127.0.0.1:$PORT_ledger" "$PID_ledger")")
  [[ -n "$BASE" ]] && results+=("$(run_wrk "base-$round" "http://127.0.0.1:$PORT_base" "$PID_base")")
done
rows=$(sqlite3 "$WORK/ledger/sluice.db" "SELECT COUNT(*) FROM usage" 2>/dev/null || echo "?")

echo
echo "store cost: wrk -t$THREADS -c$CONNS -d${DURATION}s ×2 rounds, POST /v1/chat/completions (max_tokens 16), $(nproc) cores"
echo "usage rows the ledger holds after the run: $rows"
print_rounds no-ledger ledger ${BASE:+base}
