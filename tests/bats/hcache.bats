#!/usr/bin/env bats
# The pump header cache (DCC_FEAT_HCACHE): our client names files by digest
# to a helper that offers "hcache", which keeps what it receives and asks
# only for what it lacks; a client cannot poison it, a job cannot change it,
# and stock peers see nothing of it.

load common

setup() {
  cd "$BATS_TEST_TMPDIR"
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_SKIP_LOCAL_RETRY \
    DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD INCLUDE_SERVER_DIR INCLUDE_SERVER_PORT INCLUDE_SERVER_PID \
    DISTCC_MAX_DISCREPANCY DISTCC_HELPER_TTL CPATH C_INCLUDE_PATH
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  export TMPDIR="$BATS_TEST_TMPDIR/tmp"
  mkdir -p "$TMPDIR" proj/src proj/include proj/obj
  printf '#include "util.h"\n#include <cfg.h>\nint value(void) { return twice(CFG_VALUE); }\n' >proj/src/main.c
  printf 'static inline int twice(int x) { return 2 * x; }\n' >proj/src/util.h
  printf '#define CFG_VALUE 21\n' >proj/include/cfg.h
  chmod -R a+rX "$BATS_TEST_TMPDIR"
  # The daemon's user (nobody, when the tests run as root) makes the cache
  # directory inside this one.
  HCACHE_PARENT=$(mktemp -d /tmp/dcc-hcache.XXXXXX)
  chmod 1777 "$HCACHE_PARENT"
  HCACHE="$HCACHE_PARENT/cache"
}

teardown() {
  dcc_stop_distccd
  dcc_stop_pid "${STOCK_PID:-}"
  STOCK_PID=
  [ -n "${STOCK_DIR:-}" ] && rm -rf "$STOCK_DIR"
  STOCK_DIR=
  [ -n "${FAKEBIN:-}" ] && rm -rf "$FAKEBIN"
  FAKEBIN=
  rm -rf "$HCACHE_PARENT"
}

pump_distcc() {
  local hosts=$1
  shift
  DISTCC_HOSTS="$hosts" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 "$DCC_BIN/pump" "$DCC_BIN/distcc" "$@"
}

compile_main() {
  (cd proj && pump_distcc "127.0.0.1:$DAEMON_PORT,cpp,lzo" gcc -g -O2 -Iinclude -c src/main.c -o "obj/$1")
}

# The daemon's "header cache: ..." lines, without the time stamp and pid.
cache_lines() {
  grep 'info: header cache: ' "$DAEMON_LOG" | sed 's/.*info: //'
}

# The "N bytes in" of the daemon's n-th compiled job.
bytes_in() {
  grep ': compiled, exit 0, pump' "$DAEMON_LOG" | sed -n "${1}p" | sed -E 's/.* ([0-9]+) bytes in.*/\1/'
}

@test "a second pump job sends no header bodies, and its object is a local build's" {
  dcc_start_distccd --header-cache-dir "$HCACHE"
  run compile_main first.o
  [ "$status" -eq 0 ]
  run compile_main second.o
  [ "$status" -eq 0 ]
  main=$(stat -c %s proj/src/main.c) util=$(stat -c %s proj/src/util.h) cfg=$(stat -c %s proj/include/cfg.h)
  total=$((main + util + cfg))
  diff -u - <(cache_lines) <<EOF
header cache: 0 of 3 files from the cache (0 bytes), 3 sent ($total bytes)
header cache: 3 of 3 files from the cache ($total bytes), 0 sent (0 bytes)
EOF
  [ "$(bytes_in 2)" -lt "$(bytes_in 1)" ]
  (cd proj && gcc -g -O2 -Iinclude -c src/main.c -o obj/local.o)
  cmp proj/obj/first.o proj/obj/local.o
  cmp proj/obj/second.o proj/obj/local.o
  # The helper said it keeps a cache, and the client remembers.
  grep -q '"hcache"' "$DISTCC_DIR"/helpers/*.json
}

@test "the cache survives a daemon restart, is private, and a changed header is sent again" {
  dcc_start_distccd --header-cache-dir "$HCACHE"
  run compile_main first.o
  [ "$status" -eq 0 ]
  dcc_stop_distccd
  [ "$(stat -c %a "$HCACHE")" = 700 ]
  [ -z "$(find "$HCACHE/o" -type f ! -perm 0400)" ]
  dcc_start_distccd --header-cache-dir "$HCACHE"
  grep -q "notice: header cache in $HCACHE: 3 headers" "$DAEMON_LOG"
  printf '#define CFG_VALUE 22\n' >proj/include/cfg.h
  run compile_main second.o
  [ "$status" -eq 0 ]
  size=$(stat -c %s proj/include/cfg.h)
  cache_lines | grep -qx "header cache: 2 of 3 files from the cache ([0-9]* bytes), 1 sent ($size bytes)"
  (cd proj && gcc -g -O2 -Iinclude -c src/main.c -o obj/local.o)
  cmp proj/obj/second.o proj/obj/local.o
}

@test "a client that claims another file's digest cannot poison the cache" {
  dcc_start_distccd --header-cache-dir "$HCACHE"
  dcc_cc_with_libdcc "$BATS_TEST_TMPDIR/hcache-client" "$DCC_TOP/tests/hostile/hcache-client.c"
  top=$BATS_TEST_TMPDIR/proj
  printf '#define CFG_VALUE 666\n' >evil.h
  # It names include/cfg.h by the honest file's digest, then sends evil.h.
  run "$BATS_TEST_TMPDIR/hcache-client" "$DAEMON_PORT" "$top" \
    "$top/src/main.c:$top/src/main.c:$top/src/main.c" "$top/src/util.h:$top/src/util.h:$top/src/util.h" \
    "$top/include/cfg.h:$top/include/cfg.h:$BATS_TEST_TMPDIR/evil.h" \
    -- gcc -O2 -Iinclude -c src/main.c -o obj/main.o
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "asked: 0 1 2" ]
  [ "${lines[1]}" = "status 109" ]
  [[ "${lines[2]}" == *"refused this job: NAME \"$top/include/cfg.h\" is refused: its FILE does not have the digest its DGST named" ]]
  # An honest client's job gets its own cfg.h: the helper asks for it.
  run compile_main honest.o
  [ "$status" -eq 0 ]
  size=$(stat -c %s proj/include/cfg.h)
  cache_lines | tail -1 | grep -qx "header cache: 2 of 3 files from the cache ([0-9]* bytes), 1 sent ($size bytes)"
  (cd proj && gcc -g -O2 -Iinclude -c src/main.c -o obj/local.o)
  cmp proj/obj/honest.o proj/obj/local.o
  # Every entry is filed under the digest of its own bytes.
  for f in $(find "$HCACHE/o" -type f); do
    [ "$(b2sum -l 256 "$f" | cut -d' ' -f1)" = "$(basename "$f")" ]
  done
}

@test "a job that writes to its headers does not change the cache (they are copies)" {
  # The helper's gcc appends to every header in its job before compiling
  # (--sandbox=off: a script is no toolchain).
  FAKEBIN=$(mktemp -d /tmp/dcc-fakebin.XXXXXX)
  chmod 755 "$FAKEBIN"
  cat >"$FAKEBIN/$(gcc -dumpmachine)-gcc" <<'EOF'
#!/bin/sh
for a in "$@"; do
  case "$a" in -fmacro-prefix-map=*) root=${a#-fmacro-prefix-map=}; root=${root%=} ;; esac
done
[ -z "$root" ] || find "$root" -name '*.h' -exec sh -c 'chmod u+w "$1"; echo "#error tampered" >>"$1"' _ {} \;
exec gcc "$@"
EOF
  chmod 755 "$FAKEBIN/$(gcc -dumpmachine)-gcc"
  PATH="$FAKEBIN:$PATH" dcc_start_distccd --sandbox=off --header-cache-dir "$HCACHE"
  run compile_main first.o
  [ "$status" -ne 0 ]
  [[ "$output" == *"#error tampered"* ]] || { echo "$output" >&2; false; }
  run compile_main second.o
  [ "$status" -ne 0 ]
  # The second job got the cached headers, untouched.
  cache_lines | tail -1 | grep -qx 'header cache: 3 of 3 files from the cache ([0-9]* bytes), 0 sent (0 bytes)'
  for f in $(find "$HCACHE/o" -type f); do
    [ "$(b2sum -l 256 "$f" | cut -d' ' -f1)" = "$(basename "$f")" ]
  done
  ! grep -rq tampered "$HCACHE"
}

@test "a helper without a cache gets files as in protocol 3, and offers no hcache" {
  dcc_start_distccd --header-cache-dir "$HCACHE" --header-cache-size 0
  run compile_main first.o
  [ "$status" -eq 0 ]
  grep -q "gcc main.c: compiled, exit 0, pump" "$DAEMON_LOG"
  ! grep -q 'header cache' "$DAEMON_LOG"
  grep -q 'warning: --header-cache-dir .* has no effect with --header-cache-size 0' "$DAEMON_LOG"
  ! grep -q '"hcache"' "$DISTCC_DIR"/helpers/*.json
  [ ! -e "$HCACHE" ]
}

@test "our pump client with stock distccd sends files as stock does" {
  dcc_start_stock_distccd
  run bash -c "cd proj && DISTCC_HOSTS='127.0.0.1:$STOCK_PORT,cpp,lzo' DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 \
    '$DCC_BIN/pump' '$DCC_BIN/distcc' gcc -O2 -Iinclude -c src/main.c -o obj/stock.o"
  [ "$status" -eq 0 ]
  (cd proj && gcc -O2 -Iinclude -c src/main.c -o obj/local.o)
  cmp proj/obj/stock.o proj/obj/local.o
  grep -q '"ours":false\|"ours": false' "$DISTCC_DIR"/helpers/*.json
}

@test "a request for the header cache is refused by a helper without one, and outside protocol 3" {
  dcc_start_distccd --header-cache-size 0
  # DIST 0x203 to a helper that offers no hcache; DIST 0x202 anywhere.
  run bash -c "printf 'DIST00000203' | timeout 10 bash -c 'cat >/dev/tcp/127.0.0.1/$DAEMON_PORT'; sleep 0.5"
  dcc_stop_pid "$DAEMON_PID"
  grep -q 'bad request from 127.0.0.1: unsupported protocol version 515' "$DAEMON_LOG"
  dcc_start_distccd --header-cache-dir "$HCACHE"
  run bash -c "printf 'DIST00000202' | timeout 10 bash -c 'cat >/dev/tcp/127.0.0.1/$DAEMON_PORT'; sleep 0.5"
  dcc_stop_pid "$DAEMON_PID"
  grep -q 'bad request from 127.0.0.1: unsupported protocol version 514' "$DAEMON_LOG"
}

@test "distccd refuses a header cache directory it cannot own" {
  dcc_need_root
  mkdir -m 0755 "$HCACHE_PARENT/theirs"
  chown 1 "$HCACHE_PARENT/theirs"
  port=$(dcc_free_port)
  mkdir -p wl && ln -s /usr/bin/distcc wl/gcc
  run "$DCC_BIN/distccd" --no-detach --daemon --port "$port" --log-stderr --whitelist-dir wl --lifetime 5 \
    --header-cache-dir "$HCACHE_PARENT/theirs"
  [ "$status" -eq 107 ]
  [[ "$output" == *"--header-cache-dir: the header cache directory $HCACHE_PARENT/theirs belongs to uid 1, not to the daemon's user (uid "*")"* ]]
}
