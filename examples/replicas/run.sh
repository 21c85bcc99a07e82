#!/usr/bin/env bash
# Three sluice replicas behind nginx (round robin), sharing one Redis (limits,
# fairness, the fleet lease) and one PostgreSQL (store); the first leads the
# simulated fleet, the others route by the table it publishes. All on this
# machine, on free loopback ports. Ctrl-C stops everything.
#
#   examples/replicas/run.sh [path/to/sluice]
#
# Needs redis-server, nginx and PostgreSQL (scripts/install-deps.sh --test
# installs them) and a built sluice (make build). drill.sh fails parts of it
# under load and reports what clients saw.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/stack.sh"
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0; fi
start_stack "${1:-$HERE/../../build/release/sluice}"
for n in 1 2 3; do
  echo "replica $n: admin http://127.0.0.1:${REPLICA_ADMIN[$n]}  (pid ${REPLICA_PID[$n]})"
done

cat <<TEXT

Three replicas behind http://127.0.0.1:$LB_PORT (nginx), Redis on $REDIS_PORT, PostgreSQL on $PG_PORT.
acme may send 600 requests per minute in total, whichever replica serves them:

  curl http://127.0.0.1:$LB_PORT/v1/chat/completions -H 'Authorization: Bearer sk-demo-acme' \\
    -H 'Content-Type: application/json' -d '{"model":"small","messages":[{"role":"user","content":"hi"}]}'

Kill a replica (kill -9 <pid>) or Redis and keep calling; Ctrl-C stops everything.
TEXT
wait
