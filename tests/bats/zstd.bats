#!/usr/bin/env bats
# ,zstd hosts: our client sends zstd frames to a helper of ours that offers
# zstd (learned once with CAPS) and gets zstd back, and with
# DISTCC_DIRECTIVES_ONLY=1 its gcc leaves the macros to the helper
# (-fdirectives-only); to a stock distccd it speaks
# protocol 2 (LZO, gcc -E) as for ,lzo, saying so only in DISTCC_VERBOSE.
# Plain and pump mode; objects match a local build.

load common

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES INCLUDE_SERVER_DIR INCLUDE_SERVER_PORT INCLUDE_SERVER_PID \
    DISTCC_HELPER_TTL DISTCC_ZSTD_LEVEL CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH
  export LC_ALL=C
  # What is compared here is the compression; a stock helper is not also
  # asked for its toolchain (that probe is a job of its own: dispatch.bats).
  export DISTCC_TOOLCHAIN_MATCH=off
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  export TMPDIR="$BATS_TEST_TMPDIR/tmp"
  mkdir -p "$TMPDIR"
  # Big enough that the level shows in the bytes sent.
  cat >big.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
int main(int argc, char **argv)
{
    printf("hello %d %s\n", argc, strlen(argv[0]) ? "from zstd" : "");
    return 0;
}
EOF
  mkdir -p proj/src proj/include
  printf '#include <stdio.h>\n#include "util.h"\nint main(void) { printf("%%d\\n", twice(21)); return 0; }\n' >proj/src/main.c
  printf '#include "../include/factor.h"\nstatic inline int twice(int x) { return FACTOR * x; }\n' >proj/src/util.h
  printf '#define FACTOR 2\n' >proj/include/factor.h
  chmod -R a+rX "$BATS_TEST_TMPDIR"
}

teardown() {
  dcc_stop_distccd
  dcc_stop_pid "${STOCK_PID:-}"
  STOCK_PID=
  [ -n "${STOCK_DIR:-}" ] && rm -rf "$STOCK_DIR"
  STOCK_DIR=
}

# Our client, no silent local fallback.
our_distcc() {
  DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 DISTCC_BACKOFF_PERIOD=0 "$DCC_BIN/distcc" "$@"
}

# The bytes a job brought to our daemon, from its log line (the last job).
bytes_in() {
  grep ': compiled, exit 0' "$DAEMON_LOG" | tail -1 | sed -E 's/.* ([0-9]+) bytes in, .*/\1/'
}

@test "a ,zstd job on our distccd goes as zstd both ways and matches a local build" {
  dcc_start_distccd
  gcc -O2 -c big.c -o local.o

  DISTCC_VERBOSE=1 DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,zstd" run our_distcc gcc -O2 -c big.c -o big.o
  [ "$status" -eq 0 ]
  grep -q "debug: connecting to 127.0.0.1:$DAEMON_PORT/4,zstd for big.c (protocol 2, zstd)" <<<"$output"
  cmp big.o local.o
  grep -q "gcc big.c: compiled, exit 0, zstd, " "$DAEMON_LOG"
  # The helper is asked once what it is; the next job uses what was learned.
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,zstd" run our_distcc gcc -O2 -c big.c -o big.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  cmp big.o local.o
  [ "$(grep -c 'capabilities asked' "$DAEMON_LOG")" -eq 1 ]
  [ "$(grep -c 'compiled, exit 0, zstd, ' "$DAEMON_LOG")" -eq 2 ]
}

@test "a compile error comes back through zstd as the helper's compiler wrote it" {
  dcc_start_distccd
  printf 'int main(void) { return nosuch; }\n' >bad.c

  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,zstd" run our_distcc gcc -c bad.c -o bad.o
  [ "$status" -eq 1 ]
  [ "${lines[1]}" = "bad.c:1:25: error: 'nosuch' undeclared (first use in this function)" ]
  grep -q "gcc bad.c: compile failed, exit 1, zstd, " "$DAEMON_LOG"
}

@test "the zstd level comes from ,zstd=LEVEL, else DISTCC_ZSTD_LEVEL, and changes what is sent" {
  dcc_start_distccd
  gcc -O2 -c big.c -o local.o

  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,zstd" run our_distcc gcc -O2 -c big.c -o big.o
  [ "$status" -eq 0 ]
  fast=$(bytes_in)
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,zstd=19" run our_distcc gcc -O2 -c big.c -o big.o
  [ "$status" -eq 0 ]
  cmp big.o local.o
  small=$(bytes_in)
  DISTCC_ZSTD_LEVEL=19 DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,zstd" run our_distcc gcc -O2 -c big.c -o big.o
  [ "$status" -eq 0 ]
  cmp big.o local.o
  [ "$(bytes_in)" -eq "$small" ]
  [ "$small" -lt "$fast" ]
}

@test "a ,zstd host that is stock distccd gets protocol 2 with LZO, said only in DISTCC_VERBOSE" {
  dcc_start_stock_distccd --log-level debug
  gcc -O2 -c big.c -o local.o

  DISTCC_HOSTS="127.0.0.1:$STOCK_PORT,zstd" run our_distcc gcc -O2 -c big.c -o big.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  cmp big.o local.o
  # Stock read an ordinary protocol 2 job and inflated its LZO.
  grep -q "(dcc_r_token_int) got DIST00000002\$" "$STOCK_LOG"
  grep -q "(dcc_r_bulk_lzo1x) decompressed" "$STOCK_LOG"
  [ "$(grep -c "COMPILE_OK exit:0" "$STOCK_LOG")" -eq 1 ]
  # The CAPS question was its one derailment; the answer is kept.
  DISTCC_VERBOSE=1 DISTCC_HOSTS="127.0.0.1:$STOCK_PORT,zstd" run our_distcc gcc -O2 -c big.c -o big.o
  [ "$status" -eq 0 ]
  grep -q "debug: 127.0.0.1:$STOCK_PORT/4,zstd: not using zstd: the helper is a stock distccd" <<<"$output"
  grep -q "(protocol 2, lzo)" <<<"$output"
  [ "$(grep -c "COMPILE_OK exit:0" "$STOCK_LOG")" -eq 2 ]
  [ "$(grep -c "got DIST0000000[0-9a-f]\$" "$STOCK_LOG")" -eq 2 ]
  [ "$(grep -c "got DIST00000002\$" "$STOCK_LOG")" -eq 2 ]
}

@test "a helper of ours replaced by stock distccd: the zstd job fails over, the next one asks again" {
  dcc_start_distccd
  port=$DAEMON_PORT
  DISTCC_HOSTS="127.0.0.1:$port,zstd" run our_distcc gcc -c big.c -o big.o
  [ "$status" -eq 0 ]
  dcc_stop_distccd
  # Stock on the same port; the client still believes it speaks zstd.
  STOCK_PORT_WANTED=$port dcc_start_stock_distccd

  DISTCC_HOSTS="127.0.0.1:$port,zstd" run our_distcc gcc -c big.c -o big.o
  [ "$status" -ne 0 ]
  grep -q "failed to distribute big.c to 127.0.0.1:$port/4,zstd" <<<"$output"
  DISTCC_HOSTS="127.0.0.1:$port,zstd" run our_distcc gcc -c big.c -o big.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(grep -c "COMPILE_OK exit:0" "$STOCK_LOG")" -eq 1 ]
}

@test "pump mode with ,cpp,zstd sends the files and gets the object as zstd" {
  dcc_start_distccd
  cd proj
  gcc -O2 -Isrc -Iinclude -MD -c src/main.c -o local.o
  rm -f local.d

  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,cpp,zstd" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 \
    run "$DCC_BIN/pump" "$DCC_BIN/distcc" gcc -O2 -Isrc -Iinclude -MD -c src/main.c -o main.o
  [ "$status" -eq 0 ]
  cmp main.o local.o
  grep -q "include/factor.h" main.d
  grep -q "gcc main.c: compiled, exit 0, pump, zstd, " "$DAEMON_LOG"
  gcc main.o -o main
  [ "$(./main)" = 42 ]
}

@test "distcc --show-hosts prints ,zstd and its level; a bad level is a bad host spec" {
  DISTCC_HOSTS="a,zstd b,cpp,zstd=9 c,lzo" run "$DCC_BIN/distcc" --show-hosts
  [ "$status" -eq 0 ]
  [ "$output" = "a:3632/4,zstd
b:3632/4,cpp,zstd=9
c:3632/4,lzo" ]
  DISTCC_HOSTS="a,zstd=99" run "$DCC_BIN/distcc" --show-hosts
  [ "$status" -eq 106 ]
  [[ "$output" == *'bad host specification "a,zstd=99": zstd level "99" is not a number 1-19'* ]]
}

# A source whose macros only the compiler expands.
macro_source() {
  cat >macro.c <<'SRC'
#include <stdio.h>
#define SQUARE(x) ((x) * (x))
#define SHOW(v) printf("%d %s\n", SQUARE(v), #v)
int main(void)
{
    int seven = 7;
    SHOW(seven);
    return 0;
}
SRC
}

@test "with DISTCC_DIRECTIVES_ONLY=1 a ,zstd helper of ours gets directives-only source and the object matches a local build" {
  dcc_start_distccd
  macro_source
  gcc -O2 -c macro.c -o local.o

  DISTCC_DIRECTIVES_ONLY=1 DISTCC_VERBOSE=1 DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,zstd" run our_distcc gcc -O2 -c macro.c -o macro.o
  [ "$status" -eq 0 ]
  grep -q "debug: connecting to 127.0.0.1:$DAEMON_PORT/4,zstd for macro.c (protocol 2, zstd, directives-only)" <<<"$output"
  cmp macro.o local.o
  grep -q "gcc macro.c: compiled, exit 0, zstd, directives-only, " "$DAEMON_LOG"
  gcc macro.o -o macro
  [ "$(./macro)" = "49 seven" ]
}

@test "with -g, a directives-only object differs from a local one only in the producer string, and not at all without it" {
  dcc_start_distccd
  macro_source
  gcc -g -O2 -c macro.c -o local.o

  DISTCC_DIRECTIVES_ONLY=1 DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,zstd" run our_distcc gcc -g -O2 -c macro.c -o macro.o
  [ "$status" -eq 0 ]
  grep -q "gcc macro.c: compiled, exit 0, zstd, directives-only, " "$DAEMON_LOG"
  # The debug info and line table as objdump reads them, without the
  # offsets into the string table (a longer producer string moves them).
  dwarf() { objdump --dwarf=info,line "$1" | tail -n +4 | sed -E 's/offset: 0x[0-9a-f]+//'; }
  run diff <(dwarf local.o) <(dwarf macro.o)
  [ "$status" -eq 1 ]
  [ "$(grep -c '^[<>]' <<<"$output")" -eq 2 ]
  [[ "${lines[1]}" == *"DW_AT_producer"*"-g -O2 -fasynchronous-unwind-tables" ]]
  [[ "${lines[3]}" == *"DW_AT_producer"*"-g -O2 -fdirectives-only -fasynchronous-unwind-tables" ]]
  # Without the switches in the producer, nothing is left to differ.
  gcc -g -gno-record-gcc-switches -O2 -c macro.c -o local.o
  DISTCC_DIRECTIVES_ONLY=1 DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,zstd" run our_distcc gcc -g -gno-record-gcc-switches -O2 -c macro.c -o macro.o
  [ "$status" -eq 0 ]
  cmp macro.o local.o
}

@test "by default (DISTCC_DIRECTIVES_ONLY=0) a helper of ours gets gcc -E output" {
  dcc_start_distccd
  macro_source
  gcc -O2 -c macro.c -o local.o

  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,zstd" run our_distcc gcc -O2 -c macro.c -o macro.o
  [ "$status" -eq 0 ]
  cmp macro.o local.o
  grep -q "gcc macro.c: compiled, exit 0, zstd, [0-9]* ms" "$DAEMON_LOG"
  ! grep -q "directives-only" "$DAEMON_LOG"
}

@test "a stock helper named ,zstd gets gcc -E output" {
  dcc_start_stock_distccd --log-level debug
  macro_source
  gcc -O2 -c macro.c -o local.o

  DISTCC_DIRECTIVES_ONLY=1 DISTCC_HOSTS="127.0.0.1:$STOCK_PORT,zstd" run our_distcc gcc -O2 -c macro.c -o macro.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  cmp macro.o local.o
  grep -q "(dcc_r_bulk_lzo1x) decompressed [0-9]* bytes to $(gcc -O2 -E macro.c | wc -c) bytes" "$STOCK_LOG"
}
