# Sourced by run.sh and drill.sh: Redis, PostgreSQL, three sluice replicas
# and nginx in front of them, all on this machine, on free loopback ports.
#
#   start_stack SLUICE     starts everything; sets WORK, LB_PORT, REDIS_PORT, PG_PORT,
#                          REPLICA_PID[n] and REPLICA_ADMIN[n] for n = 1..3
#   start_redis / start_postgres / stop_postgres / start_replica N
#                          (re)start one part, on the same port as before
#   stop_stack             stops everything and removes WORK (start_stack traps EXIT)
#
# Needs redis-server, nginx and PostgreSQL (scripts/install-deps.sh --test
# installs them) and a built sluice (make build).
STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PIDS=()
REPLICA_PID=()
REPLICA_ADMIN=()
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
AS_PG=""  # PostgreSQL refuses to run as root: run it as postgres then

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
need() { command -v "$1" >/dev/null || [[ -x "$2" ]] || { echo "missing $1: run scripts/install-deps.sh --test" >&2; exit 1; }; }

stop_stack() {
  for p in "${PIDS[@]}" "${REPLICA_PID[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_postgres
  wait 2>/dev/null || true
  rm -rf "$WORK"
}

start_redis() {  # Redis: shared limits, fairness and the fleet lease (no persistence)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --logfile "$WORK/redis.log" &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
}

start_postgres() {  # PostgreSQL: the store (tenants, keys, usage)
  $AS_PG "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
    -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1" start >/dev/null
}
stop_postgres() {  # fast: the clients are disconnected; stop_postgres immediate: a crash
  [[ -n "$PG_BIN" && -d "$WORK/pg" ]] && $AS_PG "$PG_BIN/pg_ctl" -D "$WORK/pg" -m "${1:-fast}" stop >/dev/null 2>&1 || true
}

start_replica() {  # N: the same config as the others but its ports
  local n=$1
  "$SLUICE" serve --config "$WORK/replica$n.yaml" --quiet >> "$WORK/replica$n.log" 2>&1 &
  REPLICA_PID[$n]=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:${REPLICA_ADMIN[$n]}/readyz" && return 0
    sleep 0.1
  done
  echo "replica $n did not become ready; its log: $WORK/replica$n.log" >&2
  return 1
}

start_stack() {
  SLUICE=$(realpath "$1")
  need redis-server /usr/bin/redis-server; need nginx /usr/sbin/nginx
  [[ -n "$PG_BIN" ]] || { echo "missing PostgreSQL: run scripts/install-deps.sh --test" >&2; exit 1; }
  [[ -x "$SLUICE" ]] || { echo "no sluice at $SLUICE: run make build" >&2; exit 1; }
  WORK=$(mktemp -d /tmp/sluice-replicas.XXXXXX)
  trap stop_stack EXIT
  trap 'exit 130' INT TERM

  REDIS_PORT=$(free_port)
  start_redis
  PG_PORT=$(free_port)
  if [[ $(id -u) -eq 0 ]]; then AS_PG="runuser -u postgres --"; chown postgres "$WORK"; fi
  $AS_PG "$PG_BIN/initdb" -D "$WORK/pg" -U sluice -A trust --no-sync >/dev/null
  start_postgres

  local upstreams="" n api
  for n in 1 2 3; do
    api=$(free_port); REPLICA_ADMIN[$n]=$(free_port)
    sed -e "s/@API_PORT@/$api/" -e "s/@ADMIN_PORT@/${REPLICA_ADMIN[$n]}/" -e "s/@PG_PORT@/$PG_PORT/" \
        -e "s/@REDIS_PORT@/$REDIS_PORT/" -e "s/@N@/$n/" "$STACK_DIR/replica.yaml.in" > "$WORK/replica$n.yaml"
    start_replica "$n"  # one at a time: the first creates the store's schema and leads the fleet
    upstreams+="server 127.0.0.1:$api; "
  done

  LB_PORT=$(free_port)  # nginx: one address for clients, round robin over the replicas
  cat > "$WORK/nginx.conf" <<NGINX
daemon off; pid $WORK/nginx.pid; error_log $WORK/nginx.log;
worker_processes 1; events { worker_connections 1024; }
http { access_log off; upstream replicas { $upstreams keepalive 32; }
  server { listen 127.0.0.1:$LB_PORT; location / { proxy_pass http://replicas; proxy_http_version 1.1;
    proxy_set_header Connection ""; proxy_buffering off; } } }
NGINX
  nginx -p "$WORK" -c "$WORK/nginx.conf" &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$LB_PORT/healthz" && break; sleep 0.1; done
}
