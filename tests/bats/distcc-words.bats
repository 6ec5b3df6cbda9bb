#!/usr/bin/env bats
# What admins grep for and scripts parse: --version, stock distcc 3.4's
# phrases when the client falls back, the DISTCC_VERBOSE story of one job,
# and the helper's stderr kept by DISTCC_SAVE_TEMPS. Our client against our
# distccd on loopback.

load common

setup() {
  cd "$BATS_TEST_TMPDIR" || return 1
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DISTCC_SSH DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  printf '#include <stdio.h>\nint main(void) { puts("hello from distcc"); return 0; }\n' >hello.c
}

teardown() {
  dcc_stop_distccd
}

# Seconds and milliseconds vary from run to run; the words do not.
without_times() {
  without_pids | sed -E 's/ [0-9]+\.[0-9] ms/ N ms/'
}

@test "distcc --version and distccd --version: PROGRAM VERSION TARGET, the protocols and port, then more" {
  for prog in distcc distccd; do
    run "$DCC_BIN/$prog" --version
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -ge 3 ]
    [ "${lines[0]}" = "$prog $(cat "$DCC_TOP/VERSION") $(gcc -dumpmachine)" ]
    [ "${lines[1]}" = "  (protocols 1, 2 and 3) (default port 3632)" ]
    [ "${lines[2]}" = "  a reimplementation of distcc 3.4 for Gentoo; works with its clients and helpers" ]
    [ "$(grep -c refused <<<"$output")" -eq 0 ]
  done
}

@test "distccd --help names the whitelist directory once when LIBDIR is /usr/lib" {
  # Gentoo's build: LIBDIR/distcc and the fallback /usr/lib/distcc are one.
  make -C "$DCC_TOP" --no-print-directory -s BUILD="$BATS_TEST_TMPDIR/b" LIBDIR=/usr/lib \
    "$BATS_TEST_TMPDIR/b/bin/distccd" >/dev/null
  run "$BATS_TEST_TMPDIR/b/bin/distccd" --help
  [ "$status" -eq 0 ]
  [ "$(grep -o /usr/lib/distcc <<<"$output" | wc -l)" -eq 1 ]
  [[ "$output" == *"Compilers run only when named in the whitelist directory (--whitelist-dir),
by default /usr/lib/distcc."* ]]
}

@test "a helper name that does not resolve: failed to distribute ... running locally instead" {
  DISTCC_HOSTS=no-such-host.invalid run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [[ "$(without_pids <<<"$output")" == "distcc: warning: failed to distribute hello.c to no-such-host.invalid:3632/4 (cannot resolve helper \"no-such-host.invalid\": "*"), running locally instead" ]]
  [ -s hello.o ]
}

@test "a refused connection: failed to distribute ... running locally instead" {
  port=$(dcc_free_port)
  DISTCC_HOSTS="127.0.0.1:$port" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$port/4 (cannot connect to 127.0.0.1:$port: Connection refused), running locally instead" ]
  [ -s hello.o ]
}

@test "a helper that fails while another is left says it tries another helper, then compiles there" {
  dcc_start_distccd
  port=$(dcc_free_port)
  DISTCC_HOSTS="127.0.0.1:$port 127.0.0.1:$DAEMON_PORT" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$port/4 (cannot connect to 127.0.0.1:$port: Connection refused), trying another helper" ]
  [ "$(compiled_jobs)" -eq 1 ]
}

@test "a helper whose --allow leaves us out: failed to distribute ... running locally instead, with the --allow hint" {
  dcc_start_distccd --allow 192.0.2.1
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  # Its CAPS question closed as stock's would; the toolchain probe (a
  # compile) then gets no answer either.
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4 (probing 127.0.0.1's toolchain: no answer: the helper closed the connection without a reply (is this machine in its --allow list? did the daemon stop?)), running locally instead" ]
  grep -q "refused job connection from 127.0.0.1: not in the --allow list" "$DAEMON_LOG"
}

@test "an ssh helper that ends without a reply gets an ssh hint, not an --allow one" {
  DISTCC_SSH=false DISTCC_HOSTS="@box" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to @box/4 (probing box's toolchain: no answer: ssh to box ended without a reply (does \"ssh box distccd --inetd\" run there? see ssh's message above)), running locally instead" ]
}

@test "an empty \$DISTCC_HOSTS: contained no hosts; can't distribute work, then failed to distribute" {
  DISTCC_HOSTS="" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: \$DISTCC_HOSTS contained no hosts; can't distribute work
distcc: warning: failed to distribute hello.c, running locally instead" ]
  DISTCC_HOSTS=" " DISTCC_FALLBACK=0 run "$DCC_BIN/distcc" gcc -c hello.c -o again.o
  [ "$status" -eq 116 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: \$DISTCC_HOSTS contained no hosts; can't distribute work
distcc: error: failed to distribute hello.c and fallbacks are disabled (DISTCC_FALLBACK=0): the host list names no hosts" ]
  [ ! -e again.o ]
}

@test "a hosts file of comments only: FILE contained no hosts; can't distribute work" {
  mkdir -p "$DISTCC_DIR"
  echo "# the helpers are down this week" >"$DISTCC_DIR/hosts"
  run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: $DISTCC_DIR/hosts contained no hosts; can't distribute work
distcc: warning: failed to distribute hello.c, running locally instead" ]
}

@test "a compiler the helper whitelists but does not have: failed to exec, on both sides" {
  DISTCCD_PATH=/usr/bin:/bin dcc_start_distccd
  ln -s /usr/bin/distcc "$DAEMON_WL/mycc"
  mkdir bin
  printf '#!/bin/sh\nexec gcc "$@"\n' >bin/mycc
  chmod +x bin/mycc
  PATH="$BATS_TEST_TMPDIR/bin:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run "$DCC_BIN/distcc" mycc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4, running locally instead: distccd on $(hostname) refused this job: failed to exec mycc: compiler mycc is not found on PATH (apart from distcc itself)" ]
  grep -q "refused job from 127.0.0.1: failed to exec mycc: compiler mycc is not found on PATH" "$DAEMON_LOG"
  [ -s hello.o ]
}

@test "an unwritable DISTCC_LOG: failed to open logfile, and the messages go to stderr" {
  port=$(dcc_free_port)
  DISTCC_LOG=/nonexistent/distcc.log DISTCC_HOSTS="127.0.0.1:$port" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to open logfile /nonexistent/distcc.log: No such file or directory; logging to stderr
distcc: warning: failed to distribute hello.c to 127.0.0.1:$port/4 (cannot connect to 127.0.0.1:$port: Connection refused), running locally instead" ]
}

@test "a link job is logged by what it makes, not as \"job -\"" {
  gcc -c hello.c -o hello.o
  DISTCC_VERBOSE=1 DISTCC_HOSTS=127.0.0.1:1 run "$DCC_BIN/distcc" gcc -o prog hello.o
  [ "$status" -eq 0 ]
  [[ "$output" == *"] info: job prog: built locally (no -c or -S: this is a link), exit 0"* ]]
  DISTCC_VERBOSE=1 DISTCC_HOSTS=127.0.0.1:1 run "$DCC_BIN/distcc" gcc hello.o
  [[ "$output" == *"] info: job a.out: built locally (no -c or -S: this is a link), exit 0"* ]]
  [ "$(grep -c "job -" <<<"$output")" -eq 0 ]
}

@test "DISTCC_VERBOSE=1 tells where the hosts came from, the hosts, the slot, the connect, each phase and the result" {
  dcc_start_distccd
  DISTCC_VERBOSE=1 DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,lzo" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  out=$(without_times <<<"$output")
  host="127.0.0.1:$DAEMON_PORT/4,lzo"
  # The story in order; phases may repeat (cpp runs while we connect).
  want=(
    "distcc: debug: distcc $(cat "$DCC_TOP/VERSION") $(gcc -dumpmachine): gcc -c hello.c -o hello.o"
    "distcc: debug: read hosts from \$DISTCC_HOSTS: 127.0.0.1:$DAEMON_PORT,lzo"
    "distcc: debug: hosts for hello.c: $host"
    "distcc: debug: picked $host slot 0 for hello.c"
    "distcc: debug: connecting to $host for hello.c (protocol 2, lzo)"
    "distcc: debug: phase Connect took N ms"
    "distcc: debug: phase Send took N ms"
    "distcc: debug: phase Compile took N ms"
    "distcc: info: job hello.c: compiled on $host"
    "distcc: debug: phase Receive took N ms"
    "distcc: debug: the job took N ms in all"
  )
  at=0
  for line in "${want[@]}"; do
    n=$(grep -nxF -- "$line" <<<"$out" | head -1 | cut -d: -f1)
    [ -n "$n" ] || { echo "missing: $line"; false; }
    [ "$n" -gt "$at" ] || { echo "out of order: $line"; false; }
    at=$n
  done
}

@test "DISTCC_VERBOSE=1 names the hosts file it read, and a host in backoff" {
  dcc_start_distccd
  port=$(dcc_free_port)
  mkdir -p "$DISTCC_DIR"
  printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$port" "$DAEMON_PORT" >"$DISTCC_DIR/hosts"
  run "$DCC_BIN/distcc" gcc -c hello.c -o one.o
  [ "$status" -eq 0 ]
  DISTCC_VERBOSE=1 run "$DCC_BIN/distcc" gcc -c hello.c -o two.o
  [ "$status" -eq 0 ]
  out=$(without_pids <<<"$output")
  [[ "$out" == *"distcc: debug: read hosts from file $DISTCC_DIR/hosts"$'\n'* ]]
  [[ "$out" == *"distcc: debug: hosts for hello.c: 127.0.0.1:$port/4 (in backoff), 127.0.0.1:$DAEMON_PORT/4"$'\n'* ]]
  [[ "$out" == *"distcc: debug: picked 127.0.0.1:$DAEMON_PORT/4 slot 0 for hello.c"$'\n'* ]]
}

@test "DISTCC_SAVE_TEMPS=1 keeps the helper's stderr beside the .i in TMPDIR, saying which source it came from" {
  dcc_start_distccd
  mkdir tmp
  # A warning from the compiler proper, which only the helper prints.
  printf 'int f(int x) { int unused; return x; }\n' >warn.c
  DISTCC_SAVE_TEMPS=1 TMPDIR="$BATS_TEST_TMPDIR/tmp" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" \
    run "$DCC_BIN/distcc" gcc -Wall -c warn.c -o warn.o
  [ "$status" -eq 0 ]
  [[ "$output" == *"warn.c:1:20: warning: unused variable 'unused' [-Wunused-variable]"* ]]
  [ "$(compiled_jobs)" -eq 1 ]
  kept=(tmp/distcc_server_stderr_*.txt)
  [ "${#kept[@]}" -eq 1 ]
  [ -f "${kept[0]}" ]
  [ "$(head -1 "${kept[0]}")" = "# distcc: stderr of 127.0.0.1:$DAEMON_PORT/4 compiling warn.c (in $BATS_TEST_TMPDIR), exit 0" ]
  grep -qxF "warn.c:1:20: warning: unused variable 'unused' [-Wunused-variable]" "${kept[0]}"
  preprocessed=(tmp/distcc_*.i)
  [ "${#preprocessed[@]}" -eq 1 ]
  grep -q '^# 1 "warn.c"$' "${preprocessed[0]}"
  # Without DISTCC_SAVE_TEMPS nothing is left behind.
  rm tmp/*
  TMPDIR="$BATS_TEST_TMPDIR/tmp" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run "$DCC_BIN/distcc" gcc -Wall -c warn.c -o warn.o
  [ "$status" -eq 0 ]
  [ -z "$(ls -A tmp)" ]
}
