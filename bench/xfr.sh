#!/usr/bin/env bash
# Issue #14's transfer benchmark: AXFR of the 1,000,000-record zone (bench/src/bin/bigzone.rs, as bigzone.sh)
# from lyncdns, Knot and BIND as primaries, one after the other, each on 127.0.0.1 at a free port.
#
# Usage: bench/xfr.sh [ROUNDS]        (Debian with knotd, named and kdig installed)
#
# Per server, once its zone answers: ROUNDS AXFRs by kdig over TCP (its output counted, not kept). Per transfer:
#   wall ms      kdig's start to its end
#   server CPU   the server's utime+stime (/proc/PID/stat) spent during the transfer: the work the server did,
#                less sensitive than wall time to other load on the machine (clock ticks of 10 ms)
#   octets, messages   as kdig counts them
# and the server's RSS (VmRSS, MB = 10^6 bytes) after the last transfer. lyncdns serves the zone in the `inside`
# view of bench/deployment.toml with `allow_transfer = ["127.0.0.0/8"]` (it keeps the zone's records once more
# for transfers); Knot and BIND serve it as a plain primary zone allowing transfers to 127.0.0.1.
# Environment: XFR_RECORDS (1000000), CARGO_TARGET_DIR (target).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
records="${XFR_RECORDS:-1000000}"
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release"
cargo build --release -q -p lyncdns -p lyncdns-bench --bin lyncdns --bin bigzone
out="$(mkdir -p "$target/bench/xfr" && cd "$target/bench/xfr" && pwd)"
zone="$out/contoso.com.zone"
[ -s "$zone" ] || "$bin/bigzone" --records "$records" --out "$zone" --queries "$out/queries.txt" >"$out/probes.txt"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
wait_soa() {
  for _ in $(seq 1 600); do
    kdig @127.0.0.1 -p "$1" contoso.com SOA +norec +time=1 2>/dev/null | grep -q 'status: NOERROR' && return 0
    sleep 0.5
  done
  echo "server on port $1 never answered" >&2; return 1
}
pid=""
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; pid=""; }
trap stop EXIT

measure() { # name port
  local hz; hz=$(getconf CLK_TCK)
  for r in $(seq 1 "$rounds"); do
    local c0 t0 t1 c1 stats
    c0=$(ticks "$pid"); t0=$(date +%s%N)
    stats=$(kdig @127.0.0.1 -p "$2" contoso.com AXFR +time=120 | tail -3 | grep Received)
    t1=$(date +%s%N); c1=$(ticks "$pid")
    echo "| $1 | $r | $(( (t1 - t0) / 1000000 )) | $(( (c1 - c0) * 1000 / hz )) | $stats |"
  done
  echo "| $1 | RSS MB | $(awk '/VmRSS/ { printf "%d", $2 * 1024 / 1000000 }' "/proc/$pid/status") | | |"
}

echo "| server | round | wall ms | server CPU ms | kdig |"
echo "|---|---|---|---|---|"

port=$(free_port)
sed 's/^name = "inside"$/name = "inside"\nallow_transfer = ["127.0.0.0\/8"]/' bench/deployment.toml >"$out/deployment.toml"
"$bin/lyncdns" serve "$out/deployment.toml" --dns "127.0.0.1:$port" --workers 1 --zone "inside=$zone" 2>"$out/lyncdns.log" &
pid=$!
wait_soa "$port"
measure lyncdns "$port"
stop

port=$(free_port)
mkdir -p "$out/knot"
cat >"$out/knot/knot.conf" <<KNOT
server:
    rundir: "$out/knot"
    listen: 127.0.0.1@$port
database:
    storage: "$out/knot"
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
zone:
  - domain: contoso.com
    file: "$zone"
    acl: xfr
    zonefile-sync: -1
    journal-content: none
KNOT
knotd -c "$out/knot/knot.conf" >"$out/knot.log" 2>&1 &
pid=$!
wait_soa "$port"
measure knot "$port"
stop

port=$(free_port)
mkdir -p "$out/bind"
cat >"$out/bind/named.conf" <<BIND
options {
  directory "$out/bind"; listen-on port $port { 127.0.0.1; }; listen-on-v6 { none; }; pid-file none;
  session-keyfile "$out/bind/session.key"; managed-keys-directory "$out/bind"; recursion no; dnssec-validation no;
};
zone "contoso.com" { type primary; file "$zone"; allow-transfer { 127.0.0.1; }; };
BIND
named -g -c "$out/bind/named.conf" >"$out/bind.log" 2>&1 &
pid=$!
wait_soa "$port"
measure bind "$port"
stop
