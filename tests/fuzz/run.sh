#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each on its seed corpus (the hostile set's files, sorted by
# seed_corpus.sh), under ASan + UBSan with leak detection; prints each target's executions and stops at the first
# finding (the input is saved beside the logs as crash-*/leak-*/timeout-*: make it a regression test).
#   tests/fuzz/run.sh SECONDS [FUZZ_BUILD_DIR] [HOSTILE_DIR]
# The fuzz build (FUZZ_BUILD_DIR, default build-fuzz) and the hostile set (HOSTILE_DIR, default
# build/tests/hostile, written by `ctest -R cli.hostile`) must exist: installer/waft.sh test makes both.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:?usage: tests/fuzz/run.sh SECONDS [FUZZ_BUILD_DIR] [HOSTILE_DIR]}
dir=${2:-build-fuzz}
hostile=${3:-build/tests/hostile}
[ -d "$hostile" ] || { echo "run.sh: no hostile set in $hostile (run ctest -R cli.hostile first)" >&2; exit 2; }
bash tests/fuzz/seed_corpus.sh "$hostile" "$dir/corpus" >/dev/null
for t in safetensors scene json_fields strokes flo model_config sd_model gif image; do
  [ -x "$dir/fuzz_$t" ] || { echo "run.sh: $dir/fuzz_$t is not built" >&2; exit 2; }
  if ! "$dir/fuzz_$t" "$dir/corpus/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=200000 \
      -timeout=25 -print_final_stats=1 -artifact_prefix="$dir/" >"$dir/$t.log" 2>&1; then
    tail -40 "$dir/$t.log"
    echo "fuzz_$t found a crash, leak or hang (input saved beside the log in $dir)" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/$t.log" | grep -o '[0-9]*$')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$dir/$t.log" | grep -o '[0-9]*$')
  echo "fuzz_$t: $runs runs in ${seconds} s ($rate/s), no finding"
done
