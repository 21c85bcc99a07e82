#!/usr/bin/env bash
# Three sluice replicas behind nginx (round robin), sharing one Redis (limits)
# and one PostgreSQL (store), in front of one engine simulator — all on this
# machine, on free loopback ports. Ctrl-C stops everything.
#
#   examples/replicas/run.sh [path/to/sluice]
#
# Needs redis-server, nginx and PostgreSQL (scripts/install-deps.sh --test
# installs them) and a built sluice (make build).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SLUICE=$(realpath "${1:-$HERE/../../build/release/sluice}")
WORK=$(mktemp -d /tmp/sluice-replicas.XXXXXX)
PIDS=()
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -n "$PG_BIN" && -d "$WORK/pg" ]] && $AS_PG "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
need() { command -v "$1" >/dev/null || [[ -x "$2" ]] || { echo "missing $1: run scripts/install-deps.sh --test" >&2; exit 1; }; }
need redis-server /usr/bin/redis-server; need nginx /usr/sbin/nginx
[[ -n "$PG_BIN" ]] || { echo "missing PostgreSQL: run scripts/install-deps.sh --test" >&2; exit 1; }
[[ -x "$SLUICE" ]] || { echo "no sluice at $SLUICE: run make build" >&2; exit 1; }

# Redis: shared limits.
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --logfile "$WORK/redis.log" &
PIDS+=($!)

# PostgreSQL: the store (PostgreSQL refuses to run as root: run it as postgres).
PG_PORT=$(free_port)
AS_PG=""
if [[ $(id -u) -eq 0 ]]; then AS_PG="runuser -u postgres --"; chown postgres "$WORK"; fi
$AS_PG "$PG_BIN/initdb" -D "$WORK/pg" -U sluice -A trust --no-sync >/dev/null
$AS_PG "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1" start >/dev/null

# One engine simulator serving `small`.
ENGINE_PORT=$(free_port)
"$SLUICE" engine-sim --port "$ENGINE_PORT" --served-model-name small > "$WORK/engine.log" 2>&1 &
PIDS+=($!)

# Three replicas, the same config but their ports.
UPSTREAMS=""
for n in 1 2 3; do
  api=$(free_port); admin=$(free_port)
  sed -e "s/@API_PORT@/$api/" -e "s/@ADMIN_PORT@/$admin/" -e "s/@PG_PORT@/$PG_PORT/" \
      -e "s/@REDIS_PORT@/$REDIS_PORT/" -e "s/@ENGINE_PORT@/$ENGINE_PORT/" -e "s/@N@/$n/" \
      "$HERE/replica.yaml.in" > "$WORK/replica$n.yaml"
  "$SLUICE" serve --config "$WORK/replica$n.yaml" --quiet > "$WORK/replica$n.log" 2>&1 &
  PIDS+=($!)
  UPSTREAMS+="server 127.0.0.1:$api; "
  echo "replica $n: api http://127.0.0.1:$api  admin http://127.0.0.1:$admin  (pid $!)"
  sleep 1  # the first replica creates the store's schema
done

# nginx: one address for clients, round robin over the replicas.
LB_PORT=$(free_port)
cat > "$WORK/nginx.conf" <<NGINX
daemon off; pid $WORK/nginx.pid; error_log $WORK/nginx.log;
worker_processes 1; events { worker_connections 1024; }
http { access_log off; upstream replicas { $UPSTREAMS keepalive 32; }
  server { listen 127.0.0.1:$LB_PORT; location / { proxy_pass http://replicas; proxy_http_version 1.1;
    proxy_set_header Connection ""; proxy_buffering off; } } }
NGINX
nginx -p "$WORK" -c "$WORK/nginx.conf" &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$LB_PORT/healthz" && break; sleep 0.1; done

cat <<TEXT

Three replicas behind http://127.0.0.1:$LB_PORT (nginx), Redis on $REDIS_PORT, PostgreSQL on $PG_PORT.
acme may send 600 requests per minute in total, whichever replica serves them:

  curl http://127.0.0.1:$LB_PORT/v1/chat/completions -H 'Authorization: Bearer sk-demo-acme' \\
    -H 'Content-Type: application/json' -d '{"model":"small","messages":[{"role":"user","content":"hi"}]}'

Kill a replica (kill -9 <pid>) or Redis and keep calling; Ctrl-C stops everything.
TEXT
wait
