#!/usr/bin/env bash
# Where a saturated server's CPU time goes: the kernel against the process itself (perf cpu-clock samples),
# the ceiling responder against lyncdns, alternated, in the same conditions as bench/run.sh (server pinned to
# core 0 with one worker, the batched client on core 1). Seconds are too noisy on a shared machine to separate
# two servers by 5 %; the share of the process's own code in its CPU time is not (docs/benchmarks.md).
#
# Usage: bench/split.sh [QUERY_FILE] [ROUNDS]     (as root; needs perf; QUERY_FILE defaults to the Lync mix that
#                                                   bench/run.sh writes, target/bench/queries.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
queries="${1:-target/bench/queries.txt}"
rounds="${2:-2}"
bin=target/release
command -v perf >/dev/null || { echo "split.sh: perf is missing (Debian: linux-perf)" >&2; exit 1; }
[ -f "$queries" ] || { echo "split.sh: no $queries; run bench/run.sh once, or give a query file" >&2; exit 1; }
cargo build --release -q -p lyncdns -p lyncdns-bench
out=target/bench/split
mkdir -p "$out"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT
echo "| round | server | q/s | kernel | the process (incl. libc, vDSO) |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for name in ceiling lyncdns; do
    port=$("$bin/probe" --free-port)
    port=${port##*:}
    case $name in
      ceiling) taskset -c 0 "$bin/ceiling" "127.0.0.1:$port" 2>/dev/null & pid=$! ;;
      lyncdns) taskset -c 0 "$bin/lyncdns" serve bench/deployment.toml --dns "127.0.0.1:$port" --workers 1 \
                 --rotation shuffle --log error & pid=$! ;;
    esac
    sleep 1
    taskset -c 1 "$bin/loadgen" --server "127.0.0.1:$port" --queries "$queries" --duration 8 --inflight 256 \
      --batch 32 > "$out/loadgen.json" &
    lg=$!
    sleep 2
    perf record -q -o "$out/$name.data" -p "$pid" -- sleep 4 > /dev/null 2>&1
    wait "$lg"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    qps=$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['qps']))" "$out/loadgen.json")
    perf report -i "$out/$name.data" --sort dso --stdio 2>/dev/null \
      | awk -v r="$round" -v n="$name" -v q="$qps" '
          /^ +[0-9.]+%/ { v = $1; sub("%", "", v); if ($2 == "[kernel.kallsyms]") k += v; else u += v }
          END { printf "| %s | %s | %s | %.1f %% | %.1f %% |\n", r, n, q, k, u }'
  done
done
