#!/usr/bin/env bats
# Pump mode from the client's side: the pump wrapper, distcc --scan-includes,
# and compiles whose preprocessing happens on the helper (protocol 3), against
# our distccd and Debian's stock distccd on loopback.

load common

setup() {
  cd "$BATS_TEST_TMPDIR"
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES INCLUDE_SERVER_DIR INCLUDE_SERVER_PORT INCLUDE_SERVER_PID \
    DISTCC_MAX_DISCREPANCY CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  export TMPDIR="$BATS_TEST_TMPDIR/tmp"
  mkdir -p "$TMPDIR"
  # A small project: a quoted include beside the source, one that climbs out
  # of its directory, an absolute -I, a -include file and a system header.
  mkdir -p proj/src proj/include proj/obj
  cat >proj/src/main.c <<'EOF'
#include <stdio.h>
#include "util.h"
#include <cfg.h>
int main(void)
{
    printf("%s %d %d %s\n", GREETING, twice(CFG_VALUE), PRE_VALUE, __FILE__);
    return 0;
}
EOF
  printf '#include "../include/shared.h"\nstatic inline int twice(int x) { return SHARED_FACTOR * x; }\n' >proj/src/util.h
  printf '#define CFG_VALUE 21\n' >proj/include/cfg.h
  printf '#define SHARED_FACTOR 2\n' >proj/include/shared.h
  printf '#define PRE_VALUE 7\n#define GREETING "hello"\n' >proj/pre.h
  chmod -R a+rX "$BATS_TEST_TMPDIR"
}

teardown() {
  dcc_stop_distccd
  dcc_stop_pid "${STOCK_PID:-}"
  STOCK_PID=
  [ -n "${STOCK_DIR:-}" ] && rm -rf "$STOCK_DIR"
  STOCK_DIR=
  [ -n "${FAKEBIN:-}" ] && rm -rf "$FAKEBIN"
  FAKEBIN=
}

# The compile command of the project, run from proj/.
compile_args() {
  echo -g -O2 -Isrc "-I$BATS_TEST_TMPDIR/proj/include" -include pre.h -MD -c src/main.c -o obj/main.o
}

# distcc under pump with the given host list; no silent local fallback.
pump_distcc() {
  local hosts=$1
  shift
  DISTCC_HOSTS="$hosts" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 "$DCC_BIN/pump" "$DCC_BIN/distcc" "$@"
}

# A dependency file as make reads it: continuation lines joined, one word
# per line (the helper's file is wrapped at other places: its paths were
# longer before the job's root was taken out).
deps_words() {
  sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$1" | tr -s ' \t' '\n\n' | sed '/^$/d'
}

without_pids() {
  sed -E 's/^(distcc|pump)\[[0-9]+\] /\1: /'
}

@test "pump --help and bad usage" {
  run "$DCC_BIN/pump" --help
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Usage: pump COMMAND [ARG...]   run COMMAND (e.g. make -j16) with pump mode on" ]
  run "$DCC_BIN/pump"
  [ "$status" -eq 101 ]
  [ "$output" = "pump: give a command to run, or --startup / --shutdown (see pump --help)" ]
  run "$DCC_BIN/pump" --startup --shutdown
  [ "$status" -eq 101 ]
  [ "$output" = "pump: give one of a command, --startup, --shutdown (see pump --help)" ]
  run "$DCC_BIN/pump" --bogus
  [ "$status" -eq 101 ]
  [ "$output" = "pump: --bogus: unknown option (see pump --help)" ]
}

@test "pump runs the command with INCLUDE_SERVER_PORT set, passes its status on and cleans up" {
  export DISTCC_HOSTS="127.0.0.1:1/4,cpp,lzo 127.0.0.2"
  run "$DCC_BIN/pump" sh -c 'echo "$INCLUDE_SERVER_PORT"; test -f "$INCLUDE_SERVER_DIR/.distcc-pump"; exit 7'
  [ "$status" -eq 7 ]
  [ "$(printf '%s\n' "$output" | without_pids | head -1)" = "pump: 1 of 2 hosts take pump mode" ]
  port=${lines[1]}
  [[ "$port" == "$TMPDIR"/distcc-pump.*/socket ]]
  [ ! -e "$(dirname "$port")" ]
  # Options after the command are the command's.
  run "$DCC_BIN/pump" sh -c 'exit 0' --version
  [ "$status" -eq 0 ]
}

@test "pump warns when no host takes pump mode" {
  export DISTCC_HOSTS="127.0.0.1:1/4,lzo"
  run "$DCC_BIN/pump" true
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | without_pids)" = "pump: warning: no host in \$DISTCC_HOSTS has \",cpp,lzo\": the build runs, but without pump mode" ]
}

@test "pump --startup prints exports for eval and --shutdown removes only what it made" {
  run "$DCC_BIN/pump" --startup
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  eval "$output"
  [[ "${lines[0]}" == "export INCLUDE_SERVER_DIR='$TMPDIR/distcc-pump."*"'" ]]
  [ "$INCLUDE_SERVER_PORT" = "$INCLUDE_SERVER_DIR/socket" ]
  [ -d "$INCLUDE_SERVER_DIR" ]
  run "$DCC_BIN/pump" --shutdown
  [ "$status" -eq 0 ]
  [ ! -e "$INCLUDE_SERVER_DIR" ]
  mkdir notpump
  INCLUDE_SERVER_DIR=$PWD/notpump run "$DCC_BIN/pump" --shutdown
  [ "$status" -eq 101 ]
  [ "$(printf '%s\n' "$output" | without_pids)" = "pump: error: $PWD/notpump was not set up by pump (no .distcc-pump in it); not removing it" ]
  [ -d notpump ]
  unset INCLUDE_SERVER_DIR
  run "$DCC_BIN/pump" --shutdown
  [ "$status" -eq 101 ]
}

@test "distcc --scan-includes lists the user files and directories pump mode sends" {
  cd proj
  # shellcheck disable=SC2046
  run "$DCC_BIN/distcc" --scan-includes gcc $(compile_args)
  [ "$status" -eq 0 ]
  top=$BATS_TEST_TMPDIR/proj
  diff -u - <(printf '%s\n' "$output" | grep -v '^SYSTEMDIR') <<EOF
FILE      $top/src/main.c
FILE      $top/pre.h
FILE      $top/src/util.h
FILE      $top/include/shared.h
FILE      $top/include/cfg.h
DIRECTORY $top/src
DIRECTORY $top/include
DIRECTORY $top
EOF
  printf '%s\n' "$output" | grep -qx 'SYSTEMDIR /usr/include'
}

@test "distcc --scan-includes says why pump mode would not be used" {
  cd proj
  printf '#if __has_attribute(x)\n#define HDR "cfg.h"\n#else\n#define HDR "shared.h"\n#endif\n#include HDR\n' >src/computed.c
  run "$DCC_BIN/distcc" --scan-includes gcc -Iinclude -c src/computed.c -o computed.o
  [ "$status" -eq 100 ]
  [ "$(printf '%s\n' "$output" | without_pids)" = "distcc: error: pump mode would not be used for src/computed.c: src/computed.c:6: #include with a macro argument" ]
  # A macro the scan knows is followed.
  printf '#define HDR "cfg.h"\n#include HDR\n' >src/known.c
  run "$DCC_BIN/distcc" --scan-includes gcc -Iinclude -c src/known.c -o known.o
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "FILE      $BATS_TEST_TMPDIR/proj/include/cfg.h" ]
  run "$DCC_BIN/distcc" --scan-includes
  [ "$status" -eq 101 ]
  [ "$(printf '%s\n' "$output" | without_pids)" = "distcc: error: --scan-includes needs a compile command, e.g. distcc --scan-includes gcc -c x.c" ]
  run "$DCC_BIN/distcc" --scan-includes gcc -E src/main.c
  [ "$status" -eq 101 ]
  [ "$(printf '%s\n' "$output" | without_pids)" = "distcc: error: this command is not distributed, so nothing would be sent: -E: preprocessing only" ]
}

@test "a pump compile on our distccd matches a local build, object and .d, with -g" {
  dcc_start_distccd
  cd proj
  # shellcheck disable=SC2046
  gcc $(compile_args)
  mv obj/main.o local.o
  mv obj/main.d local.d
  # shellcheck disable=SC2046
  run pump_distcc "127.0.0.1:$DAEMON_PORT,cpp,lzo" gcc $(compile_args)
  [ "$status" -eq 0 ]
  cmp obj/main.o local.o
  diff -u <(deps_words local.d) <(deps_words obj/main.d)
  grep -q "gcc main.c: compiled, exit 0, pump" "$DAEMON_LOG"
  gcc obj/main.o -o main
  [ "$(./main)" = "hello 42 7 src/main.c" ]
}

@test "pump compiles without a dependency file, C and C++, match local builds" {
  dcc_start_distccd
  cd proj
  printf '#include <vector>\n#include "cfg.h"\nint n() { std::vector<int> v(CFG_VALUE); return (int)v.size(); }\n' >src/v.cpp
  run pump_distcc "127.0.0.1:$DAEMON_PORT,cpp,lzo" gcc -O2 -Isrc -Iinclude -include pre.h -c src/main.c -o obj/main.o
  [ "$status" -eq 0 ]
  [ "$output" = "pump: 1 of 1 hosts take pump mode
pump: 1 of 1 jobs (100.0%) went in pump mode" ]
  run pump_distcc "127.0.0.1:$DAEMON_PORT,cpp,lzo" g++ -O2 -Iinclude -c src/v.cpp -o obj/v.o
  [ "$status" -eq 0 ]
  [ "$(grep -c "compiled, exit 0, pump" "$DAEMON_LOG")" -eq 2 ]
  [ ! -e obj/main.d ]
  gcc -O2 -Isrc -Iinclude -include pre.h -c src/main.c -o local.o
  cmp obj/main.o local.o
  g++ -O2 -Iinclude -c src/v.cpp -o local-v.o
  cmp obj/v.o local-v.o
}

@test "a .d file that cannot be written leaves no object behind" {
  dcc_start_distccd
  cd proj
  run pump_distcc "127.0.0.1:$DAEMON_PORT,cpp,lzo" gcc -Iinclude -Isrc -include pre.h -MD -MF nodir/main.d \
    -c src/main.c -o obj/main.o
  [ "$status" -eq 107 ]
  printf '%s\n' "$output" | grep -q "cannot create nodir/.main.d.distcc-"
  [ ! -e obj/main.o ]
  [ -z "$(ls -A obj)" ]
}

@test "a job the scan cannot follow goes in plain mode to a pump helper, and -v says why" {
  dcc_start_distccd
  cd proj
  printf '#if __has_attribute(x)\n#define HDR "cfg.h"\n#else\n#define HDR <cfg.h>\n#endif\n#include HDR\nint v = CFG_VALUE;\n' >src/computed.c
  DISTCC_VERBOSE=1 run pump_distcc "127.0.0.1:$DAEMON_PORT,cpp,lzo" gcc -Iinclude -c src/computed.c -o obj/computed.o
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" | without_pids | grep -qx "distcc: info: computed.c goes to 127.0.0.1:$DAEMON_PORT/4,cpp,lzo without pump mode: src/computed.c:6: #include with a macro argument"
  grep -q "gcc computed.c: compiled, exit 0, lzo" "$DAEMON_LOG"
  gcc -Iinclude -c src/computed.c -o local.o
  cmp obj/computed.o local.o
}

@test "-MF - (dependencies on stdout) goes in plain mode and prints them as gcc does, with no file named -" {
  dcc_start_distccd
  cd proj
  printf '#include "cfg.h"\nint v = CFG_VALUE;\n' >src/dep.c
  DISTCC_VERBOSE=1 pump_distcc "127.0.0.1:$DAEMON_PORT,cpp,lzo" gcc -Iinclude -MD -MF - -c src/dep.c -o obj/dep.o \
    >remote.out 2>remote.err
  grep -q "dep.c goes to 127.0.0.1:$DAEMON_PORT/4,cpp,lzo without pump mode: -MF - (dependencies on stdout) is not sent in pump mode" remote.err
  gcc -Iinclude -MD -MF - -c src/dep.c -o obj/local.o >local.out
  [ "$(cat remote.out)" = "$(sed 's/local\.o/dep.o/' local.out)" ]
  [ ! -e ./- ]
  cmp obj/dep.o obj/local.o
}

@test "without pump a ,cpp,lzo helper gets plain protocol 2" {
  dcc_start_distccd
  cd proj
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,cpp,lzo" DISTCC_FALLBACK=0 run "$DCC_BIN/distcc" gcc -Iinclude -Isrc -c src/main.c -include pre.h -o obj/main.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  grep -q "gcc main.c: compiled, exit 0, lzo" "$DAEMON_LOG"
}

@test "a job that fails on the pump helper but compiles here turns pump mode off for the build" {
  # The helper's gcc fails whenever it preprocesses (as a helper missing a
  # header would); plain jobs work.
  FAKEBIN=$(mktemp -d /tmp/dcc-fakebin.XXXXXX)
  chmod 755 "$FAKEBIN"
  cat >"$FAKEBIN/$(gcc -dumpmachine)-gcc" <<'EOF'
#!/bin/sh
case " $* " in *" -MMD "*|*" -MD "*) echo "helper: no such header" >&2; exit 1 ;; esac
exec gcc "$@"
EOF
  chmod 755 "$FAKEBIN/$(gcc -dumpmachine)-gcc"
  PATH="$FAKEBIN:$PATH" dcc_start_distccd --sandbox=off
  cd proj
  cat >build.sh <<EOF
#!/bin/sh
"$DCC_BIN/distcc" gcc -Iinclude -Isrc -include pre.h -c src/main.c -o obj/one.o || exit 1
"$DCC_BIN/distcc" gcc -Iinclude -Isrc -include pre.h -c src/main.c -o obj/two.o || exit 1
cat "\$INCLUDE_SERVER_DIR/discrepancy_counter"; echo
EOF
  chmod 755 build.sh
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,cpp,lzo" run "$DCC_BIN/pump" ./build.sh
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" | without_pids | grep -qx "distcc: warning: main.c failed in pump mode on 127.0.0.1:$DAEMON_PORT/4,cpp,lzo but compiled here: counted as a pump discrepancy"
  printf '%s\n' "$output" | without_pids | grep -qx "distcc: warning: 1 jobs failed in pump mode but compiled here (DISTCC_MAX_DISCREPANCY=1): pump mode is off for the rest of this build"
  printf '%s\n' "$output" | grep -qx "@"
  # pump's report counts the first job as a pump job, the second as demoted
  [ "${lines[-3]}" = "pump: 1 of 2 jobs (50.0%) went in pump mode" ]
  [ "${lines[-1]}" = "pump:      1  1 jobs of this build failed in pump mode but compiled here (DISTCC_MAX_DISCREPANCY=1)" ]
  # The first job was tried in pump mode, the second went in plain mode.
  [ "$(grep -c "compile failed, exit 1, pump" "$DAEMON_LOG")" -eq 1 ]
  [ "$(grep -c "compiled, exit 0, lzo" "$DAEMON_LOG")" -eq 1 ]
  cmp obj/one.o obj/two.o
}

@test "our pump client with stock distccd: the object matches a local build" {
  dcc_start_stock_distccd
  cd proj
  # shellcheck disable=SC2046
  gcc $(compile_args)
  mv obj/main.o local.o
  mv obj/main.d local.d
  # shellcheck disable=SC2046
  run pump_distcc "127.0.0.1:$STOCK_PORT,cpp,lzo" gcc $(compile_args)
  [ "$status" -eq 0 ]
  # Stock distccd logs the job after it has sent the reply.
  for _ in $(seq 50); do grep -q "COMPILE_OK exit:0" "$STOCK_LOG" && break; sleep 0.1; done
  grep -q "COMPILE_OK exit:0" "$STOCK_LOG"
  diff -u <(deps_words local.d) <(deps_words obj/main.d)
  gcc obj/main.o -o main
  [ "$(./main | cut -d' ' -f1-3)" = "hello 42 7" ]
}
