#!/usr/bin/env bash
# Issue #14's IXFR benchmark: after a one-record change to the 1,000,000-record zone (bench/src/bin/bigzone.rs, as
# xfr.sh), what a reload and an IXFR from the old serial cost, against an AXFR of the same zone, from lyncdns,
# Knot (`zonefile-load: difference`) and BIND (`ixfr-from-differences yes`) as primaries, one after the other, each
# on 127.0.0.1 at a free port.
#
# Usage: bench/ixfr.sh        (Debian with knotd, knotc, named and kdig installed)
#
# Per server, on its own copy of the zone, once it answers:
#   AXFR        one transfer by kdig: wall ms, the server's CPU ms (utime+stime of /proc/PID/stat, 10 ms ticks;
#               less sensitive to other load than wall time), octets, messages, records
#   reload      the copy's `host1` address changed and its SOA serial raised by one, then the server told to
#               reload (lyncdns and BIND: SIGHUP; Knot: `knotc zone-reload`): wall ms and server CPU ms from the
#               signal until the new serial is served (SOA polled every 100 ms)
#   IXFR        kdig's IXFR from the old serial: the same figures as the AXFR
# and the server's RSS (VmRSS, MB = 10^6 bytes) at the end. Prints one markdown table; logs in
# target/bench/ixfr/. Environment: XFR_RECORDS (1000000), CARGO_TARGET_DIR (target).
set -euo pipefail
cd "$(dirname "$0")/.."
records="${XFR_RECORDS:-1000000}"
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release"
cargo build --release -q -p lyncdns -p lyncdns-bench --bin lyncdns --bin bigzone
zones="$(mkdir -p "$target/bench/xfr" && cd "$target/bench/xfr" && pwd)"
zone="$zones/contoso.com.zone"
[ -s "$zone" ] || "$bin/bigzone" --records "$records" --out "$zone" --queries "$zones/queries.txt" >"$zones/probes.txt"
out="$(mkdir -p "$target/bench/ixfr" && cd "$target/bench/ixfr" && pwd)"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
serial() { kdig @127.0.0.1 -p "$1" contoso.com SOA +short +time=1 2>/dev/null | awk '{ print $3 }'; }
wait_serial() { # port serial
  for _ in $(seq 1 1200); do
    [ "$(serial "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  echo "server on port $1 never served serial $2" >&2; return 1
}
pid=""
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; pid=""; }
trap stop EXIT
hz=$(getconf CLK_TCK)

# A copy of the zone for one server, in DIR.
copy() { mkdir -p "$1" && cp "$zone" "$1/contoso.com.zone"; }
# The one-record change: host1's address, and the SOA serial up by one.
change() {
  sed -i -e 's/^@ IN SOA \(.*\) 2026112501 /@ IN SOA \1 2026112502 /' -e 's/^host1 IN A .*/host1 IN A 192.0.2.77/' "$1"
  grep -q '^host1 IN A 192.0.2.77$' "$1" && grep -q ' 2026112502 ' "$1"
}
transfer() { # name port what(AXFR|IXFR=serial)
  local c0 t0 t1 c1 stats
  c0=$(ticks "$pid"); t0=$(date +%s%N)
  stats=$(kdig @127.0.0.1 -p "$2" contoso.com "$3" +time=120 | tail -3 | grep Received)
  t1=$(date +%s%N); c1=$(ticks "$pid")
  echo "| $1 | ${3%%=*} | $(( (t1 - t0) / 1000000 )) | $(( (c1 - c0) * 1000 / hz )) | $stats |"
}
measure() { # name port zonefile reload-command...
  local name=$1 port=$2 file=$3; shift 3
  wait_serial "$port" 2026112501
  transfer "$name" "$port" AXFR
  change "$file"
  local c0 t0 t1 c1
  c0=$(ticks "$pid"); t0=$(date +%s%N)
  "$@" >/dev/null
  wait_serial "$port" 2026112502
  t1=$(date +%s%N); c1=$(ticks "$pid")
  echo "| $name | reload | $(( (t1 - t0) / 1000000 )) | $(( (c1 - c0) * 1000 / hz )) | |"
  transfer "$name" "$port" IXFR=2026112501
  echo "| $name | RSS MB | $(awk '/VmRSS/ { printf "%d", $2 * 1024 / 1000000 }' "/proc/$pid/status") | | |"
}

echo "| server | step | wall ms | server CPU ms | kdig |"
echo "|---|---|---|---|---|"

port=$(free_port)
rm -rf "$out/lyncdns" && copy "$out/lyncdns"
sed 's/^name = "inside"$/name = "inside"\nallow_transfer = ["127.0.0.0\/8"]/' bench/deployment.toml >"$out/lyncdns/deployment.toml"
"$bin/lyncdns" serve "$out/lyncdns/deployment.toml" --dns "127.0.0.1:$port" --workers 1 \
  --zone "inside=$out/lyncdns/contoso.com.zone" 2>"$out/lyncdns.log" &
pid=$!
measure lyncdns "$port" "$out/lyncdns/contoso.com.zone" kill -HUP "$pid"
stop

port=$(free_port)
rm -rf "$out/knot" && copy "$out/knot"
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
    file: "$out/knot/contoso.com.zone"
    acl: xfr
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
KNOT
knotd -c "$out/knot/knot.conf" >"$out/knot.log" 2>&1 &
pid=$!
measure knot "$port" "$out/knot/contoso.com.zone" knotc -c "$out/knot/knot.conf" zone-reload contoso.com
stop

port=$(free_port)
rm -rf "$out/bind" && copy "$out/bind"
cat >"$out/bind/named.conf" <<BIND
options {
  directory "$out/bind"; listen-on port $port { 127.0.0.1; }; listen-on-v6 { none; }; pid-file none;
  session-keyfile "$out/bind/session.key"; managed-keys-directory "$out/bind"; recursion no; dnssec-validation no;
};
zone "contoso.com" { type primary; file "$out/bind/contoso.com.zone"; allow-transfer { 127.0.0.1; };
  ixfr-from-differences yes; };
BIND
named -g -c "$out/bind/named.conf" >"$out/bind.log" 2>&1 &
pid=$!
measure bind "$port" "$out/bind/contoso.com.zone" kill -HUP "$pid"
stop
