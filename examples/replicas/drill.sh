#!/usr/bin/env bash
# Drills for several replicas: starts the stack of run.sh (three replicas
# behind nginx, Redis, PostgreSQL, a simulated fleet), then for each scenario
# runs a steady load through nginx (load.py: acme over its 600 requests per
# minute, globex without limits; half of the requests streamed), fails one
# part from outside with a signal, brings it back, and reports what the
# clients saw.
#
#   examples/replicas/drill.sh [path/to/sluice] [scenario ...]
#
# Scenarios (default: all four, in this order):
#   follower_kill  kill -9 of a replica that does not lead the fleet; restarted after the load
#   leader_kill    kill -9 of the replica leading the fleet; a follower takes the lease over
#   redis_kill     kill -9 of redis-server, restarted (empty) 2 s later on the same port
#   postgres_kill  PostgreSQL stopped in immediate mode (a crash), restarted 2 s later
#
# Per scenario: failed requests and broken streams (each tenant), the time
# from the fault to the last failed request, the recovery time the scenario
# defines (a new leader; every replica sharing limits again or writing to the
# store again), and acme's admitted requests against what one gateway would
# admit over the same time (its quota overshoot).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/stack.sh"
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0; fi
SLUICE_PATH="$HERE/../../build/release/sluice"
if [[ $# -gt 0 && "$1" != *_kill ]]; then SLUICE_PATH=$1; shift; fi
SCENARIOS=("$@")
[[ ${#SCENARIOS[@]} -gt 0 ]] || SCENARIOS=(follower_kill leader_kill redis_kill postgres_kill)
for s in "${SCENARIOS[@]}"; do
  case "$s" in follower_kill|leader_kill|redis_kill|postgres_kill) ;;
    *) echo "unknown scenario \"$s\" (known: follower_kill leader_kill redis_kill postgres_kill)" >&2; exit 2 ;;
  esac
done
LOAD_SECONDS=12
FAULT_AT=3  # seconds into the load (after acme's limit is used up)

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
# The value of the series NAME (labels ignored) on replica N; empty when it does not answer.
metric() {
  curl -fs -m 1 -H "Authorization: Bearer sla-demo-admin" "http://127.0.0.1:${REPLICA_ADMIN[$1]}/metrics" 2>/dev/null |
    awk -v name="$2" '$1 == name || index($1, name "{") == 1 { print $2; exit }'
}
kill9() { kill -9 "$1"; wait "$1" 2>/dev/null || true; }  # and reap it, quietly
leader() { for n in 1 2 3; do [[ "$(metric "$n" sluice_cluster_leader)" == 1 ]] && { echo "$n"; return; }; done; echo 0; }
all_replicas() { for n in 1 2 3; do [[ "$(metric "$n" "$1")" == 1 ]] || return 1; done; }
new_leader_besides() { local l; l=$(leader); [[ $l != 0 && $l != "$1" ]]; }
# Seconds from START until CHECK... succeeds (polled every 50 ms, up to 20 s), or "never".
recovered_after() {
  local start=$1; shift
  for _ in $(seq 1 400); do
    if "$@"; then since "$start" "$(now)"; return; fi
    sleep 0.05
  done
  echo never
}

start_stack "$SLUICE_PATH"
REPORT="$WORK/report.md"
{
  echo "| scenario | failed (acme/globex) | broken streams | last failure after the fault | recovered after | acme admitted / one-gateway bound |"
  echo "|---|---|---|---|---|---|"
} > "$REPORT"

run_scenario() {
  local name=$1 victim="" recovered="—" restart_at=""
  python3 "$HERE/load.py" --port "$LB_PORT" --seconds "$LOAD_SECONDS" \
    --drain acme:sk-demo-acme --tenant acme:sk-demo-acme:3 --tenant globex:sk-demo-globex:3 > "$WORK/$name.json" 2> "$WORK/$name.err" &
  local load=$!
  until grep -q "load: started" "$WORK/$name.err" 2>/dev/null; do sleep 0.05; done
  sleep "$FAULT_AT"
  local fault_at; fault_at=$(now)
  case "$name" in
    follower_kill)
      victim=$(( $(leader) % 3 + 1 ))
      kill9 "${REPLICA_PID[$victim]}"
      echo "$name: killed replica $victim (pid ${REPLICA_PID[$victim]})" ;;
    leader_kill)
      victim=$(leader)
      [[ $victim != 0 ]] || { echo "$name: no replica leads the fleet" >&2; return 1; }
      kill9 "${REPLICA_PID[$victim]}"
      echo "$name: killed the leader, replica $victim (pid ${REPLICA_PID[$victim]})"
      recovered="$(recovered_after "$fault_at" new_leader_besides "$victim") s (a new leader)" ;;
    redis_kill)
      kill9 "$REDIS_PID"
      echo "$name: killed redis-server (pid $REDIS_PID)"
      sleep 2; restart_at=$(now); start_redis
      recovered="$(recovered_after "$restart_at" all_replicas sluice_cluster_redis_up) s after its restart (sharing again)" ;;
    postgres_kill)
      stop_postgres immediate
      echo "$name: PostgreSQL stopped in immediate mode"
      sleep 2; restart_at=$(now); start_postgres
      recovered="$(recovered_after "$restart_at" all_replicas sluice_store_up) s after its restart (writing again)" ;;
  esac
  wait "$load"
  [[ -z "$victim" ]] || start_replica "$victim"
  python3 - "$WORK/$name.json" "$name" "$fault_at" "$recovered" >> "$REPORT" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
name, fault_at, recovered = sys.argv[2], float(sys.argv[3]), sys.argv[4]
c = run["counts"]
failed = f'{c["acme"]["failed"]}/{c["globex"]["failed"]}'
broken = c["acme"]["broken"] + c["globex"]["broken"]
last = max((p["at"] for p in run["problems"]), default=None)
last = "none" if last is None else f"{max(0.0, last - fault_at):.2f} s"
seconds = run["ended"] - run["started"]
admitted = c["acme"]["ok"] + c["acme"]["broken"]
# acme's limit was used up first (--drain): one gateway admits its refill,
# 600 per minute; each replica may also hold a lease of 1 % of it.
bound = 10 * seconds + 3 * 6
print(f"| {name} | {failed} | {broken} | {last} | {recovered} | {admitted} / {bound:.0f} |")
PY
  sleep 1
}

echo "three replicas behind 127.0.0.1:$LB_PORT; replica $(leader) leads the fleet"
for s in "${SCENARIOS[@]}"; do run_scenario "$s"; done
echo
cat "$REPORT"
