#!/usr/bin/env bash
# Issue #14: "a reload + transfer under query load drops no query". lyncdns serves the 1,000,000-record zone
# (bench/src/bin/bigzone.rs, as xfr.sh) transferably on 127.0.0.1 at a free port with one worker; loadgen
# (bench/src/bin/loadgen.rs) sends the zone's query mix over UDP at a fixed rate for LOAD_SECS seconds, twice:
#   quiet       queries only
#   busy        after 2 s, an AXFR, then a one-record change (host1's address, SOA serial + 1) and a reload
#               (SIGHUP) waited for until the new serial is served, then an IXFR from the old serial and another
#               AXFR, all while the queries go on (each by kdig over TCP; the script checks they ended before the
#               load did)
# loadgen counts a query lost when no answer came within 1 s; the kernel's UDP receive-buffer drops during each run
# (RcvbufErrors of /proc/net/snmp, every socket of the machine: the server's and loadgen's) tell queries the kernel
# dropped from answers that came late. Prints one markdown table; logs in target/bench/xfr-load/.
#
# Usage: bench/xfr-load.sh        (Debian with kdig installed; loopback only)
# Environment: LOAD_RATE (queries/s, 5000), LOAD_SECS (40), XFR_RECORDS (1000000), CARGO_TARGET_DIR (target).
set -euo pipefail
cd "$(dirname "$0")/.."
rate="${LOAD_RATE:-5000}"
secs="${LOAD_SECS:-40}"
records="${XFR_RECORDS:-1000000}"
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release"
cargo build --release -q -p lyncdns -p lyncdns-bench --bin lyncdns --bin bigzone --bin loadgen
zones="$(mkdir -p "$target/bench/xfr" && cd "$target/bench/xfr" && pwd)"
zone="$zones/contoso.com.zone"
[ -s "$zone" ] || "$bin/bigzone" --records "$records" --out "$zone" --queries "$zones/queries.txt" >"$zones/probes.txt"
out="$(mkdir -p "$target/bench/xfr-load" && cd "$target/bench/xfr-load" && pwd)"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
serial() { kdig @127.0.0.1 -p "$1" contoso.com SOA +short +time=1 2>/dev/null | awk '{ print $3 }'; }
wait_serial() { # port serial
  for _ in $(seq 1 1200); do
    [ "$(serial "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  echo "server on port $1 never served serial $2" >&2; return 1
}
stats() { kdig @127.0.0.1 -p "$1" contoso.com "$2" +time=120 | tail -3 | grep Received | sed 's/^;; //'; }
pid=""
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; pid=""; }
trap stop EXIT

cp "$zone" "$out/contoso.com.zone"
port=$(free_port)
sed 's/^name = "inside"$/name = "inside"\nallow_transfer = ["127.0.0.0\/8"]/' bench/deployment.toml >"$out/deployment.toml"
"$bin/lyncdns" serve "$out/deployment.toml" --dns "127.0.0.1:$port" --workers 1 \
  --zone "inside=$out/contoso.com.zone" 2>"$out/lyncdns.log" &
pid=$!
wait_serial "$port" 2026112501

rcvbuf() { awk '/^Udp:/ { if (h) print $6; h = 1 }' /proc/net/snmp; }
load() { "$bin/loadgen" --server "127.0.0.1:$port" --queries "$zones/queries.txt" --rate "$rate" --duration "$secs"; }
row() { # name json events
  python3 -c 'import json, sys; j = json.loads(sys.argv[2]); print("| %s | %s | %s | %s | %s | %s | %s |" % (sys.argv[1], j["sent"], j["answered"], j["lost"], sys.argv[4], j["p99_us"], sys.argv[3]))' "$@"
}

echo "| run | sent | answered | lost (no answer in 1 s) | UDP receive-buffer drops | p99 µs | during the load |"
echo "|---|---|---|---|---|---|---|"
r0=$(rcvbuf)
quiet=$(load)
row quiet "$quiet" "queries only" $(( $(rcvbuf) - r0 ))

r0=$(rcvbuf)
load >"$out/busy.json" &
lg=$!
sleep 2
t0=$(date +%s%N)
axfr=$(stats "$port" AXFR)
sed -i -e 's/^@ IN SOA \(.*\) 2026112501 /@ IN SOA \1 2026112502 /' -e 's/^host1 IN A .*/host1 IN A 192.0.2.77/' "$out/contoso.com.zone"
t1=$(date +%s%N)
kill -HUP "$pid"
wait_serial "$port" 2026112502
t2=$(date +%s%N)
ixfr=$(stats "$port" IXFR=2026112501)
axfr2=$(stats "$port" AXFR)
t3=$(date +%s%N)
kill -0 "$lg" 2>/dev/null || { echo "the load ended before the transfers did: raise LOAD_SECS" >&2; exit 1; }
wait "$lg"
row busy "$(cat "$out/busy.json")" "AXFR ($axfr), reload $(( (t2 - t1) / 1000000 )) ms, IXFR ($ixfr), AXFR ($axfr2); $(( (t3 - t0) / 1000000 )) ms in all" $(( $(rcvbuf) - r0 ))
