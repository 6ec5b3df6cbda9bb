#!/usr/bin/env bash
# make bench, section (e): pump mode's coverage and scan CPU per unit on real
# code bases, before each is measured with bench/pump-coverage.sh (every
# accepted unit is checked against gcc's own dependency list):
#   binutils     Debian binutils-source, C: configure, then a build of bfd,
#                opcodes, binutils and gas with a recording compiler
#   linux        Debian linux-source-6.1, C: make defconfig, then kernel/
#   libstdc++    Debian gcc-12-source, C++: libstdc++-v3/src/c++{98,11,17,20}
#                against the installed headers
#   googletest   Debian googletest, C++
# A missing package skips its code base with a message. The records are kept
# in bench/out/pump (PUMP_BENCH_CACHE), so later runs only measure.
# Usage: bench/pump-codebases.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
distcc="$top/$build/bin/distcc"
cache=${PUMP_BENCH_CACHE:-$top/bench/out/pump}
mkdir -p "$cache"
log() { echo "pump-bench: $*" >&2; }
nproc=$(nproc)

record_binutils() {
  local tarball d=$cache/binutils
  tarball=$(find /usr/src/binutils -maxdepth 1 -name 'binutils-*.tar.*' 2>/dev/null | sort | head -1)
  [ -n "$tarball" ] || { log "binutils: skipped (apt-get install binutils-source)"; return 1; }
  [ -f "$d/done" ] && return 0
  log "binutils: configure and a recorded build of bfd, opcodes, binutils, gas (once)"
  rm -rf "$d" && mkdir -p "$d/rec" "$d/build"
  tar xf "$tarball" -C "$d"
  local configure
  configure=$(echo "$d"/binutils-*/configure)
  (cd "$d/build" && PUMP_RECORD_DIR="$d/rec" "$configure" CC="$top/bench/pump-record-cc" \
    CFLAGS="-g -O2" --disable-werror --without-debuginfod --disable-gdb --disable-gprofng --disable-sim \
    >configure.log 2>&1 && PUMP_RECORD_DIR="$d/rec" make -j"$nproc" all-bfd all-opcodes all-binutils all-gas \
    >make.log 2>&1) || { log "binutils: the build failed, see $d/build"; return 1; }
  touch "$d/done"
}

record_linux() {
  local d=$cache/linux
  [ -f /usr/src/linux-source-6.1.tar.xz ] || { log "linux: skipped (apt-get install linux-source-6.1)"; return 1; }
  [ -f "$d/done" ] && return 0
  log "linux: defconfig and a recorded build of kernel/ (once)"
  rm -rf "$d" && mkdir -p "$d/rec"
  tar xf /usr/src/linux-source-6.1.tar.xz -C "$d"
  # The kernel needs its optimisation: recorded compiles run as they are.
  (cd "$d"/linux-source-6.1 && make defconfig >../defconfig.log 2>&1 && make -j"$nproc" prepare >../prepare.log 2>&1 &&
    PUMP_RECORD_FAST=0 PUMP_RECORD_DIR="$d/rec" make -j"$nproc" CC="$top/bench/pump-record-cc" kernel/ \
      >../kernel.log 2>&1) || { log "linux: the build failed, see $d"; return 1; }
  touch "$d/done"
}

record_libstdcxx() {
  local tarball d=$cache/libstdc++ src n=0 sub std f b
  tarball=$(find /usr/src/gcc-12 -maxdepth 1 -name 'gcc-12*.tar.*' 2>/dev/null | sort | head -1)
  [ -n "$tarball" ] || { log "libstdc++: skipped (apt-get install gcc-12-source)"; return 1; }
  [ -f "$d/done" ] && return 0
  rm -rf "$d" && mkdir -p "$d/rec"
  tar xf "$tarball" -C "$d" --wildcards '*/libstdc++-v3/src/*' '*/libstdc++-v3/include/*' '*/libstdc++-v3/config/*'
  src=$(echo "$d"/gcc-*/libstdc++-v3/src)
  for sub in c++98 c++11 c++17 c++20; do
    std=gnu++${sub#c++}
    for f in "$src/$sub"/*.cc; do
      n=$((n + 1))
      b=$(basename "$f" .cc)
      printf '%s\0' "$src/$sub" g++ "-std=$std" -fno-implicit-templates -O2 -g -D_GNU_SOURCE \
        -D_GLIBCXX_SHARED -fPIC -DPIC -o "$b.o" -c "$b.cc" >"$d/rec/rec.$n"
    done
  done
  touch "$d/done"
}

record_googletest() {
  local d=$cache/googletest n=0 f dir b
  [ -d /usr/src/googletest/googletest/src ] || { log "googletest: skipped (apt-get install googletest)"; return 1; }
  [ -f "$d/done" ] && return 0
  rm -rf "$d" && mkdir -p "$d/rec"
  for f in /usr/src/googletest/googletest/src/*.cc /usr/src/googletest/googlemock/src/*.cc; do
    n=$((n + 1))
    dir=$(dirname "$(dirname "$f")")
    b=$(basename "$f" .cc)
    printf '%s\0' "$dir" g++ -std=gnu++17 -O2 -g -I"$dir/include" -I"$dir" \
      -I/usr/src/googletest/googletest/include -I/usr/src/googletest/googletest \
      -o "$d/$b.o" -c "src/$b.cc" >"$d/rec/rec.$n"
  done
  touch "$d/done"
}

for base in ${PUMP_BENCH_BASES:-binutils linux libstdc++ googletest}; do
  fn=record_${base//+/x}
  "$fn" || continue
  PUMP_COVERAGE_CHECK=1 "$top/bench/pump-coverage.sh" "$distcc" "$base" "$cache/$base"/rec/rec.* || true
done
