#!/usr/bin/env bash
# The request-path cost of shared limits: the same wrk load, in one run, against
#   (a) alone:      one sluice, no cluster (limits local),
#   (b) one-of-3:   one of three sluice replicas sharing limits through one Redis
#                   (the default lease: 1 % of the limit taken ahead of time),
#   (c) no-lease:   the same three replicas with lease_percent: 0, so every
#                   admission takes its request from Redis (the worst case),
# all in front of one instant engine-sim, with a tenant whose limits are high
# enough never to refuse; prints requests/s, p50/p99 and CPU per request of
# each (CPU of the measured replica plus Redis's), and the ratios to (a).
# Usage: bench/replicas_cost.sh path/to/sluice [duration_s] [connections]
set -euo pipefail
SLUICE=$(realpath "${1:-build/release/sluice}")
DURATION=${2:-10}
CONNS=${3:-32}
THREADS=2
WORK=$(mktemp -d /tmp/sluice-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-deps.sh --bench" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server is missing: run scripts/install-deps.sh --bench" >&2; exit 1; }

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --logfile "" > "$WORK/redis.out" 2>&1 &
REDIS_PID=$!
PIDS+=($REDIS_PID)
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

start_engine "$SLUICE" engine

# Limits far above the load: admissions never refused, only shared.
STORE='store: {url: "sqlite::memory:", usage_ledger: false}'
LIMITS='{rpm: 100000000, tpm: 10000000000, max_concurrency: 100000}'
start_bench_sluice alone "$SLUICE" "$STORE" "$LIMITS"
for i in 1 2 3; do
  start_bench_sluice "leased$i" "$SLUICE" "$STORE
cluster: {redis: \"redis://127.0.0.1:$REDIS_PORT/0\"}" "$LIMITS"
  start_bench_sluice "nolease$i" "$SLUICE" "$STORE
cluster: {redis: \"redis://127.0.0.1:$REDIS_PORT/1\", lease_percent: 0}" "$LIMITS"
done

write_post_lua
warm_up "http://127.0.0.1:$PORT_alone" "http://127.0.0.1:$PORT_leased1" "http://127.0.0.1:$PORT_nolease1"
results=()
for round in 1 2; do
  results+=("$(run_wrk "alone-$round" "http://127.0.0.1:$PORT_alone" "$PID_alone")")
  results+=("$(run_wrk "one-of-3-$round" "http://127.0.0.1:$PORT_leased1" "$PID_leased1" "$REDIS_PID")")
  results+=("$(run_wrk "no-lease-$round" "http://127.0.0.1:$PORT_nolease1" "$PID_nolease1" "$REDIS_PID")")
done
takes=$(curl -s "http://127.0.0.1:$(grep -o 'admin: 127.0.0.1:[0-9]*' "$WORK/leased1/sluice.yaml" | cut -d: -f3)/metrics" |
  awk '/^sluice_cluster_lease_takes_total/ {print $2}')

echo
echo "shared limits cost: wrk -t$THREADS -c$CONNS -d${DURATION}s ×2 rounds, POST /v1/chat/completions (max_tokens 16), $(nproc) cores"
echo "Redis lease calls of the measured default replica over the whole run: ${takes:-?}"
print_rounds alone one-of-3 no-lease
