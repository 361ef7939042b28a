#!/usr/bin/env bash
# Issue #7's 1,000,000-record zone: how long lyncdns, NSD, Knot and BIND take from launch to the first correct
# answer for the zone's last record, and how much memory they hold once loaded.
#
# Usage: bench/bigzone.sh [ROUNDS]        (as root on Debian; installs nsd, knot and bind9 if missing)
#
# The zone (bench/src/bin/bigzone.rs, fixed seed): contoso.com. with SOA and NS at the apex and 1,000,000 records
# (host A, AAAA, CNAME, SRV, DNS-load-balanced A, TXT), one per line; lyncdns serves it as the `inside` view's
# contoso.com (replacing the planned zone of bench/deployment.toml), the others as a plain primary zone. Each
# server listens on 127.0.0.1 only, on a free port, pinned to core 0 with one worker; the clients run on core 1.
# Servers alternate (lyncdns nsd knot bind, then again) for ROUNDS rounds (default 3). Per start:
#   start→first answer  launch → an authoritative answer with the right address for the file's last record,
#                       asked every 5 ms (bench/src/bin/probe.rs); gives up after BIGZONE_TIMEOUT s (120)
#   RSS, PSS, peak RSS  1 s after the first answer, summed over the server's process tree (NSD forks):
#                       Rss and Pss of /proc/PID/smaps_rollup, VmHWM of /proc/PID/status; MB = 10^6 bytes
#   NXDOMAIN / NODATA   one query each, checked (AA, rcode, no answer, SOA in the authority section)
#   UDP q/s             loadgen saturating the server for BIGZONE_LOAD_SECS s (3; 0 skips it) with the
#                       generated query mix (~10 % NXDOMAIN, ~5 % NODATA)
#   busy with others    core 0's busy time (/proc/stat) during the start minus the server's own CPU time, and
#                       core 1's during the load run minus loadgen's: what other processes (or the hypervisor)
#                       took from the server and from the client; both near 0 on a quiet machine
# A server that fails to answer in time is not started again in later rounds. Prints one markdown table; the
# raw figures go to target/bench/bigzone/results.txt, the servers' logs beside them.
# Environment: BIGZONE_RECORDS (1000000), BIGZONE_TIMEOUT (120), BIGZONE_LOAD_SECS (3),
#              BIGZONE_SERVERS ("lyncdns nsd knot bind"), BIGZONE_LYNCDNS (a lyncdns binary to measure instead
#              of building this tree's), CARGO_TARGET_DIR (target).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
records="${BIGZONE_RECORDS:-1000000}"
timeout="${BIGZONE_TIMEOUT:-120}"
load_secs="${BIGZONE_LOAD_SECS:-3}"
read -r -a servers <<< "${BIGZONE_SERVERS:-lyncdns nsd knot bind}"
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release"
mkdir -p "$target/bench/bigzone"
out="$(cd "$target/bench/bigzone" && pwd)"

need=()
for pair in nsd:nsd knotd:knot named:bind9 taskset:util-linux; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || need+=("${pair##*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
PATH="$PATH:/usr/sbin"
if [ -n "${BIGZONE_LYNCDNS:-}" ]; then
  lyncdns="$(realpath "$BIGZONE_LYNCDNS")"
  cargo build --release -q -p lyncdns-bench
else
  lyncdns="$bin/lyncdns"
  cargo build --release -q -p lyncdns -p lyncdns-bench
fi

zone="$out/contoso.com.zone"
"$bin/bigzone" --records "$records" --out "$zone" --queries "$out/queries.txt" > "$out/probes.txt"
read -r _ last_name _ last_addr < <(grep '^last ' "$out/probes.txt")
read -r _ nx_name _ < <(grep '^nxdomain ' "$out/probes.txt")
read -r _ nodata_name nodata_type < <(grep '^nodata ' "$out/probes.txt")
port=$("$bin/probe" --free-port)
echo "zone: $zone ($records records + SOA/NS); probe: $last_name A $last_addr; port 127.0.0.1:$port" >&2
# Other work on the machine shows in the figures: say so.
read -r load1 _ < /proc/loadavg
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
  echo "warning: load average $load1 before the run; the machine is not idle and the figures will show it" >&2
fi

# The running server's PID (the process we launched; NSD's children are found through it).
pid=""

# PIDs of $1 and all its descendants, from the parent field of /proc/*/stat (read after the command name's
# closing parenthesis, since a process title may contain spaces).
tree_pids() {
  local root=$1 f line rest p
  local -A parent=()
  for f in /proc/[0-9]*/stat; do
    { read -r line < "$f"; } 2>/dev/null || continue
    rest=${line##*) }
    rest=${rest#* }
    parent[${line%% *}]=${rest%% *}
  done
  local tree=" $root " changed=1
  while [ "$changed" = 1 ]; do
    changed=0
    for p in "${!parent[@]}"; do
      case "$tree" in *" $p "*) continue ;; esac
      case "$tree" in *" ${parent[$p]} "*) tree+="$p " changed=1 ;; esac
    done
  done
  echo $tree
}

# "RSS_kB PSS_kB HWM_kB PROCESSES" summed over the tree of $1.
tree_mem() {
  local p files=() status=()
  for p in $(tree_pids "$1"); do
    files+=("/proc/$p/smaps_rollup")
    status+=("/proc/$p/status")
  done
  local rp hwm
  rp=$(awk '/^Rss:/ {r += $2} /^Pss:/ {s += $2} END {print r + 0, s + 0}' "${files[@]}" 2>/dev/null || true)
  hwm=$(awk '/^VmHWM:/ {h += $2} END {print h + 0}' "${status[@]}" 2>/dev/null || true)
  echo "$rp $hwm ${#files[@]}"
}

# CPU ticks (user + system) of the tree of $1.
tree_ticks() {
  local p line sum=0
  local -a f
  for p in $(tree_pids "$1"); do
    { read -r line < "/proc/$p/stat"; } 2>/dev/null || continue
    read -r -a f <<< "${line##*) }"
    sum=$((sum + f[11] + f[12]))
  done
  echo "$sum"
}

# Busy ticks of core $1 (user, nice, system, steal; not interrupts, which land on whichever core), whoever used them.
core_ticks() { awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $9 }' /proc/stat; }
# CPU ticks of this shell's finished children (cutime + cstime).
children_ticks() {
  local line
  local -a f
  read -r line < "/proc/$$/stat"
  read -r -a f <<< "${line##*) }"
  echo $((f[13] + f[14]))
}
# Seconds from a tick count, negative counts (sampling jitter) as 0.
secs_of() { awk -v b="$1" -v hz="$hz" 'BEGIN { printf "%.2f", (b < 0 ? 0 : b) / hz }'; }
hz=$(getconf CLK_TCK)

# True while $1 exists and is not a zombie.
running() {
  local line
  { read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
  line=${line##*) }
  [ "${line%% *}" != Z ]
}

# Stops the running server: SIGTERM to the process we launched, SIGKILL to it and its descendants (each by its
# own PID) if they are not gone after 30 s.
stop_server() {
  [ -n "$pid" ] || return 0
  local tree p
  tree=$(tree_pids "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do
    local alive=0
    for p in $tree; do running "$p" && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in $tree; do
    if running "$p"; then
      echo "  $p still running after 30 s: SIGKILL" >&2
      kill -KILL "$p" 2>/dev/null || true
    fi
  done
  wait "$pid" 2>/dev/null || true
  pid=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# Writes the configuration of $1 (nsd, knot, bind) into its private directory $out/$1.
configure() {
  local dir="$out/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  case $1 in
    nsd) cat > "$dir/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$port
  do-ip6: no
  server-count: 1
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  pidfile: "$dir/nsd.pid"
  username: ""
  chroot: ""
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: contoso.com
  zonefile: "$zone"
CONF
    ;;
    knot) cat > "$dir/knot.conf" <<CONF
server:
  listen: 127.0.0.1@$port
  rundir: "$dir"
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
log:
  - target: stderr
    any: info
database:
  storage: "$dir"
zone:
  - domain: contoso.com
    file: "$zone"
    zonefile-sync: -1
    journal-content: none
CONF
    ;;
    bind) cat > "$dir/named.conf" <<CONF
options {
  directory "$dir";
  listen-on port $port { 127.0.0.1; };
  listen-on-v6 { none; };
  pid-file none;
  session-keyfile "$dir/session.key";
  recursion no;
  dnssec-validation no;
  notify no;
  minimal-responses yes;
};
controls { };
zone "contoso.com" { type primary; file "$zone"; };
CONF
    ;;
  esac
}

# Launches $1 pinned to core 0 in the background; sets pid. Its output goes to $out/$1.log.
launch() {
  local log="$out/$1.log"
  case $1 in
    lyncdns) taskset -c 0 "$lyncdns" serve bench/deployment.toml --dns "127.0.0.1:$port" --workers 1 \
               --zone "inside=$zone" --log warn > "$log" 2>&1 & pid=$! ;;
    nsd) taskset -c 0 nsd -d -c "$out/nsd/nsd.conf" > "$log" 2>&1 & pid=$! ;;
    knot) taskset -c 0 knotd -c "$out/knot/knot.conf" > "$log" 2>&1 & pid=$! ;;
    bind) taskset -c 0 named -g -n 1 -c "$out/bind/named.conf" > "$log" 2>&1 & pid=$! ;;
  esac
}

probe() { taskset -c 1 "$bin/probe" --server "127.0.0.1:$port" "$@"; }

results="$out/results.txt"
: > "$results"
declare -A failed=()
for round in $(seq "$rounds"); do
  for s in "${servers[@]}"; do
    if [ -n "${failed[$s]:-}" ]; then
      echo "round $round: $s skipped (failed before)" >&2
      continue
    fi
    [ "$s" = lyncdns ] || configure "$s"
    c0=$(core_ticks 0)
    t0="${EPOCHREALTIME//[.,]/}000" # ns since the epoch, without a fork
    launch "$s"
    if ! first=$(probe --name "$last_name" --type A --expect "$last_addr" --wait "$timeout" --since-ns "$t0" --pid "$pid"); then
      why="no correct answer within $timeout s"
      if ! running "$pid"; then
        status=0
        wait "$pid" || status=$?
        read -r _ secs _ <<< "$first"
        why="exited after $secs s with status $status$( [ "$status" -gt 128 ] && echo " (signal $((status - 128)))")"
        pid=""
      fi
      echo "round $round: $s: $why; probe: $first (log: $out/$s.log)" >&2
      echo "$s $round fail $why" >> "$results"
      failed[$s]=1
      stop_server
      continue
    fi
    read -r _ secs _ <<< "$first"
    # Core 0 time not used by the server while it started: other processes (or the hypervisor) in its way.
    others0=$(secs_of $(( $(core_ticks 0) - c0 - $(tree_ticks "$pid") )))
    sleep 1
    read -r rss pss hwm nprocs <<< "$(tree_mem "$pid")"
    neg=ok
    r=$(probe --name "$nx_name" --type A --nxdomain) || neg="NXDOMAIN: ${r#fail * * }"
    r=$(probe --name "$nodata_name" --type "$nodata_type" --nodata) || neg="NODATA: ${r#fail * * }"
    qps=- others1=-
    if [ "$load_secs" != 0 ]; then
      c1=$(core_ticks 1) k1=$(children_ticks)
      r=$(taskset -c 1 "$bin/loadgen" --server "127.0.0.1:$port" --queries "$out/queries.txt" --duration "$load_secs" \
            --inflight 256 --batch 32)
      others1=$(secs_of $(( $(core_ticks 1) - c1 - ($(children_ticks) - k1) )))
      qps=$(sed -n 's/.*"qps":\([0-9.]*\).*/\1/p' <<< "$r")
    fi
    stop_server
    echo "round $round: $s: first answer ${secs} s (others on core 0: ${others0} s), RSS ${rss} kB, PSS ${pss} kB, peak ${hwm} kB ($nprocs processes), negative answers $neg, ${qps} q/s (others on core 1: ${others1} s)" >&2
    echo "$s $round ok $secs $rss $pss $hwm $qps $others0 $others1 $neg" >> "$results"
  done
done

echo
awk -v servers="${servers[*]}" '
  function range(lo, hi, fmt,   a, b) { a = sprintf(fmt, lo); b = sprintf(fmt, hi); return a == b ? a : a "–" b }
  function commas(x,   s, r) {
    s = sprintf("%.0f", x); r = ""
    while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
    return s r
  }
  function add(k, v) { if (!((k) in lo) || v < lo[k]) lo[k] = v; if (!((k) in hi) || v > hi[k]) hi[k] = v }
  $3 == "fail" { fails[$1]++; why[$1] = substr($0, index($0, " fail ") + 6); next }
  {
    ok[$1]++; add($1 ",t", $4); add($1 ",rss", $5 * 1.024 / 1000); add($1 ",pss", $6 * 1.024 / 1000)
    add($1 ",hwm", $7 * 1.024 / 1000); if ($8 != "-") add($1 ",qps", $8); add($1 ",o0", $9)
    if ($10 != "-") add($1 ",o1", $10)
    neg = $11; for (i = 12; i <= NF; i++) neg = neg " " $i
    if (neg != "ok") bad[$1] = neg
  }
  END {
    print "| server | start→first answer (s) | RSS MB | PSS MB | peak RSS MB | UDP q/s, saturated | NXDOMAIN, NODATA | rounds | busy with others (s): core 0 at start / core 1 under load |"
    print "|---|---|---|---|---|---|---|---|---|"
    n = split(servers, list, " ")
    for (i = 1; i <= n; i++) {
      s = list[i]
      if (!ok[s]) { printf "| %s | — (%s) | — | — | — | — | — | %d failed | — |\n", s, why[s], fails[s]; continue }
      q = "—"
      if ((s ",qps") in lo) { a = commas(lo[s ",qps"]); b = commas(hi[s ",qps"]); q = a == b ? a : a "–" b }
      printf "| %s | %s | %s | %s | %s | %s | %s | %d%s | %s |\n", s, range(lo[s ",t"], hi[s ",t"], "%.2f"),
        range(lo[s ",rss"], hi[s ",rss"], "%.0f"), range(lo[s ",pss"], hi[s ",pss"], "%.0f"),
        range(lo[s ",hwm"], hi[s ",hwm"], "%.0f"), q, (s in bad) ? bad[s] : "correct", ok[s],
        fails[s] ? " (" fails[s] " failed)" : "", range(lo[s ",o0"], hi[s ",o0"], "%.2f") " / " \
        (((s ",o1") in lo) ? range(lo[s ",o1"], hi[s ",o1"], "%.2f") : "—")
    }
  }' "$results"
