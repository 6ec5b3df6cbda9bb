#!/usr/bin/env bash
# make bench-daemon-cost: the daemon's own CPU per job, ours against stock
# distccd 3.4. One of each on 127.0.0.1, each in a cgroup v2 of its own (so
# everything a daemon starts is counted: connection processes, sandbox,
# compiler), both with bench/replay-cc as their only gcc (it sleeps as long
# as the real compile took and writes the recorded object, so the compiler
# costs next to nothing and what is left is the daemon). M jobs of one small
# real unit (tests/data/multifile/main.c) at make -j 2, per kind:
#
#   plain   stock's client (the same requests to both daemons)
#   pump    our client under our pump (protocol 3; ours with its header
#           cache, stock without: what each daemon offers)
#   caps    M CAPS questions ({"caps":1}), ours only (stock has no CAPS)
#   load    M load questions ({"caps":1,"load":true}), ours only
#
# Prints daemon CPU ms per job (user + system, the median of the runs) and
# ours/stock, and writes bench/out/daemon-cost.txt. Needs root (cgroups;
# stock distccd runs its jobs as nobody).
#
#   DAEMON_COST_JOBS   M, jobs per run (200)
#   BENCH_RUNS         runs per kind, the median reported (3)
#   DAEMON_COST_KINDS  kinds to run (plain pump caps load)
#   DAEMON_COST_STOCK  0: ours alone (to profile it), stock not measured (1)
#   DAEMON_COST_OURS   extra options for our distccd (say --sandbox=off)
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/$build/bin"
replay="$top/$build/bench/replay-cc"
log() { echo "bench-daemon-cost: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "needs root (cgroups, and stock distccd runs jobs as nobody)"; exit 1; }
if [ ! -x "$bin/distccd" ] || [ ! -x "$replay" ]; then log "run it as make bench-daemon-cost (needs $build/bin and $build/bench/replay-cc)"; exit 1; fi
if [ ! -x /usr/bin/distccd ] || [ ! -x /usr/bin/distcc ]; then log "needs stock distcc 3.4 (Debian package distcc)"; exit 1; fi

jobs=${DAEMON_COST_JOBS:-200}
runs=${BENCH_RUNS:-3}
read -r -a kinds <<<"${DAEMON_COST_KINDS:-plain pump caps load}"
read -r -a ours_extra <<<"${DAEMON_COST_OURS:-}"
for v in jobs runs; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { log "bad ${v} '${!v}' (a number, at least 1)"; exit 1; }
done
for k in "${kinds[@]}"; do
  [[ " plain pump caps load " == *" $k "* ]] || { log "unknown kind $k (plain pump caps load)"; exit 1; }
done

# shellcheck source=SCRIPTDIR/bench-util.bash disable=SC1091
. "$top/bench/bench-util.bash"
# shellcheck source=SCRIPTDIR/replay-toolchain.bash disable=SC1091
. "$top/bench/replay-toolchain.bash"

out="$top/bench/out"
mkdir -p "$out"
work=$(mktemp -d /tmp/distcc-daemon-cost.XXXXXX)
chmod 0755 "$work"
cg=''
for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
  if [ "$(stat -fc %T "$d" 2>/dev/null)" = cgroup2fs ]; then cg="$d/distcc-daemon-cost-$$"; break; fi
done
[ -n "$cg" ] || { log "needs a cgroup v2 hierarchy (/sys/fs/cgroup or /sys/fs/cgroup/unified)"; exit 1; }
mkdir -p "$cg/ours" "$cg/stock" || { log "cannot make a cgroup under ${cg%/*}"; exit 1; }
pids=()
cleanup() {
  [ ${#pids[@]} -eq 0 ] || stop_pids "${pids[@]}"
  cgroup_remove "$cg" ours stock || log "could not remove the cgroup $cg"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cg_usec() { awk '$1 == "usage_usec" { print $2 }' "$cg/$1/cpu.stat"; }

# The unit, compiled once for real: its time and object are what the
# replay compiler gives back.
src="$work/src"
cp -r "$top/tests/data/multifile" "$src"
cflags=(-O2 -Wall -Iinclude '-DMF_GREETING="multifile"')
# Twice: the first one reads gcc from the disk.
for _ in 1 2; do
  t0=$(now_ns)
  (cd "$src" && gcc "${cflags[@]}" -c main.c -o "$work/main.o")
  t1=$(now_ns)
done
printf '%d\t%s\t%s\n' $(( (t1 - t0) / 1000000 )) "$src/main.c" "$work/main.o" >"$work/units.tsv"
replay_toolchain "$replay" "$work/units.tsv" "$work/tc" "$work/wl"
{
  echo "all: $(seq -f 'o/%g.o' -s ' ' "$jobs")"
  echo "o/%.o: main.c"
  # shellcheck disable=SC2016 # make's variables, for make
  printf '\t@$(CC) %s -c main.c -o $@\n' "${cflags[*]//\"/\\\"}"
} >"$src/jobs.mk"

mapfile -t ports < <("$top/scripts/free-port.sh" 2)
port_ours=${ports[0]} port_stock=${ports[1]}
lifetime=$(( 600 + runs * jobs * 4 ))
mkdir -p "$work/ours/tmp" "$work/stock/tmp" "$work/dd"
chmod 1777 "$work/ours/tmp" "$work/stock/tmp"
touch "$work/stock/log" && chown nobody "$work/stock/log"
# Each daemon execs in its cgroup, so all it starts is counted there.
in_cg() { local procs=$1; shift; exec sh -c 'echo $$ >"$1" || exit 1; shift; exec "$@"' sh "$procs" "$@"; }
in_cg "$cg/ours/cgroup.procs" env TMPDIR="$work/ours/tmp" DISTCCD_PATH="$work/tc:/usr/bin:/bin" \
  "$bin/distccd" --no-detach --daemon --listen 127.0.0.1 --port "$port_ours" --jobs 2 -N 0 \
  --allow 127.0.0.1 --whitelist-dir "$work/wl" --log-file "$work/ours/log" --log-level notice \
  --lifetime "$lifetime" "${ours_extra[@]}" &
pids+=($!)
in_cg "$cg/stock/cgroup.procs" env TMPDIR="$work/stock/tmp" PATH="$work/tc:/usr/bin:/bin" \
  /usr/bin/distccd --no-detach --daemon --listen 127.0.0.1 --port "$port_stock" --jobs 2 -N 0 \
  --allow 127.0.0.1 --user nobody --log-file "$work/stock/log" --log-level warning \
  --lifetime "$lifetime" &
pids+=($!)
for p in "$port_ours" "$port_stock"; do
  for _ in $(seq 200); do [ -n "$(ss -Hltn "sport = :$p")" ] && break; sleep 0.05; done
  [ -n "$(ss -Hltn "sport = :$p")" ] || { log "nothing listens on port $p"; exit 1; }
done

# M questions, two at a time, each on its own connection, read to the end.
ask() {
  python3 - "$1" "$2" "$jobs" <<'EOF'
import socket, sys, threading
port, question, count = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3])
packet = b"CAPS%08x" % len(question) + question
failed = []
def worker(n):
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(packet)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        if data[:4] != b"CAPS" or len(data) != 12 + int(data[4:12], 16):
            failed.append(data[:40])
threads = [threading.Thread(target=worker, args=(count // 2 + (i < count % 2),)) for i in range(2)]
for t in threads: t.start()
for t in threads: t.join()
if failed:
    sys.exit("%d answers were not a CAPS packet: %r" % (len(failed), failed[0]))
EOF
}

# One run of kind against daemon (ours, stock): prints its daemon's CPU in
# microseconds, or fails.
run_kind() {
  local kind=$1 daemon=$2 port c0 c1
  port=$([ "$daemon" = ours ] && echo "$port_ours" || echo "$port_stock")
  rm -rf "$src/o" && mkdir -p "$src/o"
  c0=$(cg_usec "$daemon")
  case $kind in
    plain)
      (cd "$src" && env DISTCC_HOSTS="127.0.0.1:$port/2" DISTCC_DIR="$work/dd" DISTCC_FALLBACK=0 \
        DISTCC_SKIP_LOCAL_RETRY=1 make -s -f jobs.mk -j 2 CC="/usr/bin/distcc gcc") >"$work/err" 2>&1 ;;
    pump)
      (cd "$src" && env DISTCC_HOSTS="127.0.0.1:$port/2,cpp,lzo" DISTCC_DIR="$work/dd" DISTCC_FALLBACK=0 \
        DISTCC_SKIP_LOCAL_RETRY=1 DISTCC_HELPER_LOAD=off "$bin/pump" make -s -f jobs.mk -j 2 CC="$bin/distcc gcc") \
        >"$work/err" 2>&1 ;;
    caps) ask "$port" '{"caps":1}' >"$work/err" 2>&1 ;;
    load) ask "$port" '{"caps":1,"load":true}' >"$work/err" 2>&1 ;;
  esac || { log "$kind against $daemon failed:"; head -5 "$work/err" >&2; return 1; }
  if grep -qi 'locally\|failed to distribute\|fallback' "$work/err"; then
    log "$kind against $daemon: some jobs ran locally:"; head -5 "$work/err" >&2; return 1
  fi
  [ "$kind" = caps ] || [ "$kind" = load ] || [ "$(find "$src/o" -name '*.o' | wc -l)" -eq "$jobs" ] ||
    { log "$kind against $daemon: not every object came back"; return 1; }
  # The last job process may still be ending after its reply.
  sleep 0.3
  c1=$(cg_usec "$daemon")
  echo $((c1 - c0))
}

declare -A med
for kind in "${kinds[@]}"; do
  daemons=(ours)
  [ "$kind" = caps ] || [ "$kind" = load ] || [ "${DAEMON_COST_STOCK:-1}" = 0 ] || daemons+=(stock)
  for r in $(seq "$runs"); do
    for daemon in "${daemons[@]}"; do
      log "$kind $daemon run $r"
      run_kind "$kind" "$daemon" >>"$work/res-$kind-$daemon"
    done
  done
  for daemon in "${daemons[@]}"; do
    med[$kind-$daemon]=$(awk -v n="$jobs" '{ print $1 / 1000 / n }' "$work/res-$kind-$daemon" | median)
  done
done

served=$(grep -c ': compiled, exit 0' "$work/ours/log" || true)
{
  echo "bench-daemon-cost: daemon CPU per job (user + system, all it starts, cgroup v2), $jobs jobs per run at -j 2, median of $runs runs"
  echo "unit: tests/data/multifile/main.c (real compile $(cut -f1 "$work/units.tsv") ms, replayed by bench/replay-cc); $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "ours: $("$bin/distccd" --version | head -1), $(grep -m1 -o 'sandbox .*' "$work/ours/log" || echo 'no sandbox line in its log')${ours_extra[*]:+, options: ${ours_extra[*]}}"
  echo "stock: $(/usr/bin/distccd --version | head -1) (--user nobody)"
  echo
  printf '%-7s %10s %10s %11s\n' kind ours_ms stock_ms ours/stock
  for kind in "${kinds[@]}"; do
    awk -v k="$kind" -v o="${med[$kind-ours]}" -v s="${med[$kind-stock]:-}" 'BEGIN {
      if (s == "") printf "%-7s %10.2f %10s %11s\n", k, o, "-", "-"
      else printf "%-7s %10.2f %10.2f %10.2fx\n", k, o, s, o / s }'
  done
  echo
  echo "plain: stock's client to both daemons; pump: our client under our pump (ours with its header cache);"
  echo "caps/load: CAPS questions, one connection each (stock has none). ours served $served compiles in all."
} >"$work/report"
cat "$work/report"
cp "$work/report" "$out/daemon-cost.txt"
