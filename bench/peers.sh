#!/usr/bin/env bash
# sluice beside its peers: one instant engine-sim (zero step time) behind
#   nginx (keep-alive upstreams), HAProxy (http mode, keep-alive, http-reuse always),
#   LiteLLM's proxy (master-key auth, 2 gunicorn/uvicorn workers), the SGLang router and
#   the vLLM router (Rust, round_robin), and sluice (key auth, routing, access log),
# in one run on this machine, under the same wrk loads:
#   plain:  POST /v1/chat/completions, max_tokens 16, not streamed;
#   stream: the same with stream: true and stream_options.include_usage (16 SSE
#           chunks, a usage chunk and [DONE]; wrk times the whole stream).
# Prints per target requests/s, p50, p99, non-2xx and the CPU time of the target's
# processes (and their children) per request, then sluice's ratio to each.
# The rows run interleaved, ROUNDS times (default 2, the order reversed each
# round); each figure is its best over the rounds (highest requests/s, lowest
# p50, p99 and CPU per request), non-2xx the sum.
# The Python peers live in a venv (PEERS_VENV, default build/peers-venv) made here
# from bench/peers-requirements.txt. A peer that cannot be installed or started is
# reported with what failed, and the others run.
# Usage: bench/peers.sh path/to/sluice [duration_s] [connections]
set -euo pipefail
SLUICE_SRC=$(realpath "${1:-build/release/sluice}")
DURATION=${2:-10}
CONNS=${3:-32}
ROUNDS=${ROUNDS:-2}
THREADS=2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${PEERS_VENV:-$ROOT/build/peers-venv}
WORK=$(mktemp -d /tmp/sluice-peers.XXXXXX)
PIDS=()
source "$ROOT/bench/lib.sh"

descendants() { local p c; for p in "$@"; do echo "$p"; for c in $(pgrep -P "$p" || true); do descendants "$c"; done; done; }
cleanup() {
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
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-deps.sh --bench" >&2; exit 1; }
# Another session may rebuild the binary mid-run: measure a copy.
cp "$SLUICE_SRC" "$WORK/sluice"
SLUICE=$WORK/sluice

declare -A FAILED PORT PROC VERSION
TARGETS=()
fail() { FAILED[$1]=$2; echo "peers: $1 skipped: $2" >&2; }

# Waits until url answers 2xx (any method GET), for up to $2 seconds.
wait_url() { local deadline=$((SECONDS + $2)); until curl -fs -o /dev/null -m 2 -H 'Authorization: Bearer sk-bench' "$1"; do
  ((SECONDS < deadline)) || return 1; sleep 0.2; done; }

# One non-streamed and one streamed request must succeed before a target is measured.
check_target() {  # name
  local url="http://127.0.0.1:${PORT[$1]}/v1/chat/completions" out
  out=$(curl -s -m 10 -w '\n%{http_code}' "$url" -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-bench' \
    -d '{"model":"bench-model","messages":[{"role":"user","content":"hi"}],"max_tokens":4}') || true
  [[ "${out##*$'\n'}" == 200 ]] || { fail "$1" "a chat completion did not answer 200: $(head -c 300 <<<"$out")"; return 1; }
  out=$(curl -sN -m 10 "$url" -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-bench' \
    -d '{"model":"bench-model","messages":[{"role":"user","content":"hi"}],"max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}') || true
  grep -q '"usage"' <<<"$out" && grep -q 'data: \[DONE\]' <<<"$out" ||
    { fail "$1" "the streamed completion had no usage chunk or no [DONE]: $(head -c 300 <<<"$out")"; return 1; }
  TARGETS+=("$1")
}

# Registers a started target: name pid port version.
started() { PROC[$1]=$2; PORT[$1]=$3; VERSION[$1]=$4; PIDS+=("$2"); }

# --- the Python peers' venv ------------------------------------------------
source "$ROOT/bench/peers_venv.sh"

# --- the backend -----------------------------------------------------------
start_engine "$SLUICE" engine
ENGINE=http://127.0.0.1:$ENGINE_PORT
started engine-sim "$ENGINE_PID" "$ENGINE_PORT" "sluice $("$SLUICE" version 2>/dev/null | awk '{print $NF}')"

# --- nginx -------------------------------------------------------------------
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ -x "$NGINX" ]]; then
  p=$(free_port); mkdir -p "$WORK/nginx/logs"
  cat > "$WORK/nginx/nginx.conf" <<NGX
worker_processes $THREADS;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log $WORK/nginx/logs/access.log;
  upstream engine { server 127.0.0.1:$ENGINE_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$p;
    location / { proxy_pass http://engine; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
NGX
  "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" > "$WORK/nginx.out" 2>&1 &
  started nginx $! "$p" "$("$NGINX" -v 2>&1 | sed 's|.*/||')"
else fail nginx "nginx is not installed (scripts/install-deps.sh --bench)"; fi

# --- HAProxy -----------------------------------------------------------------
if command -v haproxy >/dev/null; then
  p=$(free_port)
  cat > "$WORK/haproxy.cfg" <<HAP
global
  nbthread $THREADS
  maxconn 8192
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend api
  bind 127.0.0.1:$p
  default_backend engine
backend engine
  server e1 127.0.0.1:$ENGINE_PORT maxconn 4096
HAP
  haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.out" 2>&1 &
  started haproxy $! "$p" "$(haproxy -v | awk 'NR==1 {print $3}')"
else fail haproxy "haproxy is not installed (scripts/install-deps.sh --bench)"; fi

# --- LiteLLM's proxy, master-key auth ----------------------------------------
# No database: LiteLLM's virtual keys live in PostgreSQL through Prisma, whose
# engines are downloaded at first use, which this machine cannot do; the master
# key is checked by the proxy itself, as sluice checks its keys.
if ((venv_ok)) && [[ -x "$VENV/bin/litellm" ]]; then
  p=$(free_port)
  cat > "$WORK/litellm.yaml" <<YAML
model_list:
  - model_name: bench-model
    litellm_params: {model: openai/bench-model, api_base: "$ENGINE/v1", api_key: sk-upstream-unused}
general_settings:
  master_key: sk-bench
litellm_settings:
  drop_params: true
YAML
  LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    "$VENV/bin/litellm" --config "$WORK/litellm.yaml" --host 127.0.0.1 --port "$p" --num_workers "$THREADS" --run_gunicorn \
    > "$WORK/litellm.out" 2>&1 &
  started litellm $! "$p" "litellm $(pyver litellm)"
else fail litellm "not installed in $VENV"; fi

# --- the SGLang and vLLM routers (Rust; no client auth of their own) -----------
if ((venv_ok)) && [[ -x "$VENV/bin/sglang-router" ]]; then
  p=$(free_port)
  "$VENV/bin/sglang-router" launch --host 127.0.0.1 --port "$p" --worker-urls "$ENGINE" --policy round_robin \
    --prometheus-host 127.0.0.1 --prometheus-port "$(free_port)" --log-level warn > "$WORK/sglang-router.out" 2>&1 &
  started sglang-router $! "$p" "sglang-router $(pyver sglang-router)"
else fail sglang-router "not installed in $VENV"; fi
if ((venv_ok)) && [[ -x "$VENV/bin/vllm-router" ]]; then
  p=$(free_port)
  "$VENV/bin/vllm-router" --host 127.0.0.1 --port "$p" --worker-urls "$ENGINE" --policy round_robin \
    --prometheus-host 127.0.0.1 --prometheus-port "$(free_port)" --log-level warning > "$WORK/vllm-router.out" 2>&1 &
  started vllm-router $! "$p" "vllm-router $(pyver vllm-router)"
else fail vllm-router "not installed in $VENV"; fi

# --- sluice ------------------------------------------------------------------
p=$(free_port)
cat > "$WORK/sluice.yaml" <<YAML
listen: {api: 127.0.0.1:$p, admin: 127.0.0.1:$(free_port)}
server: {threads: $THREADS, access_log: $WORK/sluice-access.log}
tenants:
  - id: bench
    api_keys: [sha256:$(bench_key_hash)]
    models: ["*"]
models:
  - name: bench-model
    source: static
    static: {endpoints: ["$ENGINE"]}
YAML
"$SLUICE" serve --config "$WORK/sluice.yaml" --quiet > "$WORK/sluice.out" 2>&1 &
started sluice $! "$p" "sluice $("$SLUICE" version 2>/dev/null | awk '{print $NF}')"

# --- wait for each, check it, warm it up ---------------------------------------
for name in engine-sim nginx haproxy litellm sglang-router vllm-router sluice; do
  [[ -n "${FAILED[$name]:-}" ]] && continue
  health=/health; [[ $name == litellm ]] && health=/health/liveliness; [[ $name == sluice ]] && health=/v1/models
  if ! wait_url "http://127.0.0.1:${PORT[$name]}$health" 90; then
    kill -0 "${PROC[$name]}" 2>/dev/null && why="not ready after 90 s" || why="exited at start"
    fail "$name" "$why: $(tail -3 "$WORK/$name.out" 2>/dev/null | tr '\n' ' ' | head -c 400)"
    continue
  fi
  check_target "$name" || true
done

write_post_lua
sed -e 's/"max_tokens":16}/"max_tokens":16,"stream":true,"stream_options":{"include_usage":true}}/' "$WORK/post.lua" > "$WORK/stream.lua"
grep -q '"stream":true' "$WORK/stream.lua" || { echo "peers: could not write the streaming wrk script" >&2; exit 1; }
for name in "${TARGETS[@]}"; do
  wrk -t1 -c4 -d2s -s "$WORK/post.lua" "http://127.0.0.1:${PORT[$name]}/v1/chat/completions" > /dev/null 2>&1 || true
done

# run_row name mode: prints "rps p50_ms p99_ms non2xx cpu_us_per_request".
run_row() {
  local name=$1 mode=$2 pids cpu0 cpu1 out=$WORK/$1.$2.wrk
  mapfile -t pids < <(descendants "${PROC[$1]}")
  cpu0=$(cpu_of "${pids[@]}")
  wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --latency -s "$WORK/$mode.lua" \
    "http://127.0.0.1:${PORT[$1]}/v1/chat/completions" > "$out" 2>&1 || true
  cpu1=$(cpu_of "${pids[@]}")
  local reqs rps p50 p99 non2xx
  reqs=$(awk '/requests in/ {print $1}' "$out"); reqs=${reqs:-0}
  rps=$(awk '/Requests\/sec/ {print $2}' "$out"); rps=${rps:-0}
  p50=$(to_ms "$(awk '$1=="50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1=="99%" {print $2}' "$out")")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$out"); non2xx=${non2xx:-0}
  awk -v a="$cpu0" -v b="$cpu1" -v n="$reqs" -v r="$rps" -v p50="$p50" -v p99="$p99" -v e="$non2xx" \
    'BEGIN { printf "%s %s %s %s %.1f\n", r, p50, p99, e, (n > 0 ? (b - a) * 1e6 / n : 0) }'
}

order=("${TARGETS[@]}")
: > "$WORK/rows"
for round in $(seq 1 "$ROUNDS"); do
  for mode in post stream; do
    for name in "${order[@]}"; do
      row=$(run_row "$name" "$mode")
      echo "peers: round $round $mode $name: $row" >&2
      echo "$mode $name $row" >> "$WORK/rows"
    done
  done
  mapfile -t order < <(printf '%s\n' "${order[@]}" | tac)
done
# Noise on a shared machine only ever makes a figure worse: each figure is its best over the rounds
# (highest requests/s, lowest p50, p99 and CPU per request); non-2xx is the sum over the rounds.
declare -A BEST
while read -r key rest; do BEST[$key]=$rest; done < <(awk '
  { k = $1 "." $2; if (!(k in r)) { r[k] = $3; p50[k] = $4; p99[k] = $5; e[k] = 0; c[k] = $7 }
    if ($3 > r[k]) r[k] = $3; if ($4 < p50[k]) p50[k] = $4; if ($5 < p99[k]) p99[k] = $5; if ($7 < c[k]) c[k] = $7; e[k] += $6 }
  END { for (k in r) print k, r[k], p50[k], p99[k], e[k], c[k] }' "$WORK/rows" | sed -E 's/^(post|stream)\.([^ ]+)/\2.\1/')
echo
echo "peers: one instant engine-sim behind each target; wrk -t$THREADS -c$CONNS -d${DURATION}s per row, $ROUNDS interleaved rounds, best of each figure over the rounds;"
echo "       $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), loopback; CPU = the target's processes (children included) per request"
for mode in post stream; do
  echo
  [[ $mode == post ]] && echo "non-streamed (max_tokens 16)" || echo "streamed (16 chunks + usage chunk)"
  printf '| %-14s | %10s | %8s | %8s | %7s | %10s | %-36s |\n' target "requests/s" "p50 ms" "p99 ms" non-2xx "CPU us/req" "sluice vs it: req/s, p99, CPU/req"
  printf '|%s|%s:|%s:|%s:|%s:|%s:|%s|\n' ---------------- ----------- --------- --------- -------- ----------- --------------------------------------
  read -r s_rps _ s_p99 _ s_cpu <<<"${BEST[sluice.$mode]:-0 0 0 0 0}"
  for name in "${TARGETS[@]}"; do
    read -r rps p50 p99 non2xx cpu <<<"${BEST[$name.$mode]}"
    ratio=$(awk -v a="$s_rps" -v b="$rps" -v c="$s_p99" -v d="$p99" -v e="$s_cpu" -v f="$cpu" \
      'BEGIN { if (b == 0 || d == 0 || f == 0) print "-"; else printf "%.3gx, %.3gx, %.3gx", a/b, c/d, e/f }')
    [[ $name == sluice || $name == engine-sim ]] && ratio="-"
    printf '| %-14s | %10s | %8s | %8s | %7s | %10s | %-36s |\n' "$name" "$rps" "$p50" "$p99" "$non2xx" "$cpu" "$ratio"
  done
done
echo
echo "versions:"
for name in "${TARGETS[@]}"; do echo "  $name: ${VERSION[$name]}"; done
for name in "${!FAILED[@]}"; do echo "not measured: $name: ${FAILED[$name]}"; done
