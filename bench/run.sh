#!/usr/bin/env bash
# make bench: plain gcc, stock distcc 3.4 and ours on the same work over
# loopback, in one run. Prints medians and ratios; writes bench/out/results.txt.
#   (a) N sequential compiles of a tiny file (per-job overhead, client CPU)
#   (b) make -j8 of this project's engine/lib, plain and ,lzo
#   both also for ours in pump mode ("pump": ,cpp,lzo under pump; stock's own
#   pump needs its Python include server, which fails on Debian's Python 3.11)
#   (c) instructions per job under callgrind (when valgrind is there)
#   (d) the job sandbox: (a)'s compiles against ours with --sandbox=auto
#       and --sandbox=off, per-job wall and the daemon's CPU (with its jobs);
#       then bench/sandbox-cost: fork, confine, exec /bin/true, on and off
#   (e) the pump header cache: bytes on the wire per pump job on binutils'
#       bfd, without a cache, cold and warm (bench/hcache.sh)
#   (f) ,zstd against ,lzo on real code: BENCH_UNITS (40) units of binutils,
#       spread over the code base that make bench-scale records (its
#       units.tsv, in SCALE_CACHE: bench/out/scale), compiled one after the
#       other against ours, the modes taking turns: ,lzo; ,zstd with gcc -E
#       (the default); ,zstd with directives-only cpp
#       (DISTCC_DIRECTIVES_ONLY=1); pump mode with ,cpp,lzo and ,cpp,zstd. Wire bytes per job
#       (both ways, from the daemon's log), client CPU (distcc and its cpp)
#       and helper CPU (the daemon with its compiles)
#   (g) pump mode's coverage and scan CPU per unit on real code bases
#       (bench/pump-codebases.sh: binutils, linux kernel/, libstdc++,
#       googletest, from their Debian source packages; the first run builds
#       the records and takes a while)
#   (h) client CPU per plain job on real code: BENCH_UNITS units of (f)'s
#       code base, stock's client and ours taking turns, plain and ,lzo,
#       against our daemon whose compiler answers at once (bench/replay-cc
#       with no wait); per job the client with its cpp and the distcc
#       process alone, and the ratio ours/stock; BENCH_BEFORE=PATH adds
#       another client (an older build of ours) taking the same turns
# BENCH_RUNS (5), BENCH_JOBS (300) and BENCH_SECTIONS ("abcdefgh") narrow it down;
# BENCH_DISTCCD_ARGS adds options to our daemon (e.g. --no-early-start).
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/$build/bin"
runs=${BENCH_RUNS:-5}
jobs_a=${BENCH_JOBS:-300}
sections=${BENCH_SECTIONS:-abcdefgh}
units_e=${BENCH_UNITS:-40}
units_tsv=${SCALE_CACHE:-$top/bench/out/scale}/units.tsv
out="$top/bench/out"
mkdir -p "$out"
work=$(mktemp -d /tmp/distcc-bench.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v /usr/bin/distcc >/dev/null || { echo "bench: stock distcc (Debian package distcc) is needed" >&2; exit 1; }
free_port() { "$top/scripts/free-port.sh"; }
wait_port() { for _ in $(seq 100); do [ -n "$(ss -Hltn "sport = :$1")" ] && return 0; sleep 0.05; done; return 1; }
# shellcheck source=SCRIPTDIR/bench-util.bash disable=SC1091
. "$top/bench/bench-util.bash"

mkdir -p "$work/wl" "$work/tmp" "$work/tmp2" "$work/tmp3"
chmod 1777 "$work/tmp" "$work/tmp2" "$work/tmp3"
machine=$(gcc -dumpmachine)
for n in gcc cc "$machine-gcc"; do ln -s /usr/bin/distcc "$work/wl/$n"; done

# Both daemons run the same number of jobs and the same niceness.
our_port=$(free_port)
TMPDIR="$work/tmp" "$bin/distccd" --no-detach --daemon --port "$our_port" --jobs 8 -N 0 \
  --log-file "$work/ours.log" --log-level warning --whitelist-dir "$work/wl" --lifetime 3600 \
  ${BENCH_DISTCCD_ARGS:-} &
pids+=($!)
our_pid=$!
# The same daemon without the sandbox, for (d).
off_port=$(free_port)
TMPDIR="$work/tmp3" "$bin/distccd" --no-detach --daemon --port "$off_port" --jobs 8 -N 0 \
  --log-file "$work/ours-off.log" --log-level warning --whitelist-dir "$work/wl" --lifetime 3600 \
  --sandbox=off ${BENCH_DISTCCD_ARGS:-} &
pids+=($!)
off_pid=$!
# For (f): its log names each job's bytes in and out.
e_port=$(free_port)
mkdir -p "$work/tmp4" && chmod 1777 "$work/tmp4"
TMPDIR="$work/tmp4" "$bin/distccd" --no-detach --daemon --port "$e_port" --jobs 8 -N 0 \
  --log-file "$work/ours-e.log" --log-level notice --whitelist-dir "$work/wl" --lifetime 3600 \
  ${BENCH_DISTCCD_ARGS:-} &
pids+=($!)
e_pid=$!
stock_port=$(free_port)
stock_user=()
if [ "$(id -u)" -eq 0 ]; then
  stock_user=(--user nobody)
  # Stock opens its log after dropping root (Gentoo bug 477630).
  touch "$work/stock.log" && chown nobody "$work/stock.log"
fi
TMPDIR="$work/tmp2" /usr/bin/distccd --no-detach --daemon --port "$stock_port" --jobs 8 -N 0 \
  --allow 127.0.0.1 --log-file "$work/stock.log" --log-level warning "${stock_user[@]}" &
pids+=($!)
wait_port "$our_port"
wait_port "$off_port"
wait_port "$stock_port"
wait_port "$e_port"

# The code base for (b) is a copy, so no client can leave files in the tree.
mkdir -p "$work/src"
cp -r "$top/engine" "$top/Makefile" "$top/scripts" "$top/VERSION" "$work/src/"
cd "$work"
printf 'static int sq(int x) { return x * x; }\nint tiny(int v) { return sq(v) + 1; }\n' >tiny.c

# name, command prefix, host list
declare -A prefix hosts
prefix[gcc]=""
prefix[stock]="/usr/bin/distcc"
prefix[ours]="$bin/distcc"
prefix[pump]="$bin/distcc"
prefix[sandbox]="$bin/distcc"
prefix[nosandbox]="$bin/distcc"
hosts[gcc]=""
hosts[sandbox]="127.0.0.1:$our_port/8"
hosts[nosandbox]="127.0.0.1:$off_port/8"
hosts[stock]="127.0.0.1:$stock_port/8"
hosts[ours]="127.0.0.1:$our_port/8"
hosts[pump]="127.0.0.1:$our_port/8,cpp,lzo"
# Pump mode as `pump` sets it up, for the whole bench.
eval "$("$bin/pump" --startup)"
pump_dir=$INCLUDE_SERVER_DIR
unset INCLUDE_SERVER_DIR INCLUDE_SERVER_PORT

# (a) one run: N sequential compiles; prints "wall_ms cpu_ms" (cpu of the
# client side: distcc plus the cpp it runs, via the children's rusage).
run_tiny() {
  local who=$1 n=$2
  mkdir -p "dd-$who"
  python3 - "$who" "$n" "${prefix[$who]}" "${hosts[$who]}" "$work/dd-$who" "$pump_dir" <<'PY'
import os, resource, subprocess, sys, time
who, n, prefix, hosts, ddir, pump_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
env = dict(os.environ, DISTCC_HOSTS=hosts, DISTCC_DIR=ddir, DISTCC_FALLBACK="0", DISTCC_SKIP_LOCAL_RETRY="1")
if who == "pump":
    env.update(INCLUDE_SERVER_DIR=pump_dir, INCLUDE_SERVER_PORT=pump_dir + "/socket")
cmd = (prefix.split() if prefix else []) + ["gcc", "-O2", "-c", "tiny.c", "-o", "tiny-%s.o" % who]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
for _ in range(n):
    subprocess.run(cmd, env=env, check=True)
wall = (time.monotonic() - t0) * 1000
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000
print("%.1f %.1f" % (wall / n, cpu / n))
PY
}

# (b) one run: make -j8 of engine/lib into a fresh tree; prints wall ms.
run_make() {
  local who=$1 lzo=$2 h=${hosts[$1]} wrap=()
  [ -n "$h" ] && [ "$lzo" = 1 ] && [ "$who" != pump ] && h="$h,lzo"
  [ "$who" = pump ] && wrap=("$bin/pump")
  rm -rf "$work/obj-$who"
  local t0 t1
  t0=$(now_ns)
  # A failed build (a client or daemon error) is counted, not timed.
  if ! DISTCC_HOSTS="$h" DISTCC_DIR="$work/dd-$who" DISTCC_FALLBACK=0 \
    "${wrap[@]}" make -C "$work/src" --no-print-directory -s -j8 BUILD="$work/obj-$who" \
    CC="${prefix[$who]:+${prefix[$who]} }gcc" "$work/obj-$who/libdcc.a" >/dev/null 2>"$work/make-$who.err"; then
    echo "$who $lzo: build failed: $(grep -m1 -i error "$work/make-$who.err")" >>"$work/failures.txt"
    return 0
  fi
  t1=$(now_ns)
  echo $(((t1 - t0) / 1000000))
}

{
echo "distcc bench, $(date -u +%Y-%m-%d), $(nproc) cores, gcc $(gcc -dumpfullversion), $runs runs each"
if [[ $sections == *a* ]]; then
echo
echo "(a) $jobs_a sequential compiles of a tiny file: median per job"
for who in gcc stock ours pump; do
  for _ in $(seq "$runs"); do run_tiny "$who" "$jobs_a"; done >"a-$who.txt"
  wall=$(cut -d' ' -f1 "a-$who.txt" | median)
  cpu=$(cut -d' ' -f2 "a-$who.txt" | median)
  printf '  %-6s %7.2f ms wall  %7.2f ms client cpu\n' "$who" "$wall" "$cpu"
  eval "wall_$who=$wall cpu_$who=$cpu"
done
# shellcheck disable=SC2154
awk -v g="$wall_gcc" -v s="$wall_stock" -v o="$wall_ours" -v p="$wall_pump" -v cs="$cpu_stock" -v co="$cpu_ours" \
  -v cp="$cpu_pump" 'BEGIN {
  printf "  overhead over plain gcc: stock %.2f ms, ours %.2f ms, ours in pump mode %.2f ms\n", s-g, o-g, p-g
  printf "  overhead ours/stock = %.2f, pump/stock = %.2f (target <= 0.50)\n", (o-g)/(s-g), (p-g)/(s-g)
  printf "  client cpu per job: ours/stock = %.2f, pump/stock = %.2f (target < 1.00)\n", co/cs, cp/cs }'
fi
if [[ $sections == *b* ]]; then
echo
echo "(b) make -j8 of engine/lib ($(find "$top"/engine/lib -name "*.c" | wc -l) files): median wall"
for lzo in 0 1; do
  for who in gcc stock ours pump; do
    [ "$who" = gcc ] && [ "$lzo" = 1 ] && continue
    [ "$who" = pump ] && [ "$lzo" = 0 ] && continue
    for _ in $(seq "$runs"); do run_make "$who" "$lzo"; done | median >"b-$who-$lzo.txt"
    printf '  %-6s %s %6d ms\n' "$who" "$([ "$lzo" = 1 ] && echo ",lzo " || echo "plain")" "$(cat "b-$who-$lzo.txt")"
  done
  awk -v s="$(cat "b-stock-$lzo.txt")" -v o="$(cat "b-ours-$lzo.txt")" 'BEGIN { printf "  ours/stock = %.2f\n", o/s }'
  if [ "$lzo" = 1 ]; then
    awk -v s="$(cat "b-stock-1.txt")" -v p="$(cat "b-pump-1.txt")" 'BEGIN { printf "  pump (,cpp,lzo)/stock ,lzo = %.2f\n", p/s }'
  fi
done
if [ -s "$work/failures.txt" ]; then
  echo "  failed builds (not timed):"
  sed 's/^/    /' "$work/failures.txt"
fi
fi
if [[ $sections == *c* ]] && command -v valgrind >/dev/null; then
  echo
  echo "(c) instructions per job (callgrind; the distcc process only, not cpp or the compiler)"
  # The daemons serve one job each through --inetd, started by a stand-in for
  # ssh, so callgrind sees the daemon's own work on exactly one job.
  for who in stock ours; do
    client="${prefix[$who]}"
    daemon=/usr/bin/distccd
    [ "$who" = ours ] && daemon="$bin/distccd --whitelist-dir $work/wl --log-file $work/inetd-$who.log"
    [ "$who" = stock ] && daemon="$daemon --log-file $work/inetd-stock.log"
    [ "$who" = stock ] && [ "$(id -u)" -eq 0 ] && touch "$work/inetd-stock.log" && chown nobody "$work/inetd-stock.log"
    # The daemon drops root before valgrind writes its output: the file
    # must already exist and be writable by the job user.
    cgout="$work/tmp/cg-daemon-$who.out"
    : >"$cgout"
    chmod 666 "$cgout"
    cat >"$work/ssh-$who" <<SH
#!/bin/sh
while [ "\$1" != distccd ]; do shift; done
shift
exec valgrind --tool=callgrind --callgrind-out-file=$cgout $daemon "\$@" 2>$work/vg-daemon-$who.err
SH
    chmod 755 "$work/ssh-$who"
    mkdir -p "$work/dd-cg-$who"
    DISTCC_DIR="$work/dd-cg-$who" DISTCC_HOSTS="${hosts[$who]}" DISTCC_FALLBACK=0 \
      valgrind --tool=callgrind --callgrind-out-file="$work/cg-client-$who.out" \
      $client gcc -O2 -c tiny.c -o "cg-$who.o" 2>"$work/vg-client-$who.err"
    DISTCC_DIR="$work/dd-cg-$who" DISTCC_HOSTS="@localhost" DISTCC_SSH="$work/ssh-$who" DISTCC_FALLBACK=0 \
      $client gcc -O2 -c tiny.c -o "cg2-$who.o"
    ci=$(sed -n 's/.*Collected : //p' "$work/vg-client-$who.err")
    di=$(sed -n 's/.*Collected : //p' "$work/vg-daemon-$who.err")
    printf '  %-6s client %9d   daemon %9d\n' "$who" "$ci" "$di"
    eval "ci_$who=$ci di_$who=$di"
  done
  # shellcheck disable=SC2154
  awk -v cs="$ci_stock" -v co="$ci_ours" -v ds="$di_stock" -v do_="$di_ours" 'BEGIN {
    printf "  ours/stock: client %.2f, daemon %.2f\n", co/cs, do_/ds }'
fi
if [[ $sections == *d* ]]; then
echo
echo "(d) the job sandbox: $jobs_a sequential compiles of a tiny file against ours, median per job"
# The daemon's CPU with its reaped children (job processes, the sandbox's
# relays where there are, the compilers): utime+stime+cutime+cstime in ms.
daemon_cpu_ms() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) * 1000 / hz }' "/proc/$1/stat"
}
# On and off take turns, so a change in the machine's load hits both.
rm -f d-sandbox.txt d-nosandbox.txt
for _ in $(seq "$runs"); do
  for who in sandbox nosandbox; do
    pid=$our_pid
    [ "$who" = nosandbox ] && pid=$off_pid
    c0=$(daemon_cpu_ms "$pid")
    r=$(run_tiny "$who" "$jobs_a")
    c1=$(daemon_cpu_ms "$pid")
    echo "$r $(awk -v a="$c0" -v b="$c1" -v n="$jobs_a" 'BEGIN { printf "%.3f", (b - a) / n }')" >>"d-$who.txt"
  done
done
for who in sandbox nosandbox; do
  wall=$(cut -d' ' -f1 "d-$who.txt" | median)
  dcpu=$(cut -d' ' -f3 "d-$who.txt" | median)
  printf '  %-9s %7.2f ms wall  %7.2f ms daemon cpu (with the compiler)\n' \
    "$([ "$who" = sandbox ] && echo "on (auto)" || echo off)" "$wall" "$dcpu"
  eval "dwall_$who=$wall dcpu_$who=$dcpu"
done
# shellcheck disable=SC2154
awk -v w1="$dwall_sandbox" -v w0="$dwall_nosandbox" -v c1="$dcpu_sandbox" -v c0="$dcpu_nosandbox" 'BEGIN {
  printf "  added by the sandbox per job: %.2f ms wall, %.2f ms daemon cpu (target <= 2 ms)\n", w1-w0, c1-c0 }'
grep -h "sandbox auto" "$work/ours.log" | sed 's/^.*notice: /  /' || true
# The sandbox alone, without a compile's noise around it.
mkdir -p "$work/sbx" && chmod 0755 "$work/sbx"
"$top/$build/bench/sandbox-cost" "$work/sbx" 300 "$runs" || echo "  (sandbox-cost failed)"
fi
if [[ $sections == *e* ]]; then
echo
echo "(e) the pump header cache: bytes on the wire per pump job"
"$top/bench/hcache.sh" "$build" || echo "  (bench/hcache.sh failed)"
fi
if [[ $sections == *f* ]]; then
echo
if [ ! -s "$units_tsv" ]; then
  echo "(f) ,zstd against ,lzo: skipped, no recorded code base (${units_tsv#"$top"/}: make bench-scale records it)"
else
total=$(wc -l <"$units_tsv")
[ "$units_e" -lt "$total" ] || units_e=$total
echo "(f) ,zstd against ,lzo: $units_e units of $(cat "$(dirname "$units_tsv")/codebase" 2>/dev/null || echo binutils) (of $total) compiled one after the other, median per job"
awk -v k="$units_e" -v t="$total" 'BEGIN { for (i = 0; i < k; i++) pick[int(i * t / k) + 1] = 1 } pick[NR]' \
  "$units_tsv" >"$work/e-units.tsv"
# One run of one mode: "client_cpu_ms helper_cpu_ms bytes_in bytes_out" per job.
run_units() {
  local mode=$1 opts=$2 wrapper=$3 directives=$4 first
  mkdir -p "$work/dd-e" "$work/e-out"
  first=$(($(wc -l <"$work/ours-e.log") + 1))
  PYTHONPATH="$top/bench" python3 - "$work/e-units.tsv" "$bin/distcc" "127.0.0.1:$e_port/8$opts" "$work/dd-e" "$wrapper" "$pump_dir" \
    "$work/e-out/$mode.o" "$e_pid" "$directives" <<'PY'
import os, resource, subprocess, sys
from units import read_units
units, distcc, hosts, ddir, wrap, pump_dir, obj, dpid, directives = sys.argv[1:10]
env = dict(os.environ, DISTCC_HOSTS=hosts, DISTCC_DIR=ddir, DISTCC_FALLBACK="0", DISTCC_SKIP_LOCAL_RETRY="1",
           DISTCC_DIRECTIVES_ONLY=directives)
if wrap:
    env.update(INCLUDE_SERVER_DIR=pump_dir, INCLUDE_SERVER_PORT=pump_dir + "/socket")
def daemon_ms():
    f = open("/proc/%s/stat" % dpid).read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) * 1000 / os.sysconf("SC_CLK_TCK")
n = 0
before, d0 = resource.getrusage(resource.RUSAGE_CHILDREN), daemon_ms()
for cwd, args in read_units(units):
    subprocess.run([distcc, "gcc"] + args + ["-o", obj], cwd=cwd, env=env, check=True,
                   stderr=subprocess.DEVNULL)
    n += 1
after, d1 = resource.getrusage(resource.RUSAGE_CHILDREN), daemon_ms()
cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
print("%.2f %.2f" % (cpu / n, (d1 - d0) / n))
PY
  tail -n +"$first" "$work/ours-e.log" | sed -nE 's/.*: compiled, exit 0, .* ([0-9]+) bytes in, ([0-9]+) bytes out$/\1 \2/p' |
    awk '{ i += $1; o += $2; n++ } END { if (n) printf " %.0f %.0f\n", i / n, o / n; else print " 0 0" }'
}
e_modes=("lzo ,lzo - 0" "zstd ,zstd - 0" "zstd-dir ,zstd - 1" "pump-lzo ,cpp,lzo pump 0" "pump-zstd ,cpp,zstd pump 0")
rm -f e-*.txt
# Each helper is asked what it is before the first timed run.
DISTCC_DIR="$work/dd-e" DISTCC_HOSTS="127.0.0.1:$e_port,zstd" "$bin/distcc" --show-helpers >/dev/null 2>&1 || true
for _ in $(seq "$runs"); do
  for m in "${e_modes[@]}"; do
    read -r name opts wrapper directives <<<"$m"
    [ "$wrapper" = - ] && wrapper=
    echo "$(run_units "$name" "$opts" "$wrapper" "$directives" | tr -d '\n')" >>"e-$name.txt"
  done
done
for m in "${e_modes[@]}"; do
  read -r name _ <<<"$m"
  med=""
  for k in 1 2 3 4; do med+=" $(cut -d' ' -f$k "e-$name.txt" | median)"; done
  echo "$name$med"
done >e-medians.txt
awk '{ printf "  %-9s %8.0f B to the helper %7.0f B back   client cpu %7.2f ms   helper cpu %7.2f ms\n", $1, $4, $5, $2, $3
       c[$1] = $2; h[$1] = $3; b[$1] = $4 + $5 }
  END { n = split("zstd lzo zstd-dir lzo zstd-dir zstd pump-zstd pump-lzo", r, " ")
    for (i = 1; i < n; i += 2)
      printf "  %s/%s: wire bytes %.2f, client cpu %.2f, helper cpu %.2f\n", r[i], r[i + 1],
        b[r[i]] / b[r[i + 1]], c[r[i]] / c[r[i + 1]], h[r[i]] / h[r[i + 1]]
    print "  (targets: zstd/lzo wire bytes <= 0.80, cpu <= 1.00)" }' e-medians.txt
fi
fi
if [[ $sections == *g* ]]; then
echo
echo "(g) pump mode's coverage on real code (units the scan accepts; scan CPU per unit)"
"$top/bench/pump-codebases.sh" "$build" 2>&1 | sed 's/^/  /'
fi
if [[ $sections == *h* ]]; then
echo
if [ ! -s "$units_tsv" ]; then
  echo "(h) client CPU per plain job: skipped, no recorded code base (${units_tsv#"$top"/}: make bench-scale records it)"
else
total=$(wc -l <"$units_tsv")
units_h=$units_e
[ "$units_h" -lt "$total" ] || units_h=$total
echo "(h) client CPU per plain job: $units_h units of $(cat "$(dirname "$units_tsv")/codebase" 2>/dev/null || echo binutils) (of $total), stock's client and ours taking turns, median of $runs runs"
# The helper's compiler answers at once with the recorded object
# (bench/replay-cc, recorded times set to 0): the helper's work is not
# what is counted here, and it should not take the client's cores.
awk -F'\t' -v OFS='\t' -v k="$units_h" -v t="$total" \
  'BEGIN { for (i = 0; i < k; i++) pick[int(i * t / k) + 1] = 1 } pick[NR] { $1 = 0; print }' \
  "$units_tsv" >"$work/h-units.tsv"
# shellcheck source=SCRIPTDIR/replay-toolchain.bash disable=SC1091
. "$top/bench/replay-toolchain.bash"
replay_toolchain "$top/$build/bench/replay-cc" "$work/h-units.tsv" "$work/h-tc" "$work/h-wl"
h_port=$(free_port)
mkdir -p "$work/tmp5" && chmod 1777 "$work/tmp5"
TMPDIR="$work/tmp5" DISTCCD_PATH="$work/h-tc:/usr/bin:/bin" "$bin/distccd" --no-detach --daemon \
  --port "$h_port" --jobs 8 -N 0 --log-file "$work/ours-h.log" --log-level warning \
  --whitelist-dir "$work/h-wl" --lifetime 3600 ${BENCH_DISTCCD_ARGS:-} &
pids+=($!)
wait_port "$h_port"
# Per job: the client with everything it ran (the children's rusage), and
# the client process alone (its scheduler run time, read from
# /proc/PID/schedstat while it is a zombie, before it is reaped). Both
# clients send to the same helper. A first round, not counted, lets ours
# learn each argument shape's cc1 line and the helper's capabilities.
h_clients=(stock ours)
h_paths=("stock=/usr/bin/distcc" "ours=$bin/distcc")
if [ -n "${BENCH_BEFORE:-}" ]; then
  h_clients+=(before)
  h_paths+=("before=$BENCH_BEFORE")
fi
PYTHONPATH="$top/bench" python3 - "$work/h-units.tsv" "$h_port" "$work" "$runs" "${h_paths[@]}" \
  <<'PY' >"$work/h-runs.txt"
import os, resource, subprocess, sys
from units import read_units
units_file, port, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
clients = [a.split("=", 1) for a in sys.argv[5:]]
units = read_units(units_file)
modes = [(name, path, opts) for opts in ("", ",lzo") for name, path in clients]
def one(path, cwd, args, env):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen([path, "gcc"] + args + ["-o", work + "/h-out.o"], cwd=cwd, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
    with open("/proc/%d/schedstat" % p.pid) as f:
        own = int(f.read().split()[0]) / 1e6
    if p.wait() != 0:
        sys.exit("bench (h): %s failed on %s" % (path, " ".join(args)))
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000, own
for r in range(runs + 1):
    tot = {}
    for cwd, args in units:
        for name, path, opts in modes:
            env = dict(os.environ, DISTCC_HOSTS="127.0.0.1:%s/8%s" % (port, opts),
                       DISTCC_DIR="%s/dd-h-%s" % (work, name), DISTCC_FALLBACK="0",
                       DISTCC_SKIP_LOCAL_RETRY="1")
            os.makedirs(env["DISTCC_DIR"], exist_ok=True)  # stock does not make it
            t, o = one(path, cwd, args, env)
            a = tot.setdefault(name + (opts or ",plain"), [0.0, 0.0])
            a[0] += t
            a[1] += o
    if r > 0:
        for key, (t, o) in tot.items():
            print("%s %.3f %.3f" % (key, t / len(units), o / len(units)))
PY
for mode in ,plain ,lzo; do
  for who in "${h_clients[@]}"; do
    t=$(awk -v k="$who$mode" '$1 == k { print $2 }' "$work/h-runs.txt" | median)
    o=$(awk -v k="$who$mode" '$1 == k { print $3 }' "$work/h-runs.txt" | median)
    printf '  %-6s %-6s %7.1f ms client cpu: %6.1f ms the distcc process, %6.1f ms its children (cpp)\n' \
      "$who" "${mode#,}" "$t" "$o" "$(awk -v t="$t" -v o="$o" 'BEGIN { print t - o }')"
    eval "ht_$who=$t ho_$who=$o"
  done
  # shellcheck disable=SC2154
  awk -v m="${mode#,}" -v ts="$ht_stock" -v to="$ht_ours" -v os="$ho_stock" -v oo="$ho_ours" 'BEGIN {
    printf "  %s: client cpu ours/stock = %.2f (target <= 0.75); the distcc process alone %.2f\n", m, to/ts, oo/os }'
  if [ -n "${BENCH_BEFORE:-}" ]; then
    # shellcheck disable=SC2154
    awk -v m="${mode#,}" -v ts="$ht_stock" -v tb="$ht_before" -v to="$ht_ours" 'BEGIN {
      printf "  %s: before/stock = %.2f, ours/before = %.2f\n", m, tb/ts, to/tb }'
  fi
done
fi
fi
} | tee "$out/results.txt"
