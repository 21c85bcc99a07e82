#!/usr/bin/env bash
# Proxy-overhead scenario: the same wrk load against
#   (a) engine-sim directly (instant profile: zero step time),
#   (b) nginx reverse-proxying to it with keep-alive upstreams,
#   (c) sluice in front of it (auth, body parsing, routing, cache_salt, access log on),
#   (d) the same sluice config serving its API over https (a self-signed P-256
#       certificate, TLS 1.3; wrk keeps its connections, so this is the cost of
#       encrypting, not of handshakes),
# in one run, and prints requests/s, p50/p99 latency and the CPU time each target's
# processes used per request, with the ratios sluice/nginx and sluice-tls/sluice.
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
source "$(dirname "$0")/lib.sh"

command -v wrk >/dev/null || { echo "wrk is missing: run scripts/install-deps.sh --bench" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x "$NGINX" ]] || { echo "nginx is missing: run scripts/install-deps.sh --bench" >&2; exit 1; }
command -v openssl >/dev/null || { echo "openssl is missing: run scripts/install-deps.sh --bench" >&2; exit 1; }

# (a) the backend
start_engine "$SLUICE" engine

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
KEY_HASH=$(bench_key_hash)
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

# (d) sluice over https: the same config, its own directory (and store), listen.tls
mkdir -p "$WORK/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
TLS_API_PORT=$(free_port); TLS_ADMIN_PORT=$(free_port)
sed -e "s|^listen: .*|listen: {api: 127.0.0.1:$TLS_API_PORT, admin: 127.0.0.1:$TLS_ADMIN_PORT, api_tls: {cert_file: cert.pem, key_file: key.pem}}|" \
    -e "s|access_log: [^}]*|access_log: $WORK/sluice-tls-access.log|" "$WORK/sluice.yaml" > "$WORK/tls/sluice.yaml"
"$SLUICE" serve --config "$WORK/tls/sluice.yaml" --quiet > "$WORK/sluice-tls.out" 2>&1 &
TLS_PID=$!
PIDS+=($TLS_PID)

wait_http "http://127.0.0.1:$ENGINE_PORT/health"
wait_http "http://127.0.0.1:$NGINX_PORT/health"
wait_http "http://127.0.0.1:$API_PORT/v1/models"
wait_http "https://127.0.0.1:$TLS_API_PORT/v1/models"



# Warm up every path, then measure.
write_post_lua
warm_up "http://127.0.0.1:$ENGINE_PORT" "http://127.0.0.1:$NGINX_PORT" "http://127.0.0.1:$API_PORT" \
  "https://127.0.0.1:$TLS_API_PORT"
results=()
NGINX_PIDS="$NGINX_PID $(pgrep -d" " -P "$NGINX_PID")"
results+=("$(run_wrk engine-sim "http://127.0.0.1:$ENGINE_PORT" "$ENGINE_PID")")
results+=("$(run_wrk nginx "http://127.0.0.1:$NGINX_PORT" $NGINX_PIDS)")
results+=("$(run_wrk sluice "http://127.0.0.1:$API_PORT" "$SLUICE_PID")")
results+=("$(run_wrk sluice-tls "https://127.0.0.1:$TLS_API_PORT" "$TLS_PID")")

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
awk -v tr="${RPS[sluice-tls]}" -v sr="${RPS[sluice]}" -v t50="${P50[sluice-tls]}" -v s50="${P50[sluice]}" \
    -v t99="${P99[sluice-tls]}" -v s99="${P99[sluice]}" -v tc="${CPU[sluice-tls]}" -v sc="${CPU[sluice]}" \
  'BEGIN { printf "sluice-tls/sluice: requests/s %.2fx, p50 %.2fx, p99 %.2fx, proxy CPU per request %.2fx\n", tr/sr, t50/s50, t99/s99, tc/sc }'
