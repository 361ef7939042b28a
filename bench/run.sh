#!/usr/bin/env bash
# Benchmarks lyncdns serve against Knot, NSD, BIND and a fixed-answer ceiling responder on loopback, with the same
# zone data (the `inside` view of bench/deployment.toml, exported by `lyncdns plan`): server pinned to core 0,
# clients pinned to core 1, one server worker, servers alternated (A B A B). Prints one table (docs/benchmarks.md).
#
# Usage: bench/run.sh [SECONDS_PER_RUN] [ROUNDS]        (as root on Debian; installs what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
rounds="${2:-2}"
out="target/bench"
mkdir -p "$out"

need=()
for pair in dnsperf:dnsperf nsd:nsd knotd:knot named:bind9 taskset:util-linux; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || need+=("${pair##*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
cargo build --release -q -p lyncdns -p lyncdns-bench
bin=target/release

# The zone and the query mix: every name of the zone (A, SRV), ~10% NXDOMAIN, a few NODATA.
rm -rf "$out/zones" && "$bin/lyncdns" plan bench/deployment.toml --format zone --view inside --out "$out/zones" > /dev/null
zone="$out/zones/inside/contoso.com.zone"
python3 - "$zone" "$out/queries.txt" <<'PY'
import random, sys
random.seed(7)
names = []
for line in open(sys.argv[1]):
    if line.startswith(("$", ";")) or not line.strip():
        continue
    owner, _, _, rtype = line.split()[:4]
    name = "contoso.com." if owner == "@" else owner + ".contoso.com."
    if rtype in ("A", "SRV", "AAAA"):
        names.append(f"{name} {rtype}")
names = sorted(set(names))
out = []
for i in range(20000):
    r = random.random()
    if r < 0.10:
        out.append(f"nx{random.randrange(10**9)}.contoso.com. A")
    elif r < 0.13:
        out.append("webint01.contoso.com. AAAA")
    else:
        out.append(random.choice(names))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY

port=5353
# CPU ticks of a server and its children (NSD serves from forked children whose titles contain spaces, so the
# fields are read after the closing parenthesis of the command name).
cpu_ticks() {
  python3 - "$1" <<'PY'
import glob, sys
root = sys.argv[1]; procs = {}
for f in glob.glob("/proc/[0-9]*/stat"):
    try:
        text = open(f).read()
    except OSError:
        continue
    rest = text[text.rindex(")") + 2:].split()
    procs[text.split(" ", 1)[0]] = (rest[1], int(rest[11]) + int(rest[12]))
# The server and all its descendants.
tree = {root}
while True:
    more = {p for p, (pp, _) in procs.items() if pp in tree} - tree
    if not more:
        break
    tree |= more
print(sum(procs[p][1] for p in tree if p in procs))
PY
}
hz=$(getconf CLK_TCK)

start_server() { # name -> sets pid
  local name=$1
  case $name in
    ceiling) taskset -c 0 "$bin/ceiling" "127.0.0.1:$port" 2>/dev/null & pid=$! ;;
    lyncdns) taskset -c 0 "$bin/lyncdns" serve bench/deployment.toml --dns "127.0.0.1:$port" --workers 1 --rotation shuffle --log error & pid=$! ;;
    nsd)
      mkdir -p "$out/nsd"
      cat > "$out/nsd/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$port
  server-count: 1
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  database: ""
  zonelistfile: "$PWD/$out/nsd/zone.list"
  xfrdfile: "$PWD/$out/nsd/xfrd.state"
  pidfile: "$PWD/$out/nsd/nsd.pid"
  username: ""
  chroot: ""
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: contoso.com
  zonefile: "$PWD/$zone"
CONF
      taskset -c 0 nsd -d -c "$out/nsd/nsd.conf" 2>/dev/null & pid=$! ;;
    knot)
      mkdir -p "$out/knot"
      cat > "$out/knot/knot.conf" <<CONF
server:
  listen: 127.0.0.1@$port
  rundir: "$PWD/$out/knot"
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
database:
  storage: "$PWD/$out/knot"
zone:
  - domain: contoso.com
    file: "$PWD/$zone"
    zonefile-sync: -1
    journal-content: none
CONF
      taskset -c 0 knotd -c "$out/knot/knot.conf" 2>/dev/null & pid=$! ;;
    bind)
      mkdir -p "$out/bind"
      cat > "$out/bind/named.conf" <<CONF
options { directory "$PWD/$out/bind"; listen-on port $port { 127.0.0.1; }; listen-on-v6 { none; }; pid-file none;
  session-keyfile "$PWD/$out/bind/session.key"; recursion no; dnssec-validation no; minimal-responses yes; notify no; };
zone "contoso.com" { type primary; file "$PWD/$zone"; };
CONF
      taskset -c 0 named -g -n 1 -c "$out/bind/named.conf" >/dev/null 2>&1 & pid=$! ;;
  esac
  # Wait until it answers.
  for _ in $(seq 50); do
    if dig +short +time=1 +tries=1 @127.0.0.1 -p $port webint01.contoso.com A >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "$name did not start" >&2; kill $pid 2>/dev/null || true; pid=""; return 1
}

measure() { # name mode -> prints "qps cpu_us avg p99 lost"
  local name=$1 mode=$2 args
  case $mode in
    dnsperf-udp|dnsperf-tcp)
      local m=${mode#dnsperf-}
      taskset -c 1 dnsperf -s 127.0.0.1 -p $port -d "$out/queries.txt" -c 8 -T 1 -q 500 -l "$secs" -m "$m" 2>/dev/null \
        | awk '/Queries per second/ {printf "%.0f 0 0 0 0\n", $4}'
      return ;;
    saturated) args=(--duration "$secs" --inflight 256 --batch 32) ;;
    fixed) args=(--duration "$secs" --rate 40000 --inflight 4096 --batch 8) ;;
    tcp) args=(--duration "$secs" --tcp 8 --inflight 256) ;;
  esac
  local t0 t1 r
  t0=$(cpu_ticks "$pid")
  r=$(taskset -c 1 "$bin/loadgen" --server "127.0.0.1:$port" --queries "$out/queries.txt" "${args[@]}")
  t1=$(cpu_ticks "$pid")
  python3 -c "
import json,sys
r=json.loads(sys.argv[1]); ticks=int(sys.argv[2]); hz=int(sys.argv[3])
cpu_us = ticks/hz*1e6/max(r['answered'],1)
print(f\"{r['qps']:.0f} {cpu_us:.2f} {r['avg_us']:.0f} {r['p99_us']} {r['lost']}\")" "$r" $((t1 - t0)) "$hz"
}

servers=(ceiling lyncdns nsd knot bind)
declare -A results
for round in $(seq "$rounds"); do
  for s in "${servers[@]}"; do
    start_server "$s" || continue
    for mode in saturated fixed tcp dnsperf-udp dnsperf-tcp; do
      [ "$s" = ceiling ] && { [ "$mode" = tcp ] || [ "$mode" = dnsperf-tcp ]; } && continue
      results[$s,$mode]+="$(measure "$s" "$mode");"
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
    sleep 0.3
  done
done

python3 - "$(declare -p results)" "${servers[@]}" <<'PY'
import re, sys
decl = sys.argv[1]; servers = sys.argv[2:]
pairs = dict(re.findall(r'\[([^\]]+)\]="([^"]*)"', decl))
def runs(s, m):
    return [list(map(float, x.split())) for x in pairs.get(f"{s},{m}", "").split(";") if x.strip()]
def rng(vals, fmt):
    if not vals: return "—"
    lo, hi = min(vals), max(vals)
    return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}–{fmt.format(hi)}"
ref = runs("lyncdns", "saturated")
ref_qps = sum(r[0] for r in ref) / len(ref) if ref else 0
ref_cpu = sum(r[1] for r in ref) / len(ref) if ref else 0
print("| server | UDP saturated q/s (batched client) | CPU µs/query saturated | CPU µs/query at 40k q/s | avg / p99 latency at 40k (µs) | lost at 40k | TCP pipelined q/s | dnsperf UDP q/s | dnsperf TCP q/s | q/s vs lyncdns | CPU vs lyncdns |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for s in servers:
    sat, fix, tcp = runs(s, "saturated"), runs(s, "fixed"), runs(s, "tcp")
    if not sat: continue
    qps = sum(r[0] for r in sat) / len(sat); cpu = sum(r[1] for r in sat) / len(sat)
    du, dt = runs(s, "dnsperf-udp"), runs(s, "dnsperf-tcp")
    print(f"| {s} | {rng([r[0] for r in sat], '{:,.0f}')} | {rng([r[1] for r in sat], '{:.2f}')} | {rng([r[1] for r in fix], '{:.2f}')} | "
          f"{rng([r[2] for r in fix], '{:.0f}')} / {rng([r[3] for r in fix], '{:.0f}')} | {rng([r[4] for r in fix], '{:.0f}')} | {rng([r[0] for r in tcp], '{:,.0f}')} | "
          f"{rng([r[0] for r in du], '{:,.0f}')} | {rng([r[0] for r in dt], '{:,.0f}')} | {qps / ref_qps:.2f}× | {cpu / ref_cpu:.2f}× |")
PY
