#!/usr/bin/env bash
# The view-heavy case: lyncdns serving the Enterprise example with 100 views of 1,000 client prefixes each (the
# client's own view last, so a first-match scan would try every prefix), against the same deployment with its
# 2 views. Same pinning and load generator as run.sh. Usage: bench/views.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
out="target/bench"
mkdir -p "$out"
cargo build --release -q -p lyncdns -p lyncdns-bench
bin=target/release
[ -f "$out/queries.txt" ] || { echo "run bench/run.sh once first (it writes the query file)"; exit 1; }
python3 - bench/deployment.toml "$out/views.toml" <<'PY'
import random, re, sys
random.seed(11)
text = open(sys.argv[1]).read()
views = []
for v in range(99):
    prefixes = ", ".join(f'"{random.randrange(11, 224)}.{random.randrange(256)}.{random.randrange(256)}.0/24"' for _ in range(1000))
    views.append(f'[[views]]\nname = "tenant{v}"\nlocation = "external"\nclients = [{prefixes}]\nnameservers = [{{ fqdn = "ns1.contoso.com", addresses = ["198.51.100.53"] }}]\n')
# Insert the 99 tenant views before the deployment's own views, so the loopback client matches the 100th.
first = text.index("[[views]]")
open(sys.argv[2], "w").write(text[:first] + "\n".join(views) + "\n" + text[first:])
PY
port=5354
for f in bench/deployment.toml "$out/views.toml" bench/deployment.toml "$out/views.toml"; do
  taskset -c 0 "$bin/lyncdns" serve "$f" --dns "127.0.0.1:$port" --workers 1 --log error & pid=$!
  for _ in $(seq 100); do dig +short +time=1 +tries=1 @127.0.0.1 -p $port webint01.contoso.com A >/dev/null 2>&1 && break; sleep 0.1; done
  r=$(taskset -c 1 "$bin/loadgen" --server "127.0.0.1:$port" --queries "$out/queries.txt" --duration "$secs")
  echo "$(basename "$f"): $r"
  kill $pid; wait $pid 2>/dev/null || true
done
