#!/usr/bin/env bash
# Makes docs/distccmon-gui.png: distccmon-gui under Xvfb, watching a real build spread over two local distccd helpers with --stats.
#   scripts/gui-screenshot.sh [BUILD] [OUT.png]
# Needs a build with distccmon-gui, Xvfb and xwd (scripts/deps.sh). Every
# server it starts is bounded by timeout or --lifetime and stopped by pid.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
out=${2:-$top/docs/distccmon-gui.png}
bin=$build/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/dcc-shot.XXXXXX")
chmod 0755 "$work"
pids=()
cleanup() {
  local i
  # Newest first: the build and the monitor before the helpers they use.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[ -x "$bin/distccmon-gui" ] || { echo "gui-screenshot: no $bin/distccmon-gui (make WITH_GTK=1)" >&2; exit 1; }
read -ra pixbuf <<<"$(pkg-config --cflags --libs gdk-pixbuf-2.0)"
cc -std=gnu11 -O2 -o "$work/xwd-check" "$top/tests/bats/xwd-check.c" "${pixbuf[@]}"

timeout 600 Xvfb -displayfd 3 -nolisten tcp -screen 0 1400x1000x24 3>"$work/display" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
DISPLAY=":$(cat "$work/display")"
export DISPLAY NO_AT_BRIDGE=1 GDK_BACKEND=x11

# Two helpers on two loopback addresses, the same ports: the monitor asks
# each for /stats.json and /toolchain on the one --stats-port.
port=$("$top/scripts/free-port.sh")
sport=$("$top/scripts/free-port.sh")
mkdir -p "$work/wl" "$work/tmp"
chmod 1777 "$work/tmp"
for name in gcc cc "$(gcc -dumpmachine)-gcc"; do ln -s /usr/bin/distcc "$work/wl/$name"; done
ln -s . "$work/wl/bin"
for addr in 127.0.0.1 127.0.0.2; do
  TMPDIR="$work/tmp" "$bin/distccd" --no-detach --daemon --listen "$addr" --port "$port" --stats \
    --stats-port "$sport" --whitelist-dir "$work/wl" --lifetime 300 --jobs 3 \
    --log-file "$work/distccd-$addr.log" &
  pids+=($!)
done
sleep 1

# A build of a few dozen units, six at a time, as make -j6 would run it.
mkdir -p "$work/src" "$work/distcc/state"
for ((f = 0; f < 60; f++)); do
  for ((i = 0; i < 80; i++)); do
    echo "int f${f}_$i(int x) { int s = 0; for (int k = 0; k < x; k++) s += k * $i ^ (s >> 3); return s; }"
  done >"$work/src/module$f.c"
done
export DISTCC_DIR="$work/distcc" DISTCC_HOSTS="127.0.0.1:$port/3 127.0.0.2:$port/3 localhost/1"
(
  cd "$work/src"
  for f in module*.c; do
    "$bin/distcc" gcc -O2 -c "$f" -o "${f%.c}.o" &
    while [ "$(jobs -rp | wc -l)" -ge 6 ]; do wait -n; done
  done
  wait
) >"$work/build.log" 2>&1 &
pids+=($!)

"$bin/distccmon-gui" --interval 0.25 --stats-port "$sport" 2>/dev/null &
pids+=($!)
# Long enough into the build for the strips to show a few jobs each.
sleep 12
xwd -display "$DISPLAY" -name "distcc monitor: $DISTCC_DIR" -out "$work/shot.xwd"
mkdir -p "$(dirname "$out")"
"$work/xwd-check" "$work/shot.xwd" --near 33b340 --png "$out"
echo "wrote $out"
