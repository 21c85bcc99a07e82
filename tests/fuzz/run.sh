#!/usr/bin/env bash
# Runs each libFuzzer target in build/fuzz for a bounded time (`make fuzz`).
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [FUZZER...]
# Each fuzzer grows its own corpus in BUILD_DIR/corpus/NAME, starting from
# the committed seeds in tests/fuzz/corpus/NAME; a crash leaves its input in
# BUILD_DIR/artifacts/ and makes the script exit non-zero.
set -uo pipefail
build=${1:?build dir}
seconds=${2:?seconds per fuzzer}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
fuzzers=("$@")
[[ ${#fuzzers[@]} -gt 0 ]] || fuzzers=(fuzz_request_body fuzz_sse_stream fuzz_config_loader fuzz_workload_loader)

failed=()
mkdir -p "$build/artifacts"
for f in "${fuzzers[@]}"; do
  corpus="$build/corpus/$f"
  mkdir -p "$corpus"
  seeds=()
  [[ -d "$here/corpus/$f" ]] && seeds=("$here/corpus/$f")
  dict=()
  [[ -f "$here/$f.dict" ]] && dict=("-dict=$here/$f.dict")
  echo "== $f: ${seconds}s"
  # A fresh output file per run; the summary lines are printed below.
  log="$build/$f.log"
  if "$build/tests/fuzz/$f" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$build/artifacts/$f-" "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE' "$log" | sed "s/^/   /"
  else
    failed+=("$f")
    tail -n 40 "$log"
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: failures in ${failed[*]} (inputs in $build/artifacts, logs in $build/*.log)" >&2
  exit 1
fi
echo "fuzz: no failures"
