#!/usr/bin/env bash
# make bench-busy: two clients building at once over three helpers, one of
# them slowed, with the busy-helper choice (DISTCC_HELPER_LOAD=on) against
# today's static order (off). Network namespaces on bench/scale-net.bash's
# simulated LAN: clients at 10.78.0.1 and .2, helpers at 10.78.1.1-3, each
# running our distccd whose compiler is bench/replay-cc (it waits as long as
# the unit's recorded compile took and writes the recorded object); the
# slowed helper's recordings take BUSY_SLOW times as long. The code base is
# this project's own C sources, recorded once here with the real gcc (each
# client builds all of them into its own directory). Needs root. Writes
# bench/out/busy-results.txt.
#
#   BENCH_RUNS   builds per mode, the median reported (3); modes alternate
#   BUSY_SLOW    how many times slower the slowed helper compiles (4)
#   BUSY_SCALE   every helper's recorded times multiplied by this (3), so
#                that the helpers, not the two clients' preprocessing on
#                this machine's cores, bound the build
#   BUSY_SLOTS   --jobs of every helper (2)
#   BUSY_LIST_SLOTS  the /N each client's host list gives every helper
#                (BUSY_SLOTS; more than the helper's --jobs is what a list
#                written for one client's use says when others share it)
#   BUSY_J       make -j of each client (4)
#   BUSY_ORDER   the helpers as both clients list them ("3 1 2": the slowed
#                helper, 3, first)
#   BUSY_TIMEOUT seconds one build may take (600)
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/$build/bin"
replay="$top/$build/bench/replay-cc"
[ "$(id -u)" -eq 0 ] || { echo "bench-busy: needs root (it makes network namespaces)" >&2; exit 1; }
if [ ! -x "$bin/distcc" ] || [ ! -x "$replay" ]; then echo "bench-busy: run it as make bench-busy (needs $build/bin and $build/bench/replay-cc)" >&2; exit 1; fi
runs=${BENCH_RUNS:-3}
slow=${BUSY_SLOW:-4}
scale=${BUSY_SCALE:-3}
slots=${BUSY_SLOTS:-2}
list_slots=${BUSY_LIST_SLOTS:-$slots}
jobs=${BUSY_J:-4}
order=${BUSY_ORDER:-3 1 2}
build_timeout=${BUSY_TIMEOUT:-600}
for v in runs slow scale slots list_slots jobs build_timeout; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench-busy: bad ${v} '${!v}' (a positive number)" >&2; exit 1; }
done
for h in $order; do [[ $h =~ ^[123]$ ]] || { echo "bench-busy: BUSY_ORDER names helpers 1, 2, 3, not '$h'" >&2; exit 1; }; done
out="$top/bench/out"
mkdir -p "$out"
work=$(mktemp -d /tmp/distcc-busy.XXXXXX)
chmod 0755 "$work"
# shellcheck source=SCRIPTDIR/scale-net.bash disable=SC1091
. "$top/bench/scale-net.bash"
# shellcheck source=SCRIPTDIR/bench-util.bash disable=SC1091
. "$top/bench/bench-util.bash"
pids=()
cleanup() {
  stop_pids "${pids[@]}"
  wait 2>/dev/null || true
  scale_net_teardown
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "bench-busy: $*" >&2; }

# --- The code base: our own sources with the build's own flags, each
# compiled once here for real to record its time and object.
flags=$(cd "$top" && make -s -n -W engine/lib/base/dcc_log.c "$build/engine/lib/base/dcc_log.o" | grep -m1 '^cc ' |
  sed -e 's/^cc //' -e 's/ -MMD -MP//' -e 's/ -c -o [^ ]* [^ ]*$//' -e 's/ -Werror//')
[ -n "$flags" ] || { log "cannot read the build's compile flags from make -n"; exit 1; }
mapfile -t srcs < <(cd "$top" && printf '%s\n' engine/lib/*/*.c engine/client/*.c engine/daemon/*.c engine/pump/*.c \
  engine/monitor/distccmon-text.c | sort)
mkdir -p "$work/rec"
log "recording ${#srcs[@]} units of this project with gcc"
: >"$work/pack.tsv"
: >"$work/slow.tsv"
i=0
for s in "${srcs[@]}"; do
  i=$((i + 1))
  t0=$(now_ns)
  # shellcheck disable=SC2086 # flags are words
  (cd "$top" && eval gcc $flags -c "$top/$s" -o "$work/rec/$i.o")
  t1=$(now_ns)
  ms=$(((t1 - t0) / 1000000))
  printf '%s\t%s\t%s\n' "$((ms * scale))" "$top/$s" "$work/rec/$i.o" >>"$work/pack.tsv"
  printf '%s\t%s\t%s\n' "$((ms * scale * slow))" "$top/$s" "$work/rec/$i.o" >>"$work/slow.tsv"
done
sum_ms=$(awk -F'\t' '{ s += $1 } END { print s }' "$work/pack.tsv")
# The flat makefile: one phony target per unit, OUT the client's directory.
{
  echo "all: $(seq -f 'u%g' -s ' ' "${#srcs[@]}")"
  echo ".PHONY: all $(seq -f 'u%g' -s ' ' "${#srcs[@]}")"
  i=0
  for s in "${srcs[@]}"; do
    i=$((i + 1))
    # shellcheck disable=SC2016 # $(CC) and $(OUT) are make's
    printf 'u%d:\n\t@cd %s && $(CC) %s -c %s -o $(OUT)/%d.o\n' "$i" "$top" "${flags//\$/\$\$}" "$top/$s" "$i"
  done
} >"$work/jobs.mk"

# The helpers' compilers: hard links (the sandbox lets a job read its
# compiler's file, not a symlink's target).
machine=$(gcc -dumpmachine)
for kind in fast slow; do
  mkdir -p "$work/tc-$kind"
  "$replay" --pack "$work/tc-$kind/gcc" "$work/$([ "$kind" = fast ] && echo pack || echo slow).tsv"
  for n in cc "$machine-gcc"; do ln "$work/tc-$kind/gcc" "$work/tc-$kind/$n"; done
done
mkdir -p "$work/wl"
for n in gcc cc "$machine-gcc"; do ln -s /usr/bin/distcc "$work/wl/$n"; done
ln -s . "$work/wl/bin"

# --- The LAN.
scale_net_init "dbz$$"
scale_net_add c1 10.78.0.1
scale_net_add c2 10.78.0.2
for h in 1 2 3; do scale_net_add "h$h" "10.78.1.$h"; done
scale_net_shape 1gbit 50us
lifetime=$((build_timeout * runs * 4))
for h in 1 2 3; do
  kind=fast
  [ "$h" != 3 ] || kind=slow
  d="$work/h$h"
  mkdir -p "$d/tmp"
  chmod 1777 "$d/tmp"
  ip netns exec "$(scale_net_ns "h$h")" env TMPDIR="$d/tmp" DISTCCD_PATH="$work/tc-$kind:/usr/bin:/bin" \
    "$bin/distccd" --no-detach --daemon --listen "10.78.1.$h" --port 3632 --jobs "$slots" -N 0 \
    --allow 10.78.0.0/16 --whitelist-dir "$work/wl" --log-file "$d/ours.log" --log-level notice \
    --lifetime "$lifetime" &
  pids+=($!)
done
for h in 1 2 3; do
  for _ in $(seq 200); do
    [ -n "$(ip netns exec "$(scale_net_ns "h$h")" ss -Hltn 'sport = :3632' 2>/dev/null)" ] && break
    sleep 0.05
  done
done
hosts=""
for h in $order; do hosts+="10.78.1.$h:3632/$list_slots "; done

# One client's build: "seconds failed", its jobs per helper in $work/per-$tag.
client_build() { # CLIENT MODE TAG
  local c=$1 mode=$2 tag=$3 dd="$work/dd-$1-$3" o="$work/o-$1-$3" t0 t1 rc=0 fail=0
  mkdir -p "$dd" "$o"
  t0=$(now_ns)
  ip netns exec "$(scale_net_ns "$c")" env DISTCC_HOSTS="$hosts" DISTCC_DIR="$dd" DISTCC_FALLBACK=0 \
    DISTCC_SKIP_LOCAL_RETRY=1 DISTCC_HELPER_LOAD="$mode" timeout "$build_timeout" \
    make -f "$work/jobs.mk" -j "$jobs" OUT="$o" CC="$bin/distcc gcc" >"$work/out-$c-$tag" 2>"$work/err-$c-$tag" || rc=$?
  t1=$(now_ns)
  if [ "$rc" != 0 ] || grep -q -i "locally\|failed to distribute" "$work/err-$c-$tag"; then fail=1; fi
  echo "$(((t1 - t0) / 1000000)) $fail" >"$work/res-$c-$tag"
}

# A run: both clients at once; prints "total_s c1_s c2_s failed per-helper-jobs".
run() { # MODE TAG
  local mode=$1 tag=$2 t0 t1 h per=""
  for h in 1 2 3; do : >"$work/h$h/ours.log"; done
  t0=$(now_ns)
  client_build c1 "$mode" "$tag" &
  local p1=$!
  client_build c2 "$mode" "$tag" &
  local p2=$!
  wait "$p1" "$p2"
  t1=$(now_ns)
  for h in 1 2 3; do per+="h$h=$(grep -c ': compiled, exit 0' "$work/h$h/ours.log" || true) "; done
  read -r a fa <"$work/res-c1-$tag"
  read -r b fb <"$work/res-c2-$tag"
  echo "$(((t1 - t0) / 1000000)) $a $b $((fa + fb)) $per" |
    awk '{ printf "%.2f %.2f %.2f %d %s %s %s\n", $1 / 1000, $2 / 1000, $3 / 1000, $4, $5, $6, $7 }'
}

: >"$work/points"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$runs"); do
  for mode in off on; do
    line=$(run "$mode" "$mode-$r")
    echo "$mode $line" >>"$work/points"
    log "run $r, DISTCC_HELPER_LOAD=$mode: $line"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
echo "bench-busy $(date -u +%Y-%m-%d): two clients building at once, ${#srcs[@]} units each (this project's sources, gcc $(gcc -dumpfullversion))"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), shared; load average before $load_before, after $load_after"
echo "helpers: 3 network namespaces running our distccd --jobs $slots, compiler replaying the recorded compiles ${scale}x"
echo "  (sum $(awk -v s="$sum_ms" 'BEGIN { printf "%.1f", s / 1000 }') s per client); helper 3 slowed ${slow}x; both clients list: $hosts"
echo "each client: make -j$jobs; LAN 1gbit, 50us per hop; median of $runs runs per mode, modes alternating"
echo
printf '%-22s %8s %8s %8s %7s  %s\n' "DISTCC_HELPER_LOAD" total_s client1 client2 failed "jobs per helper (last run)"
for mode in off on; do
  awk -v m="$mode" '$1 == m' "$work/points" >"$work/p-$mode"
  printf '%-22s %8s %8s %8s %7s  %s\n' "$mode$([ "$mode" = off ] && echo " (static order)" || echo " (busy helpers)")" \
    "$(cut -d' ' -f2 "$work/p-$mode" | median)" "$(cut -d' ' -f3 "$work/p-$mode" | median)" \
    "$(cut -d' ' -f4 "$work/p-$mode" | median)" "$(awk '{ s += $5 } END { print s }' "$work/p-$mode")" \
    "$(tail -1 "$work/p-$mode" | cut -d' ' -f6-)"
done
echo
echo "every run (mode total client1 client2 failed jobs-per-helper):"
sed 's/^/  /' "$work/points"
} | tee "$out/busy-results.txt"
