#!/usr/bin/env bats
# Our distcc client against Debian's stock distccd 3.4, as on a network where
# some helpers still run the stock daemon. (Stock client against our daemon:
# distccd.bats.)

load common

setup() {
  dcc_need_tool /usr/bin/distccd
  cd "$BATS_TEST_TMPDIR"
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  # These tests count stock's requests: no probe compile of its toolchain
  # (dispatch.bats has those).
  export DISTCC_TOOLCHAIN_MATCH=off
  printf '#include <stdio.h>\nint main(void) { puts("hello from distcc"); return 0; }\n' >hello.c
  # At debug level stock names the protocol of each request and every LZO
  # body it inflates or deflates: what proves which protocol was spoken.
  dcc_start_stock_distccd --log-level debug
}

teardown() {
  dcc_stop_pid "${STOCK_PID:-}"
  STOCK_PID=
  [ -n "${STOCK_DIR:-}" ] && rm -rf "$STOCK_DIR"
  STOCK_DIR=
}

# Our client, no silent local fallback: a job that does not compile on the
# stock helper fails instead.
our_distcc() {
  DISTCC_HOSTS="${HOSTS:-127.0.0.1:$STOCK_PORT}" DISTCC_FALLBACK=0 "$DCC_BIN/distcc" "$@"
}

stock_compiled() {
  stock_done
  grep -c "COMPILE_OK exit:0" "$STOCK_LOG" || true
}

# Stock distccd logs a job's summary (COMPILE_OK, COMPILE_ERROR, ...) after
# it has sent the result, so our client can be done first: waits (at most
# 10 s) for that line before a test reads the log.
stock_done() {
  local i
  for ((i = 0; i < 200; i++)); do
    grep -q "COMPILE_" "$STOCK_LOG" && return 0
    sleep 0.05
  done
  return 0 # the test's own grep says what is missing
}

# How many requests of protocol version $1 stock distccd read.
stock_requests() {
  grep -c "(dcc_r_token_int) got DIST0000000$1\$" "$STOCK_LOG" || true
}

@test "protocol 1 to stock distccd: the object matches a local build and links" {
  run our_distcc gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(stock_compiled)" -eq 1 ]
  grep -q "COMPILE_OK exit:0 .* $(gcc -dumpmachine)-gcc hello.c" "$STOCK_LOG"
  [ "$(stock_requests 1)" -eq 1 ]
  [ "$(stock_requests 2)" -eq 0 ]
  [ "$(grep -c "lzo1x" "$STOCK_LOG")" -eq 0 ]
  gcc -c hello.c -o local.o
  cmp hello.o local.o
  gcc hello.o -o hello
  [ "$(./hello)" = "hello from distcc" ]
}

@test "protocol 2 (,lzo) to stock distccd: -O2 object matches a local build" {
  HOSTS="127.0.0.1:$STOCK_PORT,lzo" run our_distcc gcc -O2 -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(stock_compiled)" -eq 1 ]
  gcc -O2 -c hello.c -o local.o
  cmp hello.o local.o
  # Protocol 2 both ways: stock read a version 2 request, inflated our LZO
  # source to the preprocessed size, answered version 2 and deflated the
  # object that we inflated above (cmp).
  [ "$(stock_requests 2)" -eq 1 ]
  [ "$(stock_requests 1)" -eq 0 ]
  grep -Eq "\(dcc_r_bulk_lzo1x\) decompressed [0-9]+ bytes to $(gcc -O2 -E hello.c | wc -c) bytes" "$STOCK_LOG"
  grep -q "(dcc_x_token_int) send DONE00000002$" "$STOCK_LOG"
  grep -q "(dcc_compress_lzo1x_alloc) compressed $(stat -c %s local.o) bytes to" "$STOCK_LOG"
}

@test "a C++ file through stock distccd with ,lzo compiles and links" {
  printf '#include <iostream>\n#include <vector>\nint main() { std::vector<int> v{1, 2}; std::cout << v.size() << "\\n"; }\n' >v.cpp
  HOSTS="127.0.0.1:$STOCK_PORT,lzo" run our_distcc g++ -c v.cpp -o v.o
  [ "$status" -eq 0 ]
  stock_done
  grep -q "COMPILE_OK exit:0 .* $(gcc -dumpmachine)-g++ v.cpp" "$STOCK_LOG"
  [ "$(stock_requests 2)" -eq 1 ]
  g++ v.o -o v
  [ "$(./v)" = "2" ]
}

@test "a compile error on stock distccd comes back with the compiler's message and status" {
  printf 'int main(void) { return missing; }\n' >bad.c
  DISTCC_SKIP_LOCAL_RETRY=1 HOSTS="127.0.0.1:$STOCK_PORT,lzo" run our_distcc gcc -c bad.c -o bad.o
  [ "$status" -eq 1 ]
  [[ "$output" == *"bad.c:1:25: error: 'missing' undeclared"* ]]
  [ ! -e bad.o ]
  stock_done
  grep -q "COMPILE_ERROR exit:1" "$STOCK_LOG"
  # The message above came back as an LZO body of protocol 2.
  [ "$(stock_requests 2)" -eq 1 ]
  grep -q "(dcc_x_token_int) send DONE00000002$" "$STOCK_LOG"
}

@test "-MD through stock distccd writes the same .d file as plain gcc" {
  mkdir -p sub inc
  printf '#include "inc/a.h"\nint f(void) { return A; }\n' >sub/x.c
  printf '#define A 1\n' >inc/a.h
  run our_distcc gcc -I. -MD -c sub/x.c -o sub/x.o
  [ "$status" -eq 0 ]
  mv sub/x.d distcc.d
  mv sub/x.o distcc.o
  gcc -I. -MD -c sub/x.c -o sub/x.o
  cmp sub/x.d distcc.d
  cmp sub/x.o distcc.o
  [ "$(stock_compiled)" -eq 1 ]
}
