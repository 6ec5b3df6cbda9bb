#!/usr/bin/env bash
# make demo: a loopback cluster of two distccd daemons builds this project's own
# engine through distcc, shows the monitor and the daemons' statistics, and
# stops the daemons.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
# The build tree is named relative to the top (make demo) or absolutely.
case "$build" in
/*) bin="$build/bin" ;;
*) bin="$top/$build/bin" ;;
esac
# Our programs only: the demo shows this project's client, daemon and
# monitor, so a missing one is an error, never a quiet switch to the
# system's distcc.
for prog in distcc distccd distccmon-text pump; do
  if [ ! -x "$bin/$prog" ]; then
    echo "demo: $bin/$prog is not built: run make first (make demo builds it)" >&2
    exit 1
  fi
done
work=$(mktemp -d /tmp/distcc-demo.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

client="$bin/distcc"
monitor="$bin/distccmon-text"

mkdir -p "$work/whitelist" "$work/tmp" "$work/distcc"
chmod 1777 "$work/tmp"
machine=$(gcc -dumpmachine)
for name in gcc cc "$machine-gcc"; do ln -s /usr/bin/distcc "$work/whitelist/$name"; done

# Four distinct free ports (jobs and statistics for each daemon), from the
# kernel's socket tables: the demo needs nothing the build does not.
mapfile -t ports < <("$top/scripts/free-port.sh" 4)
[ "${#ports[@]}" -eq 4 ] || { echo "demo: no free TCP ports found" >&2; exit 1; }
hosts=""
for i in 1 2; do
  port=${ports[2 * i - 2]}
  stats=${ports[2 * i - 1]}
  # One loopback address each (127.0.0.1, 127.0.0.2), so the monitor shows
  # them as two hosts.
  TMPDIR="$work/tmp" "$bin/distccd" --no-detach --daemon --listen "127.0.0.$i" --port "$port" --stats \
    --stats-port "$stats" --log-file "$work/distccd$i.log" --whitelist-dir "$work/whitelist" --jobs 4 \
    --lifetime 600 &
  pids+=($!)
  hosts="$hosts 127.0.0.$i:$port/4,lzo"
  eval "stats$i=$stats"
done
sleep 0.5
echo "== two daemons on loopback:$hosts"
echo "== client: $client"

# No local fallback: a job the daemons do not compile fails the build
# instead of quietly compiling here.
export DISTCC_HOSTS="$hosts" DISTCC_DIR="$work/distcc" DISTCC_FALLBACK=0
# Build a copy, so nothing the build writes lands in the source tree.
src="$work/src"
mkdir -p "$src"
cp -r "$top/engine" "$top/Makefile" "$top/scripts" "$top/VERSION" "$src/"
start=$(date +%s%N)
make -C "$src" --no-print-directory -j8 BUILD="$work/objects" CC="$client gcc" \
  "$work/objects/libdcc.a" >"$work/make.log" 2>&1 &
make_pid=$!
# Show the monitor while the build runs: from the first job the client
# starts (make reads the Makefile first), three times.
for _ in $(seq 50); do
  compgen -G "$work/distcc/state/binstate_*" >/dev/null && break
  kill -0 "$make_pid" 2>/dev/null || break
  sleep 0.1
done
for _ in 1 2 3; do
  sleep 0.4
  kill -0 "$make_pid" 2>/dev/null || break
  echo "== distccmon-text"
  "$monitor" || true
done
wait "$make_pid" || { cat "$work/make.log"; echo "demo: the build failed" >&2; exit 1; }
end=$(date +%s%N)
objects=$(find "$work/objects" -name '*.o' | wc -l)
ms=$(((end - start) / 1000000))
printf '== built %d objects of libdcc through the cluster in %d.%03d s\n' "$objects" $((ms / 1000)) $((ms % 1000))

# Jobs each daemon compiled so far, from its log.
compiled() { grep -c ': compiled, exit 0' "$work/distccd$1.log" || true; }
# Fails the demo when the daemons compiled fewer jobs than the build has
# objects: then the build did not (all) go through the cluster.
check_jobs() {
  local what=$1 want=$2 one two
  one=$(($(compiled 1) - $3))
  two=$(($(compiled 2) - $4))
  echo "== the daemons compiled $((one + two)) jobs for $want objects: $one on daemon 1, $two on daemon 2"
  if [ $((one + two)) -lt "$want" ] || [ "$want" -eq 0 ]; then
    echo "demo: the daemons compiled $((one + two)) jobs for the $want objects of the $what: it did not go through the cluster" >&2
    exit 1
  fi
}
check_jobs build "$objects" 0 0
before1=$(compiled 1)
before2=$(compiled 2)

# Pump mode: the daemons preprocess; the client only scans for headers.
echo "== the same build in pump mode (hosts marked ,cpp,lzo; preprocessing on the daemons)"
start=$(date +%s%N)
DISTCC_HOSTS="${hosts//,lzo/,cpp,lzo}" "$bin/pump" make -C "$src" --no-print-directory -j8 \
  BUILD="$work/objects-pump" CC="$client gcc" "$work/objects-pump/libdcc.a" >"$work/make-pump.log" 2>&1 ||
  { cat "$work/make-pump.log"; echo "demo: the pump build failed" >&2; exit 1; }
end=$(date +%s%N)
ms=$(((end - start) / 1000000))
pumped=$(cat "$work/distccd1.log" "$work/distccd2.log" | grep -c ', pump,' || true)
objects=$(find "$work/objects-pump" -name '*.o' | wc -l)
printf '== built %d objects in %d.%03d s; %d of them compiled in pump mode\n' \
  "$objects" $((ms / 1000)) $((ms % 1000)) "$pumped"
check_jobs "pump build" "$objects" "$before1" "$before2"
for i in 1 2; do
  port_var="stats$i"
  echo "== daemon $i statistics (http://127.0.0.$i:${!port_var}/)"
  # Plain bash, so the demo needs no HTTP client installed.
  exec 7<>"/dev/tcp/127.0.0.$i/${!port_var}"
  printf 'GET / HTTP/1.0\r\n\r\n' >&7
  grep -E '^dcc_(tcp_accept|compile_ok|compile_error|other) ' <&7 || true
  exec 7<&-
done
echo "== stopping the daemons"
