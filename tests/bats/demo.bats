#!/usr/bin/env bats
# make demo's promise, checked: this project's own engine, built with make -j8
# through two of our daemons on loopback ports, gives objects byte-identical to
# a local gcc build and programs that run; and scripts/demo.sh says what the
# cluster did, and fails when the cluster did not do it.
# shellcheck disable=SC2154 # output, lines, stderr come from bats' run

load common
bats_require_minimum_version 1.5.0

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES INCLUDE_SERVER_PORT
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
}

teardown() {
  dcc_stop_first_distccd
  dcc_stop_distccd
  dcc_remove_path_without
}

# Jobs a daemon's log says it compiled.
compiled_in() {
  grep -c ": compiled, exit 0" "$1" || true
}

# The .o files under a build tree, relative to it, sorted.
objects_in() {
  (cd "$1" && find engine -name '*.o' | sort)
}

@test "the engine built with make -j8 through two daemons matches a local gcc build object for object, and runs" {
  # The engine as make demo copies it. Without -g (the Makefile's default
  # CFLAGS): debug info would name each build's directory.
  mkdir src
  cp -r "$DCC_TOP/engine" "$DCC_TOP/Makefile" "$DCC_TOP/scripts" "$DCC_TOP/VERSION" src/
  dcc_start_distccd
  dcc_keep_first_distccd
  dcc_start_distccd
  [ "$FIRST_PORT" -ne "$DAEMON_PORT" ]

  DISTCC_HOSTS="127.0.0.1:$FIRST_PORT/4,lzo 127.0.0.1:$DAEMON_PORT/4,lzo" DISTCC_FALLBACK=0 \
    run --separate-stderr make -C src -j8 BUILD="$BATS_TEST_TMPDIR/remote" CFLAGS= CC="$DCC_BIN/distcc gcc"
  [ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
  # Not a word from distcc: no helper failed, nothing was built here instead.
  [ -z "$stderr" ]
  run --separate-stderr make -C src -j8 BUILD="$BATS_TEST_TMPDIR/local" CFLAGS= CC=gcc
  [ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }

  # One object per source of the engine, in both trees, byte for byte alike.
  sources=$(cd src && find engine -name '*.c' | sort | sed 's/\.c$/.o/')
  [ "$(objects_in local)" = "$sources" ]
  [ "$(objects_in remote)" = "$sources" ]
  count=$(wc -l <<<"$sources")
  [ "$count" -ge 30 ]
  for o in $sources; do
    cmp "local/$o" "remote/$o"
  done

  # Both daemons worked, and together they compiled each object once.
  first=$(compiled_in "$FIRST_LOG")
  second=$(compiled_in "$DAEMON_LOG")
  [ "$first" -ge 1 ]
  [ "$second" -ge 1 ]
  [ $((first + second)) -eq "$count" ]
  [ "$(grep -c ": compiled, exit 0, lzo," "$FIRST_LOG")" -eq "$first" ]

  # The programs linked from those objects run.
  run remote/bin/distcc --version
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "distcc $(cat "$DCC_TOP/VERSION") $(gcc -dumpmachine)" ]
  run remote/bin/distccd --help
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "Usage: distccd "* ]]
}

@test "make demo with no python3 on PATH: the monitor shows jobs on the cluster, and the daemons compiled every object of both builds" {
  # The demo needs only what the build needs: a fresh machine has no Python.
  dcc_path_without python3
  [ -x "$PATH_WITHOUT/gcc" ]
  [ "$(PATH="$PATH_WITHOUT" type -P python3 || true)" = "" ]
  run --separate-stderr env PATH="$PATH_WITHOUT" timeout 240 "$DCC_TOP/scripts/demo.sh" "$DCC_BUILD"
  [ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
  [ -z "$stderr" ]
  objects=$(find "$DCC_TOP/engine/lib" -name '*.c' | wc -l)

  [[ "${lines[0]}" =~ ^==\ two\ daemons\ on\ loopback:\ 127\.0\.0\.1:([0-9]+)/4,lzo\ 127\.0\.0\.2:([0-9]+)/4,lzo$ ]]
  [ "${lines[1]}" = "== client: $DCC_BIN/distcc" ]
  # The monitor ran while the build did: some poll shows a running job.
  [ "${lines[2]}" = "== distccmon-text" ]
  grep -qE '^ +[0-9]+  [A-Za-z]+ +dcc_[a-z_]+\.c +127\.0\.0\.[12]\[[0-3]\]$' <<<"$output"
  # One load line per daemon.
  grep -qE '^  127\.0\.0\.1:[0-9]+  [0-4]/4 running$' <<<"$output"
  grep -qE '^  127\.0\.0\.2:[0-9]+  [0-4]/4 running$' <<<"$output"

  # The plain build and the pump build: every object compiled on a daemon.
  mapfile -t counts < <(grep -E '^== (built|the daemons|the same build)' <<<"$output" | sed -E 's/ in [0-9]+\.[0-9]{3} s/ in T s/')
  [ "${#counts[@]}" -eq 5 ]
  [ "${counts[0]}" = "== built $objects objects of libdcc through the cluster in T s" ]
  [[ "${counts[1]}" =~ ^==\ the\ daemons\ compiled\ $objects\ jobs\ for\ $objects\ objects:\ ([0-9]+)\ on\ daemon\ 1,\ ([0-9]+)\ on\ daemon\ 2$ ]]
  [ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -eq "$objects" ]
  [ "${counts[2]}" = "== the same build in pump mode (hosts marked ,cpp,lzo; preprocessing on the daemons)" ]
  [ "${counts[3]}" = "== built $objects objects in T s; $objects of them compiled in pump mode" ]
  [[ "${counts[4]}" =~ ^==\ the\ daemons\ compiled\ $objects\ jobs\ for\ $objects\ objects:\ ([0-9]+)\ on\ daemon\ 1,\ ([0-9]+)\ on\ daemon\ 2$ ]]

  # Each daemon's statistics agree: every connection a compile, none failed,
  # and together two builds' worth.
  ok=$(sed -nE 's/^dcc_compile_ok ([0-9]+)$/\1/p' <<<"$output")
  [ "$(wc -l <<<"$ok")" -eq 2 ]
  [ $(($(head -1 <<<"$ok") + $(tail -1 <<<"$ok"))) -eq $((2 * objects)) ]
  [ "$(grep -c '^dcc_compile_error 0$' <<<"$output")" -eq 2 ]
  [ "${lines[-1]}" = "== stopping the daemons" ]
}

@test "make demo without a built client: one clear line and exit 1, never the system's distcc" {
  mkdir -p empty/bin
  run --separate-stderr "$DCC_TOP/scripts/demo.sh" "$BATS_TEST_TMPDIR/empty"
  [ "$status" -eq 1 ]
  [ "$output" = "" ]
  [ "$stderr" = "demo: $BATS_TEST_TMPDIR/empty/bin/distcc is not built: run make first (make demo builds it)" ]
}
