#!/usr/bin/env bash
# Runs the fuzz targets one after another for a bounded time each; any crash, timeout or leak fails the run.
# The same command for CI (.ci/run: 20 s each) and by hand (docs/fuzzing.md):
#   bash fuzz/run.sh [SECONDS_EACH] [TARGET...]     (default: 20 s, every target)
# Needs the nightly toolchain (libFuzzer's instrumentation) and cargo-fuzz, installed here if missing.
# New inputs go to fuzz/work/<target>/ (ignored by git); the committed seeds in fuzz/corpus/<target>/ are read
# only. A crashing input is written to fuzz/artifacts/<target>/ and the run stops with its reproducer command.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-20}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(answer zonefile deployment autodiscover decode ntlm sip)

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz: the nightly toolchain is missing (rustup toolchain list); cargo fuzz needs it" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

start=$(date +%s)
# One build of every target, then the runs (cargo fuzz run would otherwise rebuild-check each time).
cargo +nightly fuzz build
echo "fuzz: built in $(($(date +%s) - start)) s"
for t in "${targets[@]}"; do
  mkdir -p "work/$t"
  log="work/$t.log"
  if ! cargo +nightly fuzz run "$t" "work/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $t FAILED (input in fuzz/artifacts/$t/; full log fuzz/$log)" >&2
    exit 1
  fi
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  echo "fuzz: $t ok: $runs executions in ${seconds} s ($rate/s)"
done
echo "fuzz: done in $(($(date +%s) - start)) s"
