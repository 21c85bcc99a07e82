# Shared helpers of the load scenarios (sourced). Expects WORK (a temp dir)
# and THREADS, CONNS, DURATION set by the caller; post.lua is written by
# write_post_lua.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# -k: the https targets use a self-signed certificate made for the run.
wait_http() { for _ in $(seq 1 100); do curl -fsk -o /dev/null "$1" -H 'Authorization: Bearer sk-bench' && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }

# Starts an instant engine-sim serving bench-model; sets ENGINE_PID and ENGINE_PORT.
start_engine() {  # sluice-binary log-name
  "$1" engine-sim --port 0 --profile instant --served-model-name bench-model > "$WORK/$2.out" 2>&1 &
  ENGINE_PID=$!
  PIDS+=($ENGINE_PID)
  for _ in $(seq 1 100); do grep -q 'listening on' "$WORK/$2.out" && break; sleep 0.1; done
  ENGINE_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/$2.out" | head -1)
  [[ -n "$ENGINE_PORT" ]] || { cat "$WORK/$2.out"; exit 1; }
}

# sha256 of the bench key, for sluice configs.
bench_key_hash() { printf %s sk-bench | sha256sum | cut -d' ' -f1; }

write_post_lua() {
  cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = '{"model":"bench-model","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Summarise the plot of a short story about a lighthouse keeper in two sentences."}],"max_tokens":16}'
LUA
}

# CPU seconds (user+system) used so far by the processes given, children's threads included.
cpu_of() { local t=0; for p in "$@"; do t=$(awk -v t="$t" -v hz="$(getconf CLK_TCK)" '{print t + ($14 + $15) / hz}' "/proc/$p/stat"); done; echo "$t"; }

# Runs wrk against url and prints "name rps p50 p99 non2xx cpu_us_per_request".
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

# wrk's "1.23ms" / "850us" / "1.1s" in milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.3f", n }'; }

# A short warm-up of each url.
warm_up() { for url in "$@"; do wrk -t1 -c4 -d1s -s "$WORK/post.lua" "$url/v1/chat/completions" > /dev/null 2>&1 || true; done; }

# Prints the rows in the array `results` (run_wrk lines named <target>-<round>),
# then each given target's ratios to `baseline`: requests/s summed over the
# rounds, p99 the lower of the rounds (so one stall of a shared machine does
# not decide the ratio), CPU per request summed.
print_rounds() {  # baseline targets...
  local baseline=$1 r name rps p50 p99 non2xx cpu base t; shift
  printf '%-14s %12s %10s %10s %8s %14s\n' target "requests/s" "p50 ms" "p99 ms" "non-2xx" "CPU us/req"
  declare -A RPS P99 CPU
  for r in "${results[@]}"; do
    read -r name rps p50 p99 non2xx cpu <<<"$r"
    printf '%-14s %12s %10s %10s %8s %14s\n' "$name" "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")" "$non2xx" "$cpu"
    base=${name%-*}
    RPS[$base]=$(awk -v a="${RPS[$base]:-0}" -v b="$rps" 'BEGIN{print a+b}')
    P99[$base]=$(awk -v a="${P99[$base]:-1e9}" -v b="$(to_ms "$p99")" 'BEGIN{print (b < a ? b : a)}')
    CPU[$base]=$(awk -v a="${CPU[$base]:-0}" -v b="$cpu" 'BEGIN{print a+b}')
  done
  for t in "$@"; do
    awk -v t="$t" -v base="$baseline" -v r="${RPS[$t]}" -v n="${RPS[$baseline]}" -v p="${P99[$t]}" \
        -v q="${P99[$baseline]}" -v c="${CPU[$t]}" -v d="${CPU[$baseline]}" \
      'BEGIN { printf "%s/%s: requests/s %.3fx, p99 (lower round) %.2fx, CPU per request %.3fx\n", t, base, r/n, p/q, c/d }'
  done
}

# Starts `sluice serve` as target `name` in front of $ENGINE_PORT with the bench
# tenant (sk-bench); `extra` is YAML added at the top level (store, cluster …),
# `limits` the tenant's limits mapping (empty: none). Sets PORT_<name> and
# PID_<name> (dashes become underscores) and waits until it answers.
start_bench_sluice() {  # name binary extra-yaml [limits]
  local name=$1 binary=$2 extra=$3 limits=${4:-} api admin
  api=$(free_port); admin=$(free_port)
  mkdir -p "$WORK/$name"
  cat > "$WORK/$name/sluice.yaml" <<YAML
listen: {api: 127.0.0.1:$api, admin: 127.0.0.1:$admin}
server: {threads: $THREADS, access_log: ""}
$extra
tenants:
  - id: bench
    api_keys: [sha256:$(bench_key_hash)]
    models: ["*"]
${limits:+    limits: $limits}
models:
  - name: bench-model
    source: static
    static: {endpoints: ["http://127.0.0.1:$ENGINE_PORT"]}
YAML
  "$binary" serve --config "$WORK/$name/sluice.yaml" --quiet > "$WORK/$name.out" 2>&1 &
  PIDS+=($!)
  printf -v "PID_${name//-/_}" '%s' "$!"
  printf -v "PORT_${name//-/_}" '%s' "$api"
  wait_http "http://127.0.0.1:$api/v1/models"
}
