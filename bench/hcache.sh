#!/usr/bin/env bash
# make bench (e), bench/hcache.sh BUILD: what the pump header cache saves on
# the wire, on real code. BENCH_HCACHE_UNITS (40) units of binutils' bfd
# (Debian binutils-source) that our scanner sends in pump mode, each
# compiled under pump by our client against our distccd three times: to a
# daemon without a header cache (every header every time, as stock's pump
# sends them), then to one with a cache, cold and warm. Prints the bytes
# each job sent (the daemon's "bytes in") and received, the client's CPU
# per job, and checks every object against a local build (-g -O2).
# bfd is configured and built once, kept in bench/out/hcache (BENCH_HCACHE_DIR).
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/$build/bin"
units_wanted=${BENCH_HCACHE_UNITS:-40}
cache=${BENCH_HCACHE_DIR:-$top/bench/out/hcache}
log() { echo "bench hcache: $*" >&2; }

tarball=$(find /usr/src/binutils -maxdepth 1 -name 'binutils-*.tar.*' 2>/dev/null | sort | head -1)
if [ -z "$tarball" ]; then
  echo "  (skipped: no binutils tarball in /usr/src/binutils; install the Debian package binutils-source)"
  exit 0
fi
if [ ! -f "$cache/ready" ]; then
  log "configuring and building bfd from $(basename "$tarball") once (kept in ${cache#"$top"/})"
  rm -rf "$cache"
  mkdir -p "$cache/untar" "$cache/build"
  tar xf "$tarball" -C "$cache/untar"
  mv "$cache/untar"/binutils-* "$cache/src"
  rmdir "$cache/untar"
  (cd "$cache/build" && nice -n 10 ../src/configure --disable-nls --disable-shared --disable-gold \
    --disable-gprofng --disable-dependency-tracking --disable-werror --without-debuginfod \
    >"$cache/configure.log" 2>&1) || { log "configure failed: see $cache/configure.log"; exit 1; }
  nice -n 10 make -C "$cache/build" -j"$(nproc)" all-bfd >"$cache/make.log" 2>&1 ||
    { log "building bfd failed: see $cache/make.log"; exit 1; }
  touch "$cache/ready"
fi

work=$(mktemp -d /tmp/distcc-bench-hcache.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# bfd's own compile command (make -n of one unit), without libtool and -fPIC.
bfd="$cache/build/bfd"
line=$(cd "$bfd" && make -n V=1 -W ../../src/bfd/elf.c elf.lo 2>/dev/null | grep -m1 -- '--mode=compile gcc') ||
  { log "cannot find bfd's compile command in $bfd/Makefile"; exit 1; }
line=${line#*--mode=compile gcc }
line=${line%%-c -o elf.lo*}
eval "words=($line)" # the Makefile's own quoting: -DBINDIR='"/usr/local/bin"'
flags=()
# shellcheck disable=SC2154 # words is set by the eval
for w in "${words[@]}"; do [ "$w" = -fPIC ] || flags+=("$w"); done

mkdir -p "$work/wl" "$work/tmp" "$work/hc" "$work/local" "$work/none" "$work/cold" "$work/warm"
# The units: bfd's sources that were built, that pump mode takes, and that
# compile with the common command (a few need their own -D); the local
# build's objects are the reference.
units=()
for lo in "$bfd"/*.lo; do
  u=$(basename "$lo" .lo)
  [ -f "$cache/src/bfd/$u.c" ] || continue
  (cd "$bfd" && "$bin/distcc" --scan-includes gcc "${flags[@]}" -c "../../src/bfd/$u.c" -o /dev/null &&
    gcc "${flags[@]}" -c "../../src/bfd/$u.c" -o "$work/local/$u.o") >/dev/null 2>&1 || continue
  units+=("$u")
  [ "${#units[@]}" -ge "$units_wanted" ] && break
done
[ "${#units[@]}" -gt 0 ] || { log "no bfd unit goes in pump mode"; exit 1; }

chmod 1777 "$work/tmp" "$work/hc"
for n in gcc cc "$(gcc -dumpmachine)-gcc"; do ln -s /usr/bin/distcc "$work/wl/$n"; done
start() {
  local port=$1 name=$2
  shift 2
  TMPDIR="$work/tmp" "$bin/distccd" --no-detach --daemon --port "$port" --jobs 4 -N 0 --log-file "$work/$name.log" \
    --log-level info --whitelist-dir "$work/wl" --lifetime 3600 "$@" &
  pids+=($!)
}
wait_port() { for _ in $(seq 100); do [ -n "$(ss -Hltn "sport = :$1")" ] && return 0; sleep 0.05; done; return 1; }
none_port=$("$top/scripts/free-port.sh")
start "$none_port" none --header-cache-size 0
hc_port=$("$top/scripts/free-port.sh")
start "$hc_port" hc --header-cache-dir "$work/hc/cache"
wait_port "$none_port"
wait_port "$hc_port"

# One pass: every unit once, sequentially, in one build under pump (its
# include-scan caches and the digests it kept are shared by the pass's
# jobs, as in a real build); prints the client's CPU (user + system of pump
# and the distcc processes, children this subshell waits for) in ms.
pass() {
  local port=$1 dir=$2 t0 t1 me=$BASHPID
  {
    printf 'cd %q || exit 1\n' "$bfd"
    for u in "${units[@]}"; do
      printf '%q gcc' "$bin/distcc"
      printf ' %q' "${flags[@]}" -c "../../src/bfd/$u.c" -o "$work/$dir/$u.o"
      printf ' || { echo %q failed >&2; exit 1; }\n' "$u"
    done
  } >"$work/pass-$dir.sh"
  t0=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$me/stat")
  DISTCC_DIR="$work/distcc-$dir" DISTCC_HOSTS="127.0.0.1:$port,cpp,lzo" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 \
    "$bin/pump" bash "$work/pass-$dir.sh" >/dev/null 2>"$work/pass-$dir.err" ||
    { log "pass $dir failed: $(tail -1 "$work/pass-$dir.err")"; return 1; }
  t1=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$me/stat")
  awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { print (b - a) * 1000 / hz }'
}
# The daemon's "bytes in" and "bytes out" of the jobs in a log, from line $2 on.
sum_bytes() {
  tail -n +"$2" "$1" | grep ': compiled, exit 0, pump' |
    sed -E 's/.* ([0-9]+) bytes in, ([0-9]+) bytes out.*/\1 \2/' | awk '{ i += $1; o += $2 } END { print i + 0, o + 0 }'
}
n=${#units[@]}
declare -A sent got cpu
for p in none cold warm; do
  port=$hc_port logf="$work/hc.log"
  [ "$p" = none ] && port=$none_port logf="$work/none.log"
  from=$(($(wc -l <"$logf") + 1))
  [ "$p" = warm ] && mark=$from
  cpu[$p]=$(pass "$port" "$p")
  read -r "sent[$p]" "got[$p]" <<<"$(sum_bytes "$logf" "$from")"
done
same=0
for u in "${units[@]}"; do
  for dir in none cold warm; do cmp -s "$work/local/$u.o" "$work/$dir/$u.o" || { log "$u: $dir object differs"; continue 2; }; done
  same=$((same + 1))
done
hits=$(tail -n +"$mark" "$work/hc.log" | sed -n 's/.*header cache: \([0-9]*\) of \([0-9]*\) files.*/\1 \2/p' |
  awk '{ h += $1; t += $2 } END { printf "%d of %d", h, t }')
echo "  $n units of $(basename "$tarball" | sed 's/\.tar\..*//') bfd (-g -O2), pump mode, one job at a time, one build per pass"
printf '  %-26s %10s %10s %11s\n' "per job" "sent" "received" "client cpu"
for p in none cold warm; do
  label="header cache, $p"
  [ "$p" = none ] && label="no header cache"
  awk -v l="$label" -v i="${sent[$p]}" -v o="${got[$p]}" -v c="${cpu[$p]}" -v n="$n" \
    'BEGIN { printf "  %-26s %7.1f kB %7.1f kB %8.1f ms\n", l, i / n / 1000, o / n / 1000, c / n }'
done
awk -v w="${sent[warm]}" -v z="${sent[none]}" -v wo="${got[warm]}" -v zo="${got[none]}" 'BEGIN {
  printf "  sent with a warm cache / without: %.3f (target <= 0.20); both ways: %.3f\n", w / z, (w + wo) / (z + zo) }'
echo "  warm pass: $hits files from the cache; objects identical to local builds: $same of $n"
