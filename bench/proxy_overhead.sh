#!/usr/bin/env bash
# Proxy-overhead scenario: the same wrk load against
#   (a) engine-sim directly (instant profile: zero step time),
#   (b) nginx reverse-proxying to it with keep-alive upstreams,
#   (c) sluice in front of it (auth, body parsing, routing, cache_salt, access log on),
# in one run, and prints requests/s, p50/p99 latency and the CPU time each target's
# processes used per request, with the ratios sluice/nginx.
# Usage: bench/proxy_overhead.sh path/to/sluice [duration_s] [connections]
set -euo pipefail
SLUICE=$(realpath "${1:-build/release/sluice}")
DURATION=${2:-10}
CONNS=${3:-32}
THREADS=2
WORK=$(mktemp -d /tmp/sluice-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-deps.sh --bench" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x "$NGINX" ]] || { echo "nginx is missing: run scripts/install-deps.sh --bench" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { for _ in $(seq 1 100); do curl -fs -o /dev/null "$1" -H 'Authorization: Bearer sk-bench' && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }

# (a) the backend
"$SLUICE" engine-sim --port 0 --profile instant --served-model-name bench-model > "$WORK/engine.out" 2>&1 &
ENGINE_PID=$!
PIDS+=($ENGINE_PID)
for _ in $(seq 1 100); do grep -q 'listening on' "$WORK/engine.out" && break; sleep 0.1; done
ENGINE_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/engine.out" | head -1)
[[ -n "$ENGINE_PORT" ]] || { cat "$WORK/engine.out"; exit 1; }

# (b) nginx with keep-alive upstreams
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/logs"
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
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://engine;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGX
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" > "$WORK/nginx.out" 2>&1 &
NGINX_PID=$!
PIDS+=($NGINX_PID)

# (c) sluice, static upstream = the same engine
API_PORT=$(free_port); ADMIN_PORT=$(free_port)
KEY_HASH=$(printf %s sk-bench | sha256sum | cut -d' ' -f1)
cat > "$WORK/sluice.yaml" <<YAML
listen: {api: 127.0.0.1:$API_PORT, admin: 127.0.0.1:$ADMIN_PORT}
server: {threads: $THREADS, access_log: $WORK/sluice-access.log}
tenants:
  - id: bench
    api_keys: [sha256:$KEY_HASH]
    models: ["*"]
models:
  - name: bench-model
    source: static
    static: {endpoints: ["http://127.0.0.1:$ENGINE_PORT"]}
YAML
"$SLUICE" serve --config "$WORK/sluice.yaml" --quiet > "$WORK/sluice.out" 2>&1 &
SLUICE_PID=$!
PIDS+=($SLUICE_PID)

wait_http "http://127.0.0.1:$ENGINE_PORT/health"
wait_http "http://127.0.0.1:$NGINX_PORT/health"
wait_http "http://127.0.0.1:$API_PORT/v1/models"

cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = '{"model":"bench-model","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Summarise the plot of a short story about a lighthouse keeper in two sentences."}],"max_tokens":16}'
LUA

# CPU seconds (user+system) used so far by the processes given, children's threads included.
cpu_of() { local t=0; for p in "$@"; do t=$(awk -v t="$t" -v hz="$(getconf CLK_TCK)" '{print t + ($14 + $15) / hz}' "/proc/$p/stat"); done; echo "$t"; }

run_wrk() {  # name url pids-of-the-proxy...
  local name=$1 url=$2; shift 2
  local cpu0 cpu1 reqs
  cpu0=$(cpu_of "$@")
  wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --latency -s "$WORK/post.lua" "$url/v1/chat/completions" > "$WORK/$name.wrk" 2>&1
  cpu1=$(cpu_of "$@")
  reqs=$(awk '/requests in/ {print $1}' "$WORK/$name.wrk")
  local cpu_us
  cpu_us=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$reqs" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')
  set -- "$name"
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$1.wrk")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/$1.wrk")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/$1.wrk")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/$1.wrk"); non2xx=${non2xx:-0}
  echo "$1 $rps $p50 $p99 $non2xx $cpu_us"
}
to_ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.3f", n }'; }

# Warm up every path, then measure.
for url in "http://127.0.0.1:$ENGINE_PORT" "http://127.0.0.1:$NGINX_PORT" "http://127.0.0.1:$API_PORT"; do
  wrk -t1 -c4 -d1s -s "$WORK/post.lua" "$url/v1/chat/completions" > /dev/null 2>&1 || true
done
results=()
NGINX_PIDS="$NGINX_PID $(pgrep -d" " -P "$NGINX_PID")"
results+=("$(run_wrk engine-sim "http://127.0.0.1:$ENGINE_PORT" "$ENGINE_PID")")
results+=("$(run_wrk nginx "http://127.0.0.1:$NGINX_PORT" $NGINX_PIDS)")
results+=("$(run_wrk sluice "http://127.0.0.1:$API_PORT" "$SLUICE_PID")")

echo
echo "proxy overhead: wrk -t$THREADS -c$CONNS -d${DURATION}s, POST /v1/chat/completions (max_tokens 16), $(nproc) cores"
printf '%-12s %12s %10s %10s %8s %14s\n' target "requests/s" "p50 ms" "p99 ms" "non-2xx" "CPU us/req"
declare -A RPS P50 P99 CPU
for r in "${results[@]}"; do
  read -r name rps p50 p99 non2xx cpu <<<"$r"
  RPS[$name]=$rps; P50[$name]=$(to_ms "$p50"); P99[$name]=$(to_ms "$p99"); CPU[$name]=$cpu
  printf '%-12s %12s %10s %10s %8s %14s\n' "$name" "$rps" "${P50[$name]}" "${P99[$name]}" "$non2xx" "$cpu"
done
awk -v sr="${RPS[sluice]}" -v nr="${RPS[nginx]}" -v s50="${P50[sluice]}" -v n50="${P50[nginx]}" -v s99="${P99[sluice]}" -v n99="${P99[nginx]}" \
    -v sc="${CPU[sluice]}" -v nc="${CPU[nginx]}" \
  'BEGIN { printf "sluice/nginx: requests/s %.2fx, p50 %.2fx, p99 %.2fx, proxy CPU per request %.2fx\n", sr/nr, s50/n50, s99/n99, sc/nc }'
