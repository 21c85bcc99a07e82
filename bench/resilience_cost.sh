#!/usr/bin/env bash
# What resilience costs: the same wrk load through two sluice processes in
# front of the same two engine-sim instances (instant profile), in one run:
#   off: no active checks, no outlier detection, no retries, no routes;
#   on:  active checks every 1 s, outlier detection (1 s sweeps), 2 retries
#        with a retry budget, per-try/first-token/idle timeouts, and a
#        header-matched route with fault injection evaluated (at 0%).
# Each is measured twice, alternating (off, on, off, on), and the table ends
# with the on/off ratios of the means.
# Usage: bench/resilience_cost.sh path/to/sluice [duration_s] [connections]
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

start_engine "$SLUICE" engine-a; PORT_A=$ENGINE_PORT
start_engine "$SLUICE" engine-b; PORT_B=$ENGINE_PORT
KEY_HASH=$(bench_key_hash)

# sluice_config name api-port admin-port server-extra model-extra routes
sluice_config() {
  cat > "$WORK/$1.yaml" <<YAML
listen: {api: 127.0.0.1:$2, admin: 127.0.0.1:$3}
server: {threads: $THREADS, access_log: $WORK/$1-access.log$4}
tenants:
  - id: bench
    api_keys: [sha256:$KEY_HASH]
    models: ["*"]
models:
  - name: bench-model
    source: static
    static: {endpoints: ["http://127.0.0.1:$PORT_A", "http://127.0.0.1:$PORT_B"]}
$5
$6
YAML
}

OFF_API=$(free_port); OFF_ADMIN=$(free_port)
sluice_config off "$OFF_API" "$OFF_ADMIN" ", retry: {retries: 0}" \
  "    health_check: {enabled: false}
    outlier_detection: {enabled: false}" ""
ON_API=$(free_port); ON_ADMIN=$(free_port)
sluice_config on "$ON_API" "$ON_ADMIN" \
  ", retry: {retries: 2}, timeouts: {per_try: 5s, first_token: 5s, stream_idle: 5s}" \
  "    health_check: {interval: 1s, timeout: 500ms}
    outlier_detection: {interval: 1s}" \
  "routes:
  - name: bench
    match: {model: bench-model, headers: [{name: authorization, prefix: Bearer}]}
    model: bench-model
    fault: {abort: {percent: 0, status: 503}}"

for name in off on; do
  "$SLUICE" serve --config "$WORK/$name.yaml" --quiet > "$WORK/sluice-$name.out" 2>&1 &
  PIDS+=($!)
  eval "${name^^}_PID=$!"
done
wait_http "http://127.0.0.1:$OFF_API/v1/models"
wait_http "http://127.0.0.1:$ON_API/v1/models"

write_post_lua
warm_up "http://127.0.0.1:$OFF_API" "http://127.0.0.1:$ON_API"
results=()
for round in 1 2; do
  results+=("$(run_wrk "off-$round" "http://127.0.0.1:$OFF_API" "$OFF_PID")")
  results+=("$(run_wrk "on-$round" "http://127.0.0.1:$ON_API" "$ON_PID")")
done

echo
echo "resilience cost: wrk -t$THREADS -c$CONNS -d${DURATION}s, POST /v1/chat/completions (max_tokens 16), 2 instant engines, $(nproc) cores"
printf '%-8s %12s %10s %10s %8s %14s\n' run "requests/s" "p50 ms" "p99 ms" "non-2xx" "CPU us/req"
for r in "${results[@]}"; do
  read -r name rps p50 p99 non2xx cpu <<<"$r"
  printf '%-8s %12s %10s %10s %8s %14s\n' "$name" "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")" "$non2xx" "$cpu"
  echo "${name%-*} $rps $(to_ms "$p99") $cpu" >> "$WORK/summary"
done
awk '{ n[$1]++; rps[$1]+=$2; p99[$1]+=$3; cpu[$1]+=$4 }
     END { printf "on/off (means of %d runs): requests/s %.2fx, p99 %.2fx, CPU per request %.2fx\n",
                  n["on"], (rps["on"]/n["on"])/(rps["off"]/n["off"]), (p99["on"]/n["on"])/(p99["off"]/n["off"]),
                  (cpu["on"]/n["on"])/(cpu["off"]/n["off"]) }' "$WORK/summary"
