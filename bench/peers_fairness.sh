#!/usr/bin/env bash
# Fairness beside a peer: the same two-tenant overload, sent open loop by
# `sluice load`, to the same engine-sim (llama-3.1-8b-h100 profile slowed down
# so that 2 cores can drive it: 16 sequences a batch, 50 ms a step, about
# 7 requests/s of capacity; a fresh engine per row) behind
#   sluice-vtc     sluice, scheduler.policy vtc, 16 in flight to the engine, the rest queued in sluice
#                  (up to max_queue_wait 30 s);
#   sluice-vtc-q8  the same with a per-tenant max_queue of 8 (beyond it, 429 queue_full at once);
#   sluice-fcfs    the same with fcfs (the unfair baseline);
#   litellm        LiteLLM's proxy, two keys and no limits (every request goes to the engine, which queues FCFS);
#   litellm-keys   LiteLLM's proxy with a per-key max_parallel_requests of 8 (8 + 8 = the engine's batch).
# alpha sends 6 requests/s, beta 12 (each more than half of the capacity), 100-300
# prompt and 20-60 output tokens, streamed with include_usage; measured from 10 s
# to DURATION (default 40 s). Prints sluice load's table for each row, then per row
# the tenants' shares, TTFT p50/p99, refusals, Jain's index and the max service gap.
# LiteLLM's keys come from a custom_auth hook (bench/peers_fairness_auth.py): its
# virtual keys need PostgreSQL through Prisma, whose engines are downloaded at
# first use, which this machine cannot do. LiteLLM runs one worker here: without
# Redis each worker counts its keys' limits on its own.
# Usage: bench/peers_fairness.sh path/to/sluice [duration_s]
set -euo pipefail
SLUICE_SRC=$(realpath "${1:-build/release/sluice}")
DURATION=${2:-40}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${PEERS_VENV:-$ROOT/build/peers-venv}
WORK=$(mktemp -d /tmp/sluice-peers-fair.XXXXXX)
PIDS=()
source "$ROOT/bench/lib.sh"
descendants() { local p c; for p in "$@"; do echo "$p"; for c in $(pgrep -P "$p" || true); do descendants "$c"; done; done; }
stop_all() {
  local all=()
  for p in "${PIDS[@]}"; do mapfile -t -O "${#all[@]}" all < <(descendants "$p"); done
  for p in "${all[@]}"; do kill "$p" 2>/dev/null || true; done
  # LiteLLM's graceful shutdown waits for its open streams: 10 s, then SIGKILL.
  for _ in $(seq 1 50); do
    local alive=0; for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break; sleep 0.2
  done
  for p in "${all[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT
cp "$SLUICE_SRC" "$WORK/sluice"
SLUICE=$WORK/sluice
MODEL=llama-3.1-8b-instruct
source "$ROOT/bench/peers_venv.sh"
wait_url() { local deadline=$((SECONDS + $2)); until curl -fs -o /dev/null -m 2 -H "Authorization: Bearer ${3:-x}" "$1"; do
  ((SECONDS < deadline)) || return 1; sleep 0.2; done; }

cat > "$WORK/overload.yaml" <<YAML
duration: ${DURATION}s
warmup: 10s
seed: 1
model: $MODEL
stream: true
tenants:
  - tenant: alpha
    api_key: sk-fair-alpha
    arrival: {process: poisson, rate: 6}
    input_tokens: {dist: uniform, min: 100, max: 300}
    output_tokens: {dist: uniform, min: 20, max: 60}
  - tenant: beta
    api_key: sk-fair-beta
    arrival: {process: poisson, rate: 12}
    input_tokens: {dist: uniform, min: 100, max: 300}
    output_tokens: {dist: uniform, min: 20, max: 60}
YAML

start_slow_engine() {
  "$SLUICE" engine-sim --port 0 --profile llama-3.1-8b-h100 --served-model-name "$MODEL" \
    --max-num-seqs 16 --decode-base-ms 50 > "$WORK/engine-$1.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q 'listening on' "$WORK/engine-$1.out" && break; sleep 0.1; done
  ENGINE_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/engine-$1.out" | head -1)
}

# start_gateway row: starts the row's gateway in front of a fresh engine; sets URL, or returns 1 with WHY.
start_gateway() {
  local row=$1 port
  start_slow_engine "$row"
  [[ -n "$ENGINE_PORT" ]] || { WHY="engine-sim did not start"; return 1; }
  port=$(free_port)
  case $row in
    sluice-*)
      local policy=${row#sluice-} limits=""
      [[ $row == sluice-vtc-q8 ]] && policy=vtc limits="    limits: {max_queue: 8}"
      cat > "$WORK/$row.yaml" <<YAML
listen: {api: 127.0.0.1:$port, admin: 127.0.0.1:$(free_port)}
server: {access_log: "", max_queue_wait: 30s}
tenants:
  - id: alpha
    api_keys: [sha256:$(printf %s sk-fair-alpha | sha256sum | cut -d' ' -f1)]
$limits
  - id: beta
    api_keys: [sha256:$(printf %s sk-fair-beta | sha256sum | cut -d' ' -f1)]
$limits
models:
  - name: $MODEL
    source: static
    static: {endpoints: ["http://127.0.0.1:$ENGINE_PORT"]}
    scheduler: {policy: $policy, max_in_flight_per_instance: 16}
YAML
      "$SLUICE" serve --config "$WORK/$row.yaml" --quiet > "$WORK/$row.out" 2>&1 &
      PIDS+=($!)
      wait_url "http://127.0.0.1:$port/v1/models" 30 sk-fair-alpha || { WHY="sluice did not start: $(tail -3 "$WORK/$row.out")"; return 1; }
      ;;
    litellm*)
      ((venv_ok)) && [[ -x "$VENV/bin/litellm" ]] || { WHY="LiteLLM is not installed in $VENV"; return 1; }
      cp "$ROOT/bench/peers_fairness_auth.py" "$WORK/peers_fairness_auth.py"
      cat > "$WORK/$row.yaml" <<YAML
model_list:
  - model_name: $MODEL
    litellm_params: {model: "openai/$MODEL", api_base: "http://127.0.0.1:$ENGINE_PORT/v1", api_key: sk-upstream-unused}
general_settings:
  master_key: sk-fair-master
  custom_auth: peers_fairness_auth.user_api_key_auth
litellm_settings:
  drop_params: true
YAML
      local limits='{}'
      [[ $row == litellm-keys ]] && limits='{"max_parallel_requests": 8}'
      (cd "$WORK" && PEERS_KEY_LIMITS=$limits LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
        exec "$VENV/bin/litellm" --config "$WORK/$row.yaml" --host 127.0.0.1 --port "$port" --num_workers 1) \
        > "$WORK/$row.out" 2>&1 &
      PIDS+=($!)
      wait_url "http://127.0.0.1:$port/health/liveliness" 120 || { WHY="LiteLLM did not start: $(tail -3 "$WORK/$row.out" | tr '\n' ' ')"; return 1; }
      ;;
  esac
  URL=http://127.0.0.1:$port
}

ROWS=(sluice-vtc sluice-vtc-q8 sluice-fcfs litellm litellm-keys)
declare -A WHYS
for row in "${ROWS[@]}"; do
  WHY=""
  if start_gateway "$row"; then
    echo "== $row" >&2
    "$SLUICE" load -w "$WORK/overload.yaml" --url "$URL" --drain 15s --timeout 60s -q > "$WORK/$row.load" 2>&1 ||
      WHYS[$row]="sluice load failed: $(tail -3 "$WORK/$row.load" | tr '\n' ' ')"
    cat "$WORK/$row.load" >&2
  else
    WHYS[$row]=$WHY
  fi
  stop_all
done

echo
echo "fairness: alpha 6 req/s, beta 12 req/s against ~7 req/s of capacity (engine-sim llama-3.1-8b-h100, 16 seqs, 50 ms steps),"
echo "          streamed, measured 10-${DURATION} s; share = share of weighted service (input + 2 x output tokens)"
printf '| %-13s | %-16s | %-18s | %-21s | %-21s | %7s | %5s | %8s |\n' gateway "share alpha/beta" "ok/sent alpha/beta" "TTFT p50/p99 alpha ms" "TTFT p50/p99 beta ms" "tok/s" Jain "max gap"
printf '|%s|%s|%s|%s|%s|%s:|%s:|%s:|\n' --------------- ------------------ -------------------- ----------------------- ----------------------- --------- ------- ----------
for row in "${ROWS[@]}"; do
  f=$WORK/$row.load
  if [[ -n "${WHYS[$row]:-}" || ! -s "$f" ]]; then echo "| $row | not measured: ${WHYS[$row]:-no output} |"; continue; fi
  # Columns: tenant weight sent ok refused errors tok/s service/s share ttft50 ttft99 e2e50 e2e99 backlogged
  awk -v row="$row" '
    $1 == "alpha" || $1 == "beta" { share[$1] = $9; t[$1] = $10 " / " $11; ok[$1] = $4 "/" $3 }
    $1 == "total" { toks = $6 }
    /^Jain/ { jain = $NF }
    /^max weighted service gap/ { gap = $(NF-1) }
    END { printf "| %-13s | %-16s | %-18s | %-21s | %-21s | %7s | %5s | %8s |\n", row, share["alpha"] " / " share["beta"],
          ok["alpha"] " / " ok["beta"], t["alpha"], t["beta"], toks, jain, gap }' "$f"
done
echo "versions: $("$SLUICE" version), litellm $(pyver litellm)"
