#!/usr/bin/env bash
# make bench-scale: how far one 2-core client scales over N simulated helpers.
# N helper machines (network namespaces on a simulated LAN) run real daemons,
# ours and stock distcc 3.4, whose compiler is a replay compiler: it reads the
# job, waits as long as the real compile of that unit took and writes the
# object the real local build made. Helpers thus cost no CPU and what is left
# is the client's work and the network, as with N real machines. The code
# base is binutils (Debian binutils-source), built once for real to record
# each unit's compile; the bench builds its units with a flat make -j.
# Writes bench/out/scale-results.txt, bench/out/scale-table.md and
# docs/scale.png (speedup against N for every mode). Needs root.
# The helper daemons run under SCHED_IDLE (CPU the client leaves idle) and
# their CPU per job is reported apart from the client's.
#
# Time: the first run records the code base (20-30 min on 2 cores, cached).
# Then the default run (every mode, three runs per point under 60 s, the
# slow LAN) takes about 50 min on a quiet 2-core machine; the run for the
# README's table, every mode issue 22 names at every N, about 30 min:
#   SCALE_MODES="stock stock-lzo ours ours-lzo ours-pump ours-zstd" SCALE_LONG=15 make bench-scale
#
#   SCALE_N        helper counts ("1 2 4 8 16 32")
#   SCALE_MODES    modes, names from the table below (all)
#   BENCH_RUNS     runs per point, the median reported (3); a build longer
#                  than SCALE_LONG seconds (60) runs once
#   SCALE_SLOTS    job slots per helper (2): make -j 2*SLOTS*N+1 (SCALE_J: a
#                  fixed -j instead), -l SCALE_LOAD (the client's cores; "" for none)
#   SCALE_RATE, SCALE_DELAY   the LAN: 1gbit, 50us one way per hop (0.2 ms RTT)
#   SCALE_SLOW_RATE, SCALE_SLOW_N   the slower LAN (100mbit) and the N it is
#                  measured at ("16"; "" for none)
#   SCALE_UNITS    only UNITS units, spread over the code base (all): quicker runs
#   SCALE_MAX_UNIT leave out units whose compile took longer (2.5 s; 0: none)
#   SCALE_TIMEOUT  seconds one build may take (1200)
#   SCALE_CACHE    the recorded build (bench/out/scale)
#   SCALE_PLOT     the PNG (docs/scale.png; "" for none)
#   SCALE_HELPER_SCHED  idle: the helper daemons run under SCHED_IDLE, on CPU
#                  the client leaves idle (the default); normal: at the
#                  client's own priority, competing with it for its cores
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/$build/bin"
replay="$top/$build/bench/replay-cc"
[ "$(id -u)" -eq 0 ] || { echo "bench-scale: needs root (it makes network namespaces)" >&2; exit 1; }
if [ ! -x "$bin/distcc" ] || [ ! -x "$replay" ]; then echo "bench-scale: run it as make bench-scale (needs $build/bin and $build/bench/replay-cc)" >&2; exit 1; fi

counts=${SCALE_N:-1 2 4 8 16 32}
runs=${BENCH_RUNS:-3}
long=${SCALE_LONG:-60}
slots=${SCALE_SLOTS:-2}
cores=$(nproc)
load=${SCALE_LOAD-$cores}
rate=${SCALE_RATE:-1gbit}
delay=${SCALE_DELAY:-50us}
slow_rate=${SCALE_SLOW_RATE:-100mbit}
slow_counts=${SCALE_SLOW_N-16}
max_units=${SCALE_UNITS:-0}
build_timeout=${SCALE_TIMEOUT:-1200}
cache=${SCALE_CACHE:-$top/bench/out/scale}
plot=${SCALE_PLOT-$top/docs/scale.png}
helper_sched=${SCALE_HELPER_SCHED:-idle}
case $helper_sched in idle | normal) ;; *) echo "bench-scale: bad SCALE_HELPER_SCHED '$helper_sched' (idle or normal)" >&2; exit 1 ;; esac
out="$top/bench/out"

# The modes: name, label, client, daemon port (3632 ours, 3633 stock), host
# options, the program that wraps the build ("-": none). Adding a mode is
# one line here.
MODES=(
  "stock      stock         /usr/bin/distcc 3633 -        -"
  "stock-lzo  stock_,lzo    /usr/bin/distcc 3633 ,lzo     -"
  "stock-pump stock_pump    /usr/bin/distcc 3633 ,cpp,lzo /usr/bin/distcc-pump"
  "ours       ours          $bin/distcc     3632 -        -"
  "ours-lzo   ours_,lzo     $bin/distcc     3632 ,lzo     -"
  "ours-pump  ours_pump     $bin/distcc     3632 ,cpp,lzo $bin/pump"
  "ours-zstd  ours_,zstd    $bin/distcc     3632 ,zstd    -"
  "ours-pump-zstd ours_pump_,zstd $bin/distcc 3632 ,cpp,zstd $bin/pump"
)
declare -A m_label m_client m_port m_opts m_wrap m_na
all_modes=()
for line in "${MODES[@]}"; do
  read -r name label client port opts wrap <<<"$line"
  all_modes+=("$name")
  m_label[$name]=${label//_/ }
  m_client[$name]=$client
  m_port[$name]=$port
  m_opts[$name]=${opts#-}
  m_wrap[$name]=${wrap#-}
done
read -r -a modes <<<"${SCALE_MODES:-${all_modes[*]}}"
for m in "${modes[@]}"; do
  [ -n "${m_client[$m]:-}" ] || { echo "bench-scale: unknown mode $m (modes: ${all_modes[*]})" >&2; exit 1; }
done
read -r -a ns_list <<<"$counts"
read -r -a slow_list <<<"$slow_counts"
max_n=0
for n in "${ns_list[@]}" "${slow_list[@]}"; do
  if ! [[ $n =~ ^[1-9][0-9]*$ ]] || [ "$n" -gt 250 ]; then echo "bench-scale: bad helper count '$n' (1..250)" >&2; exit 1; fi
  [ "$n" -gt "$max_n" ] && max_n=$n
done
for v in runs slots long max_units build_timeout; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench-scale: bad ${v} '${!v}' (a number)" >&2; exit 1; }
done
if [ "$runs" -lt 1 ] || [ "$slots" -lt 1 ]; then echo "bench-scale: BENCH_RUNS and SCALE_SLOTS are at least 1" >&2; exit 1; fi

# Bench-only packages come from here, not from scripts/deps.sh: make check
# never needs them.
need_pkg() {
  local file=$1 pkg=$2
  [ -e "$file" ] && return 0
  echo "bench-scale: installing Debian package $pkg (for $file; bench only)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null ||
    { echo "bench-scale: could not install $pkg; install it and run again" >&2; exit 1; }
}
need_pkg /usr/bin/distccd distcc
need_pkg /usr/bin/time time
need_pkg /usr/sbin/tc iproute2
need_pkg /usr/src/binutils binutils-source
# binutils' build regenerates a few lexers and parsers.
need_pkg /usr/bin/flex flex
need_pkg /usr/bin/bison bison
need_pkg /usr/bin/m4 m4
[ -z "$plot" ] || need_pkg /usr/bin/gnuplot gnuplot-nox
[[ " ${modes[*]} " != *" stock-pump "* ]] || need_pkg /usr/bin/distcc-pump distcc-pump

mkdir -p "$out" "$cache"
work=$(mktemp -d /tmp/distcc-scale.XXXXXX)
chmod 0755 "$work"
# shellcheck source=SCRIPTDIR/scale-net.bash disable=SC1091
. "$top/bench/scale-net.bash"
# shellcheck source=SCRIPTDIR/bench-util.bash disable=SC1091
. "$top/bench/bench-util.bash"
# shellcheck source=SCRIPTDIR/replay-toolchain.bash disable=SC1091
. "$top/bench/replay-toolchain.bash"
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  wait 2>/dev/null || true
  helper_cg_teardown
  scale_net_teardown
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "bench-scale: $*" >&2; }

# --- The code base: binutils, built once for real with the recording compiler.
record() {
  local tarball
  tarball=$(find /usr/src/binutils -maxdepth 1 -name 'binutils-*.tar.*' | sort | head -1)
  [ -n "$tarball" ] || { log "no binutils tarball in /usr/src/binutils (package binutils-source)"; exit 1; }
  log "recording the code base: one real local build of $(basename "$tarball") (once, cached in ${cache#"$top"/})"
  rm -rf "$cache/src" "$cache/build" "$cache/rec" "$cache/units.tsv" "$cache/recorded"
  mkdir -p "$cache/build" "$cache/rec" "$work/untar"
  tar xf "$tarball" -C "$work/untar"
  mv "$work/untar"/binutils-* "$cache/src"
  basename "$tarball" | sed 's/\.tar\..*//' >"$cache/codebase"
  # C only (no gold, no gprofng), static, no dependency files: each unit is
  # one gcc -c, the build's own CFLAGS (-g -O2).
  (cd "$cache/build" && SCALE_RECORD_DIR="$cache/rec" ../src/configure CC="$top/bench/scale-record-cc" \
    --disable-nls --disable-shared --disable-gold --disable-gprofng --disable-dependency-tracking \
    --disable-werror --without-debuginfod >"$cache/configure.log" 2>&1) ||
    { log "configure failed: see ${cache#"$top"/}/configure.log"; exit 1; }
  # -k: a part that fails (documentation, a missing tool) costs its own
  # units only; the units that built are the code base.
  SCALE_RECORD_DIR="$cache/rec" timeout 7200 make -C "$cache/build" -k -j"$cores" >"$cache/make.log" 2>&1 ||
    log "the recording build had errors (see ${cache#"$top"/}/make.log); its compiled units are used"
  touch "$cache/recorded"
}

# A unit list from the recordings in $1, written to $2: milliseconds, source
# (absolute, normalised), recorded object, directory, the compile's
# arguments (quoted for /bin/sh).
units_of_records() {
  local f a src prev ms dir q
  for f in "$1"/*.argv; do
    if [ ! -f "${f%.argv}.o" ] || [ ! -f "${f%.argv}.time" ]; then continue; fi
    mapfile -d '' -t a <"$f"
    dir=${a[0]} src='' prev=
    for x in "${a[@]:1}"; do
      [[ $x == *.c && $prev != -o ]] && src=$x
      prev=$x
    done
    ms=$(awk '{ printf "%d", ($1 + $2) * 1000 + 0.5 }' "${f%.argv}.time")
    [[ $src == /* ]] || src="$dir/$src"
    # Single quotes, for /bin/sh as make runs recipes.
    q=''
    for x in "${a[@]:1}"; do q+="'${x//\'/\'\\\'\'}' "; done
    printf '%s\t%s\t%s\t%s\t%s\n' "$ms" "$(realpath -ms "$src")" "${f%.argv}.o" "$dir" "$q"
  done | sort -t$'\t' -k2,2 >"$2.tmp"
  mv "$2.tmp" "$2"
}
[ -f "$cache/recorded" ] || record
if [ ! -s "$cache/units.tsv" ]; then
  units_of_records "$cache/rec" "$cache/units.tsv"
  [ "$(wc -l <"$cache/units.tsv")" -ge 100 ] ||
    { rm -f "$cache/units.tsv"; log "the recording build compiled fewer than 100 units: see ${cache#"$top"/}/make.log"; exit 1; }
fi
units="$work/units.tsv"
# A sample spread over the whole code base (every k-th unit), not its first directory.
total_units=$(wc -l <"$cache/units.tsv")
if [ "$max_units" -gt 0 ] && [ "$max_units" -lt "$total_units" ]; then
  awk -v k="$max_units" -v t="$total_units" 'BEGIN { for (i = 0; i < k; i++) pick[int(i * t / k) + 1] = 1 }
    pick[NR]' "$cache/units.tsv" >"$units"
else
  cp "$cache/units.tsv" "$units"
fi
# The few units that alone take longer than SCALE_MAX_UNIT seconds (2.5)
# are left out: one of them would end every build at N >= 8 by itself and
# hide what the client can feed (they are named in the report).
max_unit_ms=$(awk -v s="${SCALE_MAX_UNIT:-2.5}" 'BEGIN { printf "%d", s * 1000 }')
awk -F'\t' -v m="$max_unit_ms" 'm > 0 && $1 > m' "$units" >"$work/left-out.tsv"
awk -F'\t' -v m="$max_unit_ms" '!(m > 0 && $1 > m)' "$units" >"$work/kept.tsv"
mv "$work/kept.tsv" "$units"
njobs=$(wc -l <"$units")
sum_ms=$(awk -F'\t' '{ s += $1 } END { print s }' "$units")
max_ms=$(awk -F'\t' '$1 > m { m = $1 } END { print m + 0 }' "$units")
dups=$(cut -f2 "$units" | sort | uniq -d | wc -l)

# The flat makefile: one phony target per unit, run where the build ran it,
# the longest first (as a scheduler that knows the critical path would), so
# no long unit starts last.
{
  echo "all: $(awk -F'\t' '{ print $1, NR }' "$units" | sort -k1,1nr -k2,2n | awk '{ printf "u%d ", $2 }')"
  echo ".PHONY: all $(seq -f 'u%g' -s ' ' "$njobs")"
  awk -F'\t' '{ gsub(/\$/, "$$", $5); printf "u%d:\n\t@cd \047%s\047 && $(CC) %s\n", NR, $4, $5 }' "$units"
} >"$work/jobs.mk"


# The reference: the same units with the real gcc, make -j<cores>, through
# the recording compiler, so each unit's compile time is measured again on
# the machine as it is now; the helpers replay these times. (The recording
# compiler adds a few milliseconds per unit to the local build.)
log "$njobs units; local build with gcc -j$cores"
mkdir -p "$work/rec-local"
t0=$(now_ns)
SCALE_RECORD_DIR="$work/rec-local" timeout "$build_timeout" make -f "$work/jobs.mk" -j"$cores" \
  CC="$top/bench/scale-record-cc" >"$work/out-local" 2>"$work/err-local" ||
  { log "the local build failed: $(head -3 "$work/err-local")"; exit 1; }
t1=$(now_ns)
local_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
units_of_records "$work/rec-local" "$work/local-units.tsv"
[ "$(wc -l <"$work/local-units.tsv")" = "$njobs" ] ||
  { log "the local build recorded $(wc -l <"$work/local-units.tsv") of $njobs units"; exit 1; }
sum_ms=$(awk -F'\t' '{ s += $1 } END { print s }' "$work/local-units.tsv")
max_ms=$(awk -F'\t' '$1 > m { m = $1 } END { print m + 0 }' "$work/local-units.tsv")
# What it takes on an idle machine: every compile, spread on the cores.
local_idle=$(awk -v s="$sum_ms" -v c="$cores" 'BEGIN { printf "%.1f", s / 1000 / c }')

# The helpers' compiler: the replay compiler with the recordings inside it,
# under every name a client may ask for (bench/replay-toolchain.bash).
replay_toolchain "$replay" "$work/local-units.tsv" "$work/tc" "$work/wl"
ln -s . "$work/wl/bin"

# --- The LAN: the client at 10.78.0.1, helper i at 10.78.1.i.
scale_net_init "dsc$$"
scale_net_add cl 10.78.0.1
for i in $(seq "$max_n"); do scale_net_add "h$i" "10.78.1.$i"; done
cl_ns=$(scale_net_ns cl)

wait_port() {
  local ns=$1 port=$2
  for _ in $(seq 200); do
    [ -n "$(ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null)" ] && return 0
    sleep 0.05
  done
  log "nothing listens on port $port in $ns"
  exit 1
}
# --- The helpers' CPU. On real machines a helper's daemon, its sandbox and
# its compiler use the helper's own cores; here they share the client's. So
# every helper daemon, and everything it starts, runs under SCHED_IDLE: it
# only gets CPU time the client leaves idle. What it uses is counted per
# build in a cgroup per daemon kind (ours, stock) and reported as its own
# column (helper CPU per job), never as the client's.
helper_cg_base='' helper_cg_file=''
helper_cg_init() {
  local d
  for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    if [ "$(stat -fc %T "$d" 2>/dev/null)" = cgroup2fs ]; then helper_cg_base=$d helper_cg_file=cpu.stat; break; fi
  done
  if [ -z "$helper_cg_base" ] && [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
    helper_cg_base=/sys/fs/cgroup/cpuacct helper_cg_file=cpuacct.usage
  fi
  [ -n "$helper_cg_base" ] || return 0
  helper_cg_base+="/distcc-scale-$$"
  if ! mkdir -p "$helper_cg_base/ours" "$helper_cg_base/stock" 2>/dev/null; then
    log "cannot make a cgroup under ${helper_cg_base%/*}: helpers' CPU not counted"
    helper_cg_base=''
  fi
}
# After the daemons were stopped: what is left in the cgroups (a job process
# still ending; all of it started here) is killed by pid, then they go.
helper_cg_teardown() {
  [ -n "$helper_cg_base" ] && [ -d "$helper_cg_base" ] || return 0
  cgroup_remove "$helper_cg_base" ours stock || log "could not remove the cgroup $helper_cg_base"
}
# CPU microseconds the daemons of kind $1 (ours, stock) used so far; "" when not counted.
helper_cg_usage() {
  [ -n "$helper_cg_base" ] || return 0
  if [ "$helper_cg_file" = cpu.stat ]; then
    awk '$1 == "usage_usec" { print $2 }' "$helper_cg_base/$1/cpu.stat"
  else
    awk '{ printf "%d\n", $1 / 1000 }' "$helper_cg_base/$1/cpuacct.usage"
  fi
}
# Becomes "$@", a helper daemon of kind $1: in its cgroup, under SCHED_IDLE
# (SCALE_HELPER_SCHED=normal: as the client runs). It execs, so it is run
# in the background (helper_exec ... &) and $! is the daemon's pid.
helper_exec() {
  local cg='' sched=(chrt --idle 0)
  [ -z "$helper_cg_base" ] || cg="$helper_cg_base/$1/cgroup.procs"
  [ "$helper_sched" = idle ] || sched=()
  shift
  exec sh -c '[ -z "$1" ] || echo $$ >"$1" || exit 1; shift; exec "$@"' sh "$cg" "${sched[@]}" "$@"
}
# Whole-machine CPU (every process, kernel, softirq) from /proc/stat:
# prints "user system softirq idle" jiffies, added over the cores.
machine_cpu() {
  awk '$1 == "cpu" { print $2 + $3, $4, $7 + $8, $5 + $6 }' /proc/stat
}
helper_cg_init

# Both daemons on every helper, bounded by --lifetime: ours (sandboxed, its
# default) on 3632, stock on 3633 as nobody (it refuses to run jobs as root).
lifetime=$((build_timeout * 60))
for i in $(seq "$max_n"); do
  ns=$(scale_net_ns "h$i")
  d="$work/h$i"
  mkdir -p "$d/tmp" "$d/tmp-stock"
  chmod 1777 "$d/tmp" "$d/tmp-stock"
  touch "$d/stock.log" && chown nobody "$d/stock.log"
  helper_exec ours ip netns exec "$ns" env TMPDIR="$d/tmp" DISTCCD_PATH="$work/tc:/usr/bin:/bin" \
    "$bin/distccd" --no-detach --daemon --listen "10.78.1.$i" --port 3632 --jobs "$slots" -N 0 \
    --allow 10.78.0.0/16 --whitelist-dir "$work/wl" --log-file "$d/ours.log" --log-level notice \
    --lifetime "$lifetime" &
  pids+=($!)
  helper_exec stock ip netns exec "$ns" env TMPDIR="$d/tmp-stock" DISTCCD_PATH="$work/tc:/usr/bin:/bin" \
    /usr/bin/distccd --no-detach --daemon --listen "10.78.1.$i" --port 3633 --jobs "$slots" -N 0 \
    --allow 10.78.0.0/16 --user nobody --log-file "$d/stock.log" --log-level warning \
    --lifetime "$lifetime" &
  pids+=($!)
done
for i in $(seq "$max_n"); do
  wait_port "$(scale_net_ns "h$i")" 3632
  wait_port "$(scale_net_ns "h$i")" 3633
done

sandbox_line=$(grep -m1 -o 'sandbox .*' "$work/h1/ours.log" || echo "no sandbox line in the log")

# Stock's pump needs its Python include server; one compile says whether it works.
if [[ " ${modes[*]} " == *" stock-pump "* ]]; then
  mkdir -p "$work/probe/dd"
  printf '#include <stdio.h>\nint main(void) { return puts("x") < 0; }\n' >"$work/probe/p.c"
  (cd "$work/probe" && ip netns exec "$cl_ns" env DISTCC_HOSTS="10.78.1.1:3633/$slots,cpp,lzo" \
    DISTCC_DIR="$work/probe/dd" timeout 60 /usr/bin/distcc-pump /usr/bin/distcc gcc -c p.c -o p.o) \
    >"$work/probe/out" 2>&1 || true
  why=$(grep -m1 -o "Include server internal error: .*" "$work/probe/out" || true)
  [ -n "$why" ] || why=$(grep -m1 -i "include server.*\(fail\|error\|gave up\)" "$work/probe/out" || true)
  [ -z "$why" ] || m_na[stock-pump]="not available: its include server fails on Python $(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])'): ${why:0:160}"
fi

# One build: prints "wall_s cpu_s tx_bytes rx_bytes failed served pumped
# served_ms helper_cpu_s" (failed: 1 when the build failed, or a job was
# compiled or preprocessed locally; served, pumped, served_ms: from our
# daemons' logs; helper_cpu_s: the helper daemons' CPU, "-" when not
# counted). The whole machine's CPU during the build goes to
# $work/machine-TAG: "user system softirq idle" jiffies.
stat_of() { ip netns exec "$cl_ns" cat "/sys/class/net/eth0/statistics/$1"; }
run_build() {
  local mode=$1 n=$2 tag=$3 hosts="" i wrap=() t0 t1 tx0 rx0 tx1 rx1 rc=0 fail=0 kind=stock h0 h1 m0 m1
  [ "${m_port[$mode]}" != 3632 ] || kind=ours
  for i in $(seq "$n"); do hosts+="10.78.1.$i:${m_port[$mode]}/$slots${m_opts[$mode]} "; done
  [ -z "${m_wrap[$mode]}" ] || wrap=("${m_wrap[$mode]}")
  local dd="$work/dd-$tag"
  rm -rf "$dd" && mkdir -p "$dd"
  # Our daemons log one line per job (protocol, milliseconds): emptied here,
  # read after the build. They write with O_APPEND, so emptying is safe.
  for i in $(seq "$n"); do : >"$work/h$i/ours.log"; done
  tx0=$(stat_of tx_bytes) rx0=$(stat_of rx_bytes)
  h0=$(helper_cg_usage "$kind") m0=$(machine_cpu)
  t0=$(now_ns)
  ip netns exec "$cl_ns" env DISTCC_HOSTS="$hosts" DISTCC_DIR="$dd" DISTCC_FALLBACK=0 \
    DISTCC_SKIP_LOCAL_RETRY=1 /usr/bin/time -f '%U %S' -o "$work/time-$tag" \
    timeout "$build_timeout" "${wrap[@]}" make -f "$work/jobs.mk" -j "${SCALE_J:-$((2 * slots * n + 1))}" ${load:+-l "$load"} \
    CC="${m_client[$mode]} gcc" >"$work/out-$tag" 2>"$work/err-$tag" || rc=$?
  t1=$(now_ns)
  h1=$(helper_cg_usage "$kind") m1=$(machine_cpu)
  tx1=$(stat_of tx_bytes) rx1=$(stat_of rx_bytes)
  echo "$m0 $m1" | awk '{ print $5 - $1, $6 - $2, $7 - $3, $8 - $4 }' >"$work/machine-$tag"
  if [ "$rc" != 0 ] || grep -q -i "locally\|failed to distribute" "$work/err-$tag"; then
    fail=1
    { echo "$tag: exit $rc:"; grep -v '^make' "$work/err-$tag" | head -3 | sed 's/^/  /'; } >>"$work/failures.txt"
  fi
  # Jobs our daemons served, how many in pump mode, their milliseconds.
  local served
  # (The client's capability questions are logged as jobs too: not counted.)
  served=$(for i in $(seq "$n"); do cat "$work/h$i/ours.log"; done | { grep -v ': capabilities asked, ' || true; } |
    sed -n 's/.*: job from .*, \([0-9]*\) ms, [0-9]* bytes in.*/\1 &/p' |
    awk '{ n++; ms += $1; if (/, pump, /) p++ } END { printf "%d %d %d", n, p, ms }')
  echo "$(( (t1 - t0) / 1000000 )) $(tail -1 "$work/time-$tag" | awk '{ print ($1 + $2) * 1000 }') $((tx1 - tx0)) $((rx1 - rx0)) $fail $served ${h0:+$((h1 - h0))}" |
    awk '{ printf "%.3f %.3f %d %d %d %d %d %d %s\n", $1 / 1000, $2 / 1000, $3, $4, $5, $6, $7, $8, (NF > 8 ? sprintf("%.3f", $9 / 1e6) : "-") }'
}



# A point: up to $runs builds (one when a build is long), medians.
point() {
  local lan=$1 mode=$2 n=$3 r
  for r in $(seq "$runs"); do
    run_build "$mode" "$n" "$lan-$mode-$n-$r" >>"$work/raw-$lan-$mode-$n"
    awk -v l="$long" '{ exit !($1 > l) }' <(tail -1 "$work/raw-$lan-$mode-$n") && break
  done
  # Medians of the builds that went through; a failed one is only counted.
  local f="$work/raw-$lan-$mode-$n" g="$work/good-$lan-$mode-$n" bad
  awk '$5 == 0' "$f" >"$g"
  bad=$(awk '$5 != 0' "$f" | wc -l)
  if [ -s "$g" ]; then
    # The helpers' CPU ("-": not counted) and the whole machine's CPU split
    # over the point's builds.
    local helper=- machine
    awk '$9 == "-" { f = 1 } END { exit f }' "$g" && helper=$(cut -d' ' -f9 "$g" | median)
    machine=$(cat "$work/machine-$lan-$mode-$n-"* | awk '{ for (i = 1; i <= 4; i++) s[i] += $i }
      END { t = s[1] + s[2] + s[3] + s[4]; if (t > 0) printf "%.0f %.0f %.0f %.0f", 100 * s[1] / t, 100 * s[2] / t, 100 * s[3] / t, 100 * s[4] / t; else printf "- - - -" }')
    echo "$lan $mode $n $(cut -d' ' -f1 "$g" | median) $(cut -d' ' -f2 "$g" | median) $(cut -d' ' -f3 "$g" | median)" \
      "$(cut -d' ' -f4 "$g" | median) $bad $(wc -l <"$g") $(tail -1 "$g" | cut -d' ' -f6-8) $helper $machine" >>"$work/points"
    read -r -a machine_pc <<<"$machine"
    log "$lan $mode N=$n: $(tail -1 "$work/points" | cut -d' ' -f4) s; the whole machine meanwhile: ${machine_pc[0]}% user, ${machine_pc[1]}% system, ${machine_pc[2]}% irq+softirq, ${machine_pc[3]}% idle"
  else
    echo "$lan $mode $n failed" >>"$work/points"
    log "$lan $mode N=$n: failed"
  fi
}
: >"$work/points"
# The modes take turns at each N, so a change in the machine's load hits
# them alike.
scale_net_shape "$rate" "$delay"
for n in "${ns_list[@]}"; do
  for mode in "${modes[@]}"; do [ -n "${m_na[$mode]:-}" ] || point "$rate" "$mode" "$n"; done
done
if [ "${#slow_list[@]}" -gt 0 ]; then
  scale_net_shape "$slow_rate" "$delay"
  for n in "${slow_list[@]}"; do
    for mode in "${modes[@]}"; do [ -n "${m_na[$mode]:-}" ] || point "$slow_rate" "$mode" "$n"; done
  done
fi

# --- The report. Per point: speedup over the local build, the client's CPU
# and the wire per job, and how busy each candidate bottleneck was: the
# client's cores, the client's link (the busier direction), the helpers' slots.
{
echo "bench-scale $(date -u +%Y-%m-%d): $njobs units (of $total_units) of $(cat "$cache/codebase" 2>/dev/null || echo binutils), gcc $(gcc -dumpfullversion) -g -O2"
echo "client: $cores cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')); helpers simulated: network namespaces"
echo "  running real daemons (ours sandboxed, stock 3.4) whose compiler REPLAYS the recorded objects after"
echo "  waiting the unit's recorded compile time: this measures speed, not correctness"
if [ "$helper_sched" = idle ]; then
  echo "  the helper daemons and all they start run under SCHED_IDLE: they only get CPU the client leaves idle$(
    [ -n "$helper_cg_base" ] || echo " (their CPU not counted: no cgroup)")"
else
  echo "  SCALE_HELPER_SCHED=normal: the helper daemons compete with the client for its cores (not as on a LAN)"
fi
echo "LAN: $rate$( [ "${#slow_list[@]}" -gt 0 ] && echo " (and $slow_rate at N = ${slow_list[*]})"), tbf per link end; delay: $(
  if [ -n "$SCALE_NET_NETEM" ]; then echo "$delay per hop (0.2 ms RTT at 50us)"; else echo "none, $SCALE_NET_NETEM_WHY (veth RTT ~0.03 ms)"; fi)"
echo "our daemons: $sandbox_line"
echo "$slots slots per helper, make -j (2 x $slots x N + 1)${load:+ -l $load}; median of up to $runs runs (one when a build takes > ${long} s)"
echo "local build (gcc, make -j$cores): $local_s s$(awk -v l="$local_s" -v i="$local_idle" 'BEGIN {
  if (l > 1.15 * i) printf " (the machine was busy: %.1f s would be the recorded compiles on idle cores)", i }'); sum of unit compiles $(awk -v s="$sum_ms" 'BEGIN { printf "%.1f", s / 1000 }') s, longest $(awk -v s="$max_ms" 'BEGIN { printf "%.2f", s / 1000 }') s"
[ ! -s "$work/left-out.tsv" ] || echo "left out, longer than ${SCALE_MAX_UNIT:-2.5} s each: $(sort -t$'\t' -k1,1nr "$work/left-out.tsv" |
  awk -F'\t' -v top="$cache/src/" '{ sub(top, "", $2); printf "%s%s %.1f s", (NR > 1 ? ", " : ""), $2, $1 / 1000 }')"
[ "$dups" = 0 ] || echo "($dups source paths are compiled twice with other flags: replay gives both the first recording)"
for m in "${all_modes[@]}"; do [ -z "${m_na[$m]:-}" ] || echo "${m_label[$m]}: ${m_na[$m]}"; done
echo
printf '%-8s %-11s %3s %8s %7s %7s %8s %9s %9s %9s %5s %6s %5s %5s  %s\n' LAN mode N build_s speedup ideal cpu_ceil \
  cpu_ms/job helper_ms KB_out/in "cpu%" "+help%" "link%" "slot%" "bound by"
while read -r lan mode n wall cpu tx rx fails _ served pumped served_ms helper _; do
  if [ "$wall" = failed ]; then
    printf '%-8s %-11s %3d   every build failed\n' "$lan" "${m_label[$mode]}" "$n"
    continue
  fi
  awk -v lan="$lan" -v mode="${m_label[$mode]}" -v n="$n" -v wall="$wall" -v cpu="$cpu" -v tx="$tx" -v rx="$rx" \
    -v fails="$fails" -v jobs="$njobs" -v local_s="$local_s" -v cores="$cores" -v slots="$slots" \
    -v sum="$sum_ms" -v max="$max_ms" -v bits="$(tc_rate_bits "$lan")" -v served="${served:-0}" \
    -v pumped="${pumped:-0}" -v served_ms="${served_ms:-0}" -v pump_mode="${m_wrap[$mode]}" -v helper="${helper:--}" 'BEGIN {
    ideal_wall = sum / 1000 / (n * slots); if (max / 1000 > ideal_wall) ideal_wall = max / 1000
    c = 100 * cpu / (wall * cores); l = 100 * (tx > rx ? tx : rx) * 8 / (wall * bits)
    s = 100 * sum / 1000 / (wall * n * slots)
    # The helpers share the client cores here (not on a LAN): with their
    # CPU the cores may be full while the client alone is not.
    ch = helper == "-" ? c : 100 * (cpu + helper) / (wall * cores)
    b = "client cpu"; v = c
    if (l > v) { b = "link"; v = l }
    if (s > v) { b = "slots"; v = s }
    if (v < 70 && ch >= 70) { b = "client + helpers cpu (the simulation: helpers share the client cores)"; v = ch }
    if (v < 70) b = "waiting (none of them busy)"
    if (fails > 0) b = b " [" fails " failed, not counted]"
    if (served == jobs) b = b sprintf("; helper +%.0f ms/job", (served_ms - sum) / jobs)
    if (served == jobs && pump_mode != "") b = b sprintf("; %d%% in pump mode", 100 * pumped / jobs)
    h = helper == "-" ? "-" : sprintf("%.1f", 1000 * helper / jobs)
    printf "%-8s %-11s %3d %8.1f %7.2f %7.2f %8.1f %9.1f %9s %4.0f/%-4.0f %5.0f %6.0f %5.0f %5.0f  %s\n", lan, mode, n, wall,
      local_s / wall, local_s / ideal_wall, local_s * cores / cpu, 1000 * cpu / jobs, h, tx / jobs / 1024, rx / jobs / 1024,
      c, ch, l, s, b }'
done < <(for lan in "$rate" "$slow_rate"; do
  for m in "${modes[@]}"; do awk -v lan="$lan" -v m="$m" '$1 == lan && $2 == m' "$work/points" | sort -k3n; done
done)
echo
echo "speedup = local build / build; ideal = local build / max(compiles / slots, longest unit);"
echo "cpu_ceil = local build / (client CPU / $cores cores): the speedup if the client's CPU were the only limit;"
echo "helper_ms = the helper daemons' CPU per job, all they start included (counted in a cgroup, never in"
echo "  cpu_ms/job; $( [ "$helper_sched" = idle ] && echo "under SCHED_IDLE, on CPU the client left idle" ||
  echo "SCALE_HELPER_SCHED=normal: on the client's cores, competing with it")); on real helpers, their own cores'"
echo "helper +ms/job: our daemons' time per job over the replayed compile (receiving, sandbox, replying);"
echo "in pump mode: the jobs our daemons got as pump jobs (the rest the client sent preprocessed);"
echo "cpu% = client CPU / (build x $cores cores), +help% = the same with the helpers' CPU added (they share the"
echo "client's cores only in this simulation), link% = busier direction / $rate (or $slow_rate), slot% = compiles / (build x slots)"
echo "the whole machine's CPU during each point's builds (/proc/stat: every process on it, client, helpers,"
echo "kernel; on a shared machine others' too), user / system / irq+softirq / idle %:"
awk '$4 != "failed" && NF >= 17 { printf "  %s %s N=%s: %s / %s / %s / %s\n", $1, $2, $3, $14, $15, $16, $17 }' "$work/points"
if [ -s "$work/failures.txt" ]; then
  echo "failures:"
  sed 's/^/  /' "$work/failures.txt"
fi
} | tee "$out/scale-results.txt"

# The README's table: the main LAN, one column per mode.
{
  printf '| N |'
  for m in "${modes[@]}"; do [ -n "${m_na[$m]:-}" ] || printf ' %s |' "${m_label[$m]}"; done
  printf '\n|---|'
  for m in "${modes[@]}"; do [ -n "${m_na[$m]:-}" ] || printf -- '---|'; done
  printf '\n'
  for n in "${ns_list[@]}"; do
    printf '| %s |' "$n"
    for m in "${modes[@]}"; do
      [ -z "${m_na[$m]:-}" ] || continue
      awk -v lan="$rate" -v m="$m" -v n="$n" -v local_s="$local_s" -v jobs="$njobs" -v cores="$cores" '
        $1 == lan && $2 == m && $3 == n && $4 != "failed" { printf " %.1fx, %.0f ms, %.0f%% cpu |", local_s / $4, 1000 * $5 / jobs, 100 * $5 / ($4 * cores) }' "$work/points"
    done
    printf '\n'
  done
} >"$out/scale-table.md"

# The plot: speedup against N per mode on the main LAN, the ideal (slots
# only) as a dashed line, the slow LAN's points as open marks.
if [ -n "$plot" ]; then
  {
    echo "set terminal pngcairo size 900,560 font 'sans,11'"
    echo "set output '$work/scale.png'"
    echo "set title 'distcc on $cores client cores, N simulated helpers ($slots slots each, $rate LAN): $njobs binutils units'"
    echo "set xlabel 'helpers (N)'; set ylabel 'speedup over local gcc -j$cores'"
    xt="${ns_list[*]}"
    echo "set logscale x 2; set xtics (${xt// /, }); set grid"
    echo "set key top left"
    # The ideal runs far above once N is large: the scale follows the measured curves.
    echo "set yrange [0:$(awk -v l="$local_s" '$4 != "failed" && l / $4 > m { m = l / $4 } END { m *= 1.6; print (m < 4 ? 4 : m) }' "$work/points")]"
    printf "plot '-' with lines dt 2 lw 1 lc rgb 'gray40' title 'ideal (slots only)'"
    lt=0
    for m in "${modes[@]}"; do
      lt=$((lt + 1))
      [ -z "${m_na[$m]:-}" ] || continue
      printf ", '-' with linespoints lt %d lw 2 pt 7 title '%s'" "$lt" "${m_label[$m]}"
    done
    lt=0
    for m in "${modes[@]}"; do
      lt=$((lt + 1))
      [ -z "${m_na[$m]:-}" ] || continue
      if awk -v lan="$slow_rate" -v m="$m" '$1 == lan && $2 == m { f = 1 } END { exit !f }' "$work/points"; then
        printf ", '-' with points lt %d pt 6 ps 1.8 lw 2 title '%s, %s'" "$lt" "${m_label[$m]}" "$slow_rate"
      fi
    done
    echo
    for n in "${ns_list[@]}"; do
      awk -v n="$n" -v local_s="$local_s" -v sum="$sum_ms" -v max="$max_ms" -v slots="$slots" 'BEGIN {
        w = sum / 1000 / (n * slots); if (max / 1000 > w) w = max / 1000; print n, local_s / w }'
    done
    echo e
    for m in "${modes[@]}"; do
      [ -z "${m_na[$m]:-}" ] || continue
      awk -v lan="$rate" -v m="$m" -v local_s="$local_s" '$1 == lan && $2 == m && $4 != "failed" { print $3, local_s / $4 }' "$work/points"
      echo e
    done
    for m in "${modes[@]}"; do
      [ -z "${m_na[$m]:-}" ] || continue
      if awk -v lan="$slow_rate" -v m="$m" '$1 == lan && $2 == m { f = 1 } END { exit !f }' "$work/points"; then
        awk -v lan="$slow_rate" -v m="$m" -v local_s="$local_s" '$1 == lan && $2 == m && $4 != "failed" { print $3, local_s / $4 }' "$work/points"
        echo e
      fi
    done
  } >"$work/plot.gp"
  gnuplot "$work/plot.gp" && mkdir -p "$(dirname "$plot")" && cp "$work/scale.png" "$plot" && log "plot: ${plot#"$top"/}"
fi
cp "$work/points" "$out/scale-points.txt"
