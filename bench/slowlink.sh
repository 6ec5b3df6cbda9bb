#!/usr/bin/env bash
# make bench-slowlink: ,zstd against ,lzo over a slow link. One client and one
# helper, each in its own network namespace on bench/scale-net.bash's
# simulated LAN, every link end shaped by tbf to each rate in turn; our
# distccd on the helper, its compiler bench/replay-cc (it reads the job,
# waits as long as the real compile took and writes the recorded object), so
# the helper costs no CPU and what is measured is the client and the wire.
# The same real units (binutils, as `make bench`'s section (f) and
# `make bench-scale` use them) are built with a flat make -j per mode, the
# modes taking turns; medians of the runs. Needs root.
#
#   SLOWLINK_RATES   the link rates ("100mbit 20mbit 5mbit")
#   SLOWLINK_UNITS   units, spread over the code base (40)
#   SLOWLINK_MODES   modes, names from the table below (all)
#   BENCH_RUNS       builds per mode and rate, the median reported (3)
#   SLOWLINK_SLOTS   the helper's job slots (8): make -j SLOTS
#   SLOWLINK_TIMEOUT seconds one build may take (300)
#   SCALE_CACHE      the recorded build (bench/out/scale; make bench-scale
#                    records it)
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/$build/bin"
replay="$top/$build/bench/replay-cc"
log() { echo "bench-slowlink: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "needs root (it makes network namespaces)"; exit 1; }
if [ ! -x "$bin/distcc" ] || [ ! -x "$replay" ]; then log "run it as make bench-slowlink (needs $build/bin and $build/bench/replay-cc)"; exit 1; fi
command -v tc >/dev/null || { log "needs tc (Debian package iproute2)"; exit 1; }

read -r -a rates <<<"${SLOWLINK_RATES:-100mbit 20mbit 5mbit}"
max_units=${SLOWLINK_UNITS:-40}
runs=${BENCH_RUNS:-3}
slots=${SLOWLINK_SLOTS:-8}
build_timeout=${SLOWLINK_TIMEOUT:-300}
cache=${SCALE_CACHE:-$top/bench/out/scale}
out="$top/bench/out"
for v in max_units runs slots build_timeout; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { log "bad ${v} '${!v}' (a number, at least 1)"; exit 1; }
done
[ -s "$cache/units.tsv" ] || { log "no recorded code base in ${cache#"$top"/} (make bench-scale records it)"; exit 1; }

# The modes: name, host options, the program that wraps the build ("-":
# none). Adding a mode is one line here.
MODES=(
  "lzo       ,lzo      -"
  "zstd      ,zstd     -"
  "pump-lzo  ,cpp,lzo  pump"
  "pump-zstd ,cpp,zstd pump"
)
declare -A m_opts m_wrap
all_modes=()
for line in "${MODES[@]}"; do
  read -r name opts wrap <<<"$line"
  all_modes+=("$name")
  m_opts[$name]=$opts
  m_wrap[$name]=${wrap#-}
done
read -r -a modes <<<"${SLOWLINK_MODES:-${all_modes[*]}}"
for m in "${modes[@]}"; do
  [ -n "${m_opts[$m]:-}" ] || { log "unknown mode $m (modes: ${all_modes[*]})"; exit 1; }
done

mkdir -p "$out"
work=$(mktemp -d /tmp/distcc-slowlink.XXXXXX)
chmod 0755 "$work"
# shellcheck source=SCRIPTDIR/scale-net.bash disable=SC1091
. "$top/bench/scale-net.bash"
# shellcheck source=SCRIPTDIR/bench-util.bash disable=SC1091
. "$top/bench/bench-util.bash"
# shellcheck source=SCRIPTDIR/replay-toolchain.bash disable=SC1091
. "$top/bench/replay-toolchain.bash"
# The one process this script starts that outlives a build: the helper's
# distccd (also bounded by --lifetime). A build is bounded by timeout.
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  scale_net_teardown
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Units spread over the code base (every k-th), their recorded compiles
# packed into the helper's replay compiler.
total=$(wc -l <"$cache/units.tsv")
[ "$max_units" -lt "$total" ] || max_units=$total
awk -v k="$max_units" -v t="$total" 'BEGIN { for (i = 0; i < k; i++) pick[int(i * t / k) + 1] = 1 } pick[NR]' \
  "$cache/units.tsv" >"$work/units.tsv"
njobs=$(wc -l <"$work/units.tsv")
replay_toolchain "$replay" "$work/units.tsv" "$work/tc" "$work/wl"
# One make target per unit, run in its directory of the recorded build with
# its own arguments.
{
  echo "all: $(seq -f 'u%g' -s ' ' "$njobs")"
  echo ".PHONY: all $(seq -f 'u%g' -s ' ' "$njobs")"
  awk -F'\t' '{ gsub(/\$/, "$$", $5); printf "u%d:\n\t@cd \047%s\047 && $(CC) %s\n", NR, $4, $5 }' "$work/units.tsv"
} >"$work/jobs.mk"

# The client at 10.79.0.1, the helper at 10.79.1.1 (shaped per rate below).
scale_net_init "dsl$$"
scale_net_add cl 10.79.0.1
scale_net_add h1 10.79.1.1
cl_ns=$(scale_net_ns cl)
h_ns=$(scale_net_ns h1)
mkdir -p "$work/h/tmp" && chmod 1777 "$work/h/tmp"
ip netns exec "$h_ns" env TMPDIR="$work/h/tmp" DISTCCD_PATH="$work/tc:/usr/bin:/bin" \
  "$bin/distccd" --no-detach --daemon --listen 10.79.1.1 --port 3632 --jobs "$slots" -N 0 \
  --allow 10.79.0.0/16 --whitelist-dir "$work/wl" --log-file "$work/h/ours.log" --log-level notice \
  --lifetime $(( (${#rates[@]} * ${#modes[@]} * runs + 2) * build_timeout )) &
daemon_pid=$!
for _ in $(seq 200); do
  [ -n "$(ip netns exec "$h_ns" ss -Hltn "sport = :3632" 2>/dev/null)" ] && break
  sleep 0.05
done
[ -n "$(ip netns exec "$h_ns" ss -Hltn "sport = :3632" 2>/dev/null)" ] || { log "distccd does not listen in $h_ns"; exit 1; }
dd="$work/dd"
mkdir -p "$dd"
# The client learns what the helper is before the first timed build.
ip netns exec "$cl_ns" env DISTCC_DIR="$dd" DISTCC_HOSTS="10.79.1.1:3632,zstd" \
  "$bin/distcc" --show-helpers >"$work/helpers.txt" 2>&1 || true

# One build: "wall_s client_cpu_ms_per_job tx_bytes_per_job rx_bytes_per_job failed".
stat_of() { ip netns exec "$cl_ns" cat "/sys/class/net/eth0/statistics/$1"; }
run_build() {
  local mode=$1 tag=$2 wrap=() t0 t1 tx0 rx0 tx1 rx1 rc=0 fail=0
  [ -z "${m_wrap[$mode]}" ] || wrap=("$bin/${m_wrap[$mode]}")
  tx0=$(stat_of tx_bytes) rx0=$(stat_of rx_bytes)
  t0=$(now_ns)
  ip netns exec "$cl_ns" env DISTCC_HOSTS="10.79.1.1:3632/$slots${m_opts[$mode]}" DISTCC_DIR="$dd" \
    DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 /usr/bin/time -f '%U %S' -o "$work/time-$tag" \
    timeout "$build_timeout" "${wrap[@]}" make -f "$work/jobs.mk" -j "$slots" CC="$bin/distcc gcc" \
    >"$work/out-$tag" 2>"$work/err-$tag" || rc=$?
  t1=$(now_ns)
  tx1=$(stat_of tx_bytes) rx1=$(stat_of rx_bytes)
  if [ "$rc" != 0 ] || grep -q -i "locally\|failed to distribute" "$work/err-$tag"; then
    fail=1
    { echo "$tag: exit $rc:"; grep -v '^make' "$work/err-$tag" | head -3 | sed 's/^/  /'; } >>"$work/failures.txt"
  fi
  awk -v w="$(( (t1 - t0) / 1000000 ))" -v c="$(tail -1 "$work/time-$tag")" -v n="$njobs" \
    -v tx="$((tx1 - tx0))" -v rx="$((rx1 - rx0))" -v f="$fail" 'BEGIN {
      split(c, u, " "); printf "%.3f %.1f %.0f %.0f %d\n", w / 1000, (u[1] + u[2]) * 1000 / n, tx / n, rx / n, f }'
}

{
  echo "bench-slowlink: $njobs units of $(cat "$cache/codebase" 2>/dev/null || echo binutils) (of $total), one helper ($slots slots, replayed compiles), make -j $slots, median of $runs"
  echo "link: tbf at each rate on every link end, no added delay; $(date -u '+%Y-%m-%d %H:%M UTC')"
  awk -F'\t' -v s="$slots" '{ t += $1; if ($1 > m) m = $1 } END {
    printf "the helper alone: %.2f s of compiles on %d slots (%.2f s), the longest %.2f s\n", t / 1000, s, t / 1000 / s, m / 1000 }' \
    "$work/units.tsv"
} >"$work/report"
for rate in "${rates[@]}"; do
  scale_net_shape "$rate" 0
  for r in $(seq "$runs"); do
    for mode in "${modes[@]}"; do
      log "$rate $mode run $r"
      run_build "$mode" "$rate-$mode-$r" >>"$work/res-$rate-$mode"
    done
  done
  {
    echo
    echo "$rate:"
    printf '  %-10s %8s %12s %12s %14s %6s\n' mode build "B to helper" "B back" "client cpu" link
    for mode in "${modes[@]}"; do
      f="$work/res-$rate-$mode"
      if [ "$(awk '{ s += $5 } END { print s + 0 }' "$f")" != 0 ]; then
        printf '  %-10s failed (%s)\n' "$mode" "$(grep -c . "$f") builds"
        continue
      fi
      # link: how busy the busier direction was over the build.
      awk -v m="$mode" -v t="$(cut -d' ' -f1 "$f" | median)" -v c="$(cut -d' ' -f2 "$f" | median)" \
        -v tx="$(cut -d' ' -f3 "$f" | median)" -v rx="$(cut -d' ' -f4 "$f" | median)" \
        -v n="$njobs" -v bits="$(tc_rate_bits "$rate")" 'BEGIN {
          printf "  %-10s %7.2fs %12.0f %12.0f %11.1f ms %5.0f%%\n", m, t, tx, rx, c,
            (tx > rx ? tx : rx) * n * 8 / bits / t * 100 }'
      echo "$mode $(cut -d' ' -f1 "$f" | median) $(cut -d' ' -f3 "$f" | median) $(cut -d' ' -f4 "$f" | median)" >>"$work/med-$rate"
    done
    awk '{ t[$1] = $2; b[$1] = $3 + $4 }
      END { n = split("zstd lzo pump-zstd pump-lzo", r, " ")
        for (i = 1; i < n; i += 2) if (t[r[i]] && t[r[i + 1]])
          printf "  %s/%s: build time %.2f, wire bytes %.2f\n", r[i], r[i + 1], t[r[i]] / t[r[i + 1]], b[r[i]] / b[r[i + 1]] }' \
      "$work/med-$rate" 2>/dev/null || true
  } >>"$work/report"
done
[ ! -s "$work/failures.txt" ] || { echo; echo "failures:"; cat "$work/failures.txt"; } >>"$work/report"
cat "$work/report"
cp "$work/report" "$out/slowlink-results.txt"
