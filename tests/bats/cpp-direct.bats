#!/usr/bin/env bats
# The client's cpp without gcc's driver: the first job of an argument shape
# asks the driver (gcc -###) which cc1 line it would run and keeps it under
# $DISTCC_DIR/cc1; later jobs of that shape run cc1 themselves. The driver
# still runs for shapes it must see (-x, -save-temps, plugins ...) and with
# DISTCC_CPP_DIRECT=0. Objects match a local build without -g and the
# driver's plain-mode object with -g.
# The "gcc" here is a logging program in front of the real one, first on PATH.

load common

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  # What decides how cpp runs here; DISTCC_HOSTS comes with each job.
  unset DISTCC_CPP_DIRECT DISTCC_DIRECTIVES_ONLY DISTCC_SAVE_TEMPS DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES \
    INCLUDE_SERVER_PORT CPATH C_INCLUDE_PATH
  export LC_ALL=C DISTCC_TOOLCHAIN_MATCH=off DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir" TMPDIR="$BATS_TEST_TMPDIR/tmp"
  mkdir -p "$TMPDIR" wrap
  # A program, not a script: a script is a wrapper and always runs as it is.
  printf '%s\n' '#include <stdio.h>' '#include <unistd.h>' 'int main(int argc, char **argv)' '{' \
    '    FILE *f = fopen(LOG, "a");' '    for (int i = 1; f && i < argc; i++)' \
    '        fprintf(f, "%s%s", i > 1 ? " " : "", argv[i]);' '    if (f) {' '        fputc(10, f);' \
    '        fclose(f);' '    }' '    argv[0] = "/usr/bin/gcc";' '    execv(argv[0], argv);' '    return 127;' '}' >wrap.c
  cc -DLOG="\"$BATS_TEST_TMPDIR/driver.log\"" -o wrap/gcc wrap.c
  export PATH="$BATS_TEST_TMPDIR/wrap:$PATH"
  printf '#include <stdio.h>\n#define GREETING(n) printf("hello %%d\\n", (n) * FACTOR)\nint main(void) { GREETING(21); return 0; }\n' >one.c
  printf '#include <stdio.h>\nint two(void) { return puts("two") + FACTOR; }\n' >two.c
  chmod -R a+rX "$BATS_TEST_TMPDIR"
}

teardown() {
  dcc_stop_distccd
}

our_distcc() {
  DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 DISTCC_BACKOFF_PERIOD=0 "$DCC_BIN/distcc" "$@"
}

@test "the first job of a shape asks the driver once (-###); the next ones run cc1 alone, objects as through the driver" {
  dcc_start_distccd
  # With -g a plain-mode object is the driver's plain-mode object (macro
  # columns differ from a local build, see README), byte for byte.
  for f in one two; do
    DISTCC_CPP_DIRECT=0 DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -g -O2 -DFACTOR=2 -c $f.c -o ref-$f.o
    [ "$status" -eq 0 ]
  done
  : >driver.log

  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -g -O2 -DFACTOR=2 -c one.c -o one.o
  [ "$status" -eq 0 ]
  cmp one.o ref-one.o
  grep -q -- '^-### -g -O2 -DFACTOR=2 -E one.c -o ' driver.log
  [ "$(wc -l <driver.log)" -eq 1 ]
  [ "$(ls "$DISTCC_DIR/cc1" | wc -l)" -eq 1 ]

  : >driver.log
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -g -O2 -DFACTOR=2 -c two.c -o two.o
  [ "$status" -eq 0 ]
  cmp two.o ref-two.o
  [ ! -s driver.log ]
  [ "$(ls "$DISTCC_DIR/cc1" | wc -l)" -eq 1 ]
}

@test "another shape is learned apart; without -g the objects match too" {
  dcc_start_distccd
  /usr/bin/gcc -O2 -DFACTOR=3 -c one.c -o local-one.o
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -O2 -DFACTOR=2 -c one.c -o one.o
  [ "$status" -eq 0 ]
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -O2 -DFACTOR=3 -c one.c -o one.o
  [ "$status" -eq 0 ]
  cmp one.o local-one.o
  [ "$(grep -c -- '^-### ' driver.log)" -eq 2 ]
  [ "$(ls "$DISTCC_DIR/cc1" | wc -l)" -eq 2 ]
}

@test "dependency files as automake asks for them: each job's own names, the second job without the driver" {
  dcc_start_distccd
  mkdir -p .deps
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -O2 -DFACTOR=2 -MT one.o -MD -MP -MF .deps/one.Tpo -c one.c -o one.o
  [ "$status" -eq 0 ]
  [ "$(grep -c -- '^-### ' driver.log)" -eq 1 ]
  : >driver.log
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -O2 -DFACTOR=2 -MT two.o -MD -MP -MF .deps/two.Tpo -c two.c -o two.o
  [ "$status" -eq 0 ]
  [ ! -s driver.log ]
  /usr/bin/gcc -O2 -DFACTOR=2 -MT two.o -MD -MP -MF local-two.d -c two.c -o local-two.o
  cmp two.o local-two.o
  diff .deps/two.Tpo local-two.d
  head -1 .deps/one.Tpo | grep -q '^one.o: one.c'
}

@test "a shape the driver must see (-x c) goes through it, and nothing is kept" {
  dcc_start_distccd
  /usr/bin/gcc -O2 -DFACTOR=2 -c one.c -o local-one.o
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -O2 -DFACTOR=2 -x c -c one.c -o one.o
  [ "$status" -eq 0 ]
  cmp one.o local-one.o
  grep -q -- '-x c -E one.c' driver.log
  ! grep -q -- '^-### ' driver.log
  [ ! -d "$DISTCC_DIR/cc1" ] || [ -z "$(ls "$DISTCC_DIR/cc1")" ]
}

@test "with DISTCC_CPP_DIRECT=0 every job runs gcc -E through the driver" {
  dcc_start_distccd
  for i in 1 2; do
    DISTCC_CPP_DIRECT=0 DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -O2 -DFACTOR=2 -c one.c -o one.o
    [ "$status" -eq 0 ]
  done
  [ "$(grep -c -- '-E one.c -o ' driver.log)" -eq 2 ]
  ! grep -q -- '^-### ' driver.log
  [ ! -d "$DISTCC_DIR/cc1" ]
}

@test "a compiler that is a script (a wrapper) always runs as it is" {
  dcc_start_distccd
  printf '#!/bin/sh\necho "$*" >>%s/script.log\nexec /usr/bin/gcc "$@"\n' "$BATS_TEST_TMPDIR" >wrap/gcc
  chmod +x wrap/gcc
  for i in 1 2; do
    DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -O2 -DFACTOR=2 -c one.c -o one.o
    [ "$status" -eq 0 ]
  done
  [ "$(grep -c -- '-E one.c -o ' script.log)" -eq 2 ]
  ! grep -q -- '^-### ' script.log
  [ ! -d "$DISTCC_DIR/cc1" ] || [ -z "$(ls "$DISTCC_DIR/cc1")" ]
}

@test "cc1 runs with -fno-canonical-system-headers; a system header behind a link to a shorter path makes it run again: the object names the header as a local build does" {
  dcc_start_distccd
  mkdir -p real a/rather/long/directory
  ln -s "$BATS_TEST_TMPDIR/real" a/rather/long/directory/sys
  printf 'static inline const char *where(void) { return __FILE__; }\n' >real/h.h
  printf '#include <h.h>\n#include <stdio.h>\nconst char *w(void) { puts("w"); return where(); }\n' >canon.c
  sys="$BATS_TEST_TMPDIR/a/rather/long/directory/sys"
  /usr/bin/gcc -O2 -isystem "$sys" -c canon.c -o local.o
  /usr/bin/gcc -O2 -c one.c -DFACTOR=2 -o local-one.o
  strings local.o | grep -qx "$BATS_TEST_TMPDIR/real/h.h"
  for i in 1 2; do
    DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -O2 -isystem "$sys" -c canon.c -o canon.o
    [ "$status" -eq 0 ]
    cmp canon.o local.o
    DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc gcc -O2 -DFACTOR=2 -c one.c -o one.o
    [ "$status" -eq 0 ]
    cmp one.o local-one.o
  done
  grep -q -- '-fno-canonical-system-headers' "$DISTCC_DIR"/cc1/*.json
  [ "$(grep -c -- '^-### ' driver.log)" -eq 2 ]
}
