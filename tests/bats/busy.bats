#!/usr/bin/env bats
# Busy helpers: our helpers say how busy they are (the CAPS load question),
# and a client sends its job first where other clients leave slots free;
# stock 3.4 helpers are never asked and still get jobs, a helper that
# answers garbage is picked as without load, DISTCC_HELPER_LOAD=off keeps
# the list order.
# shellcheck disable=SC2154 # output, lines, status come from bats' run
# shellcheck disable=SC2030,SC2031 # each @test is a subshell on purpose

load common
bats_require_minimum_version 1.5.0

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DISTCC_TOOLCHAIN_MATCH DISTCC_HELPER_TTL DISTCC_HELPER_LOAD DISTCC_HELPER_LOAD_TTL DISTCCD_PATH
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  export DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1
  printf 'int main(void) { return 0; }\n' >x.c
  printf 'int y(void) { return 1; }\n' >y.c
  printf 'int other(void) { return 2; }\n' >other.i
  # The other client's compiler: this machine's gcc, slowly (where the
  # helpers' job user may run it).
  SLOW_DIR=$(mktemp -d /tmp/dcc-slow.XXXXXX)
  chmod 0755 "$SLOW_DIR"
  # How long: $SLOW_DIR/seconds (30: longer than the test's own jobs on a
  # busy machine; the teardown stops them).
  echo 30 >"$SLOW_DIR/seconds"
  printf '#!/bin/sh\nsleep "$(cat %s/seconds)"\nexec gcc "$@"\n' "$SLOW_DIR" >"$SLOW_DIR/slowcc"
  chmod 0755 "$SLOW_DIR/slowcc"
  OTHER_PIDS=()
}

teardown() {
  local pid
  for pid in "${OTHER_PIDS[@]}"; do dcc_stop_pid "$pid"; done
  dcc_stop_first_distccd
  dcc_stop_distccd
  dcc_stop_pid "${STOCK_PID:-}"
  STOCK_PID=
  [ -n "${STOCK_DIR:-}" ] && rm -rf "$STOCK_DIR"
  dcc_stop_pid "${FAKE_PID:-}"
  FAKE_PID=
  rm -rf "$SLOW_DIR"
}

# One of our helpers, 2 slots, that also runs the other client's slowcc
# (a shell script: no job sandbox for it).
start_helper() {
  DISTCCD_PATH="$SLOW_DIR:/usr/bin:/bin" dcc_start_distccd --jobs 2 --allow 127.0.0.0/8 --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/slowcc"
}

# Another client (from 127.0.0.2, so the helper tells it from ours) keeps
# both slots of the helper on port $1 busy ($SLOW_DIR/seconds); returns once
# the helper says so.
keep_busy() { # PORT
  local i
  for i in 1 2; do
    timeout 60 "$WIRE" --port "$1" --source 127.0.0.2 --timeout 50 DIST00000001 ARGC00000005 ARGV:slowcc \
      ARGV:-c ARGV:other.i ARGV:-o ARGV:other.o DOTI@other.i >/dev/null &
    OTHER_PIDS+=($!)
  done
  wait_until 20 load_says "$1" '{"caps":1,"load":{"jobs":2,"running":2,"waiting":0,"others":2}}'
}

load_says() { # PORT ANSWER
  local answer
  answer=$("$WIRE" --port "$1" 'CAPS:{"caps":1,"load":true}' | sed -n 's/^< CAPS[0-9a-f]\{8\} //p')
  [ "$answer" = "$2" ]
}

jobs_from_us() { # LOG
  grep -c "job from 127.0.0.1: [^ ]*gcc [^ ]*: compiled, exit 0" "$1" || true
}

# Waits (at most 2 s, well under the slow jobs' 6) until LOG has COUNT
# lines with TEXT: a job releases its slot when its compiler ends and logs
# "compiled" only after sending the result, so the job that got the slot
# can be done first.
wait_lines() { # LOG TEXT COUNT
  local i
  for ((i = 0; i < 40; i++)); do
    [ "$(grep -cF "$2" "$1")" -ge "$3" ] && return 0
    sleep 0.05
  done
  return 0 # the test's own check says what is missing
}

told_load() { # LOG
  grep -c "info: told 127.0.0.1 how busy this distccd is: " "$1" || true
}

@test "our distccd answers the load question with its slots, waiting jobs and other clients' connections" {
  start_helper
  run "$WIRE" --port "$DAEMON_PORT" 'CAPS:{"caps":1,"load":true}'
  [ "${lines[0]}" = '> CAPS00000016 {"caps":1,"load":true}' ]
  [ "${lines[1]}" = '< CAPS0000003f {"caps":1,"load":{"jobs":2,"running":0,"waiting":0,"others":0}}' ]
  [ "${lines[2]}" = closed ]
  keep_busy "$DAEMON_PORT"
  grep -q "info: told 127.0.0.1 how busy this distccd is: 2 of 2 slots running, 0 waiting, 2 connections from others" "$DAEMON_LOG"
  # A job of the asker's own address waits for a slot: waiting, not others.
  timeout 60 "$WIRE" --port "$DAEMON_PORT" --timeout 50 DIST00000001 ARGC00000005 ARGV:slowcc \
    ARGV:-c ARGV:other.i ARGV:-o ARGV:other.o DOTI@other.i >/dev/null &
  OTHER_PIDS+=($!)
  wait_until 20 load_says "$DAEMON_PORT" '{"caps":1,"load":{"jobs":2,"running":2,"waiting":1,"others":2}}'
  # Only the question's own words: {"load":1} is not asked for.
  run "$WIRE" --port "$DAEMON_PORT" 'CAPS:{"caps":1,"load":1}'
  [[ ${lines[1]} == '< CAPS'*'"features":["zstd","directives","load"]'* ]]
  # DIST never carries the load bit.
  run "$WIRE" --port "$DAEMON_PORT" DIST00000802
  [ "${lines[1]}" = closed ]
  grep -q "warning: bad request from 127.0.0.1: unsupported protocol version 2050" "$DAEMON_LOG"
}

@test "jobs go to the helper another client leaves free, not behind its jobs on the first" {
  start_helper
  dcc_keep_first_distccd
  start_helper
  keep_busy "$FIRST_PORT"
  asked=$(told_load "$FIRST_LOG")
  export DISTCC_HOSTS="127.0.0.1:$FIRST_PORT/2 127.0.0.1:$DAEMON_PORT/2" DISTCC_HELPER_LOAD_TTL=0
  for f in x y; do
    DISTCC_VERBOSE=1 run -0 "$DCC_BIN/distcc" gcc -c $f.c -o $f.o
    passed=$(without_pids <<<"$output" | grep "passing over")
    [ "$passed" = "distcc: debug: passing over 127.0.0.1:$FIRST_PORT/2 for $f.c while another helper has room: other clients have 2 connections there and it runs 2 jobs at once (2 running, 0 waiting)" ]
    [ -s $f.o ]
  done
  # Both went to the free helper while the other client's jobs still ran
  # on the first; the first was asked once per job (TTL 0).
  [ "$(jobs_from_us "$DAEMON_LOG")" -eq 2 ]
  [ "$(jobs_from_us "$FIRST_LOG")" -eq 0 ]
  [ "$(($(told_load "$FIRST_LOG") - asked))" -eq 2 ]
  [ "$(grep -c 'job from 127.0.0.2: slowcc other.i: compiled, exit 0' "$FIRST_LOG")" -eq 0 ]
}

@test "DISTCC_HELPER_LOAD=off: the list order, the job waits behind the other client's, nobody is asked" {
  start_helper
  echo 6 >"$SLOW_DIR/seconds" # our job waits for these
  dcc_keep_first_distccd
  start_helper
  keep_busy "$FIRST_PORT"
  asked=$(told_load "$FIRST_LOG")
  DISTCC_HELPER_LOAD=off DISTCC_HOSTS="127.0.0.1:$FIRST_PORT/2 127.0.0.1:$DAEMON_PORT/2" DISTCC_VERBOSE=1 \
    run -0 "$DCC_BIN/distcc" gcc -c x.c -o x.o
  ! grep -q "passing over" <<<"$output"
  [ "$(jobs_from_us "$FIRST_LOG")" -eq 1 ]
  [ "$(jobs_from_us "$DAEMON_LOG")" -eq 0 ]
  [ "$(told_load "$FIRST_LOG")" -eq "$asked" ]
  [ "$(told_load "$DAEMON_LOG")" -eq 0 ]
  # It waited for a slot: the other client's jobs were done first.
  wait_lines "$FIRST_LOG" 'job from 127.0.0.2: slowcc other.i: compiled, exit 0' 2
  [ "$(grep -c 'job from 127.0.0.2: slowcc other.i: compiled, exit 0' "$FIRST_LOG")" -eq 2 ]
}

@test "a stock 3.4 helper in the list gets the jobs ours passes over, and is never asked how busy it is" {
  start_helper
  keep_busy "$DAEMON_PORT"
  dcc_start_stock_distccd
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/2 127.0.0.1:$STOCK_PORT/2" DISTCC_HELPER_LOAD_TTL=0
  for f in x y; do
    DISTCC_VERBOSE=1 run -0 "$DCC_BIN/distcc" gcc -c $f.c -o $f.o
    [ "$(without_pids <<<"$output" | grep -c "passing over 127.0.0.1:$DAEMON_PORT/2 for $f.c")" -eq 1 ]
  done
  # Besides the toolchain probe (one compile of its own), our two jobs.
  [ "$(grep -c "COMPILE_OK exit:0 .* [xy].c$" "$STOCK_LOG")" -eq 2 ]
  [ "$(jobs_from_us "$DAEMON_LOG")" -eq 0 ]
  # The CAPS question may reach it (once, as for any feature); the load
  # question never does.
  [ "$(grep -c '"load"' "$STOCK_LOG")" -eq 0 ]
}

@test "a helper that answers the load question with garbage is picked as without load" {
  start_helper
  start_fake_helper "CAPSffffffff"
  mkdir -p "$DISTCC_DIR/helpers"
  printf '{"learned":%s,"ours":true,"answer":{"caps":1,"features":["load"],"jobs":2}}\n' "$(date +%s)" \
    >"$DISTCC_DIR/helpers/tcp_127.0.0.1_$FAKE_PORT.json"
  DISTCC_TOOLCHAIN_MATCH=off DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/2 127.0.0.1:$FAKE_PORT/2" DISTCC_VERBOSE=1 \
    run -0 "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$(without_pids <<<"$output" | grep "load is unknown")" = "distcc: debug: 127.0.0.1:$FAKE_PORT/2's load is unknown (asking 127.0.0.1 how busy it is: its CAPS answer is 4294967295 bytes long): its slots are taken in list order" ]
  [ "$(jobs_from_us "$DAEMON_LOG")" -eq 1 ]
  # Kept as unanswered for DISTCC_HELPER_LOAD_TTL: the next job does not ask.
  DISTCC_TOOLCHAIN_MATCH=off DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/2 127.0.0.1:$FAKE_PORT/2" DISTCC_VERBOSE=1 \
    DISTCC_HELPER_LOAD_TTL=60000 run -0 "$DCC_BIN/distcc" gcc -c y.c -o y.o
  [[ $(without_pids <<<"$output" | grep "load is unknown") == *"bytes long (kept)): its slots are taken in list order" ]]
  [ "$(jobs_from_us "$DAEMON_LOG")" -eq 2 ]
}

told_caps() { # LOG
  grep -c "info: told 127.0.0.1 what this distccd can do" "$1" || true
}

@test "a build's first wave asks each helper what it is once, however many jobs start at once" {
  start_helper
  dcc_keep_first_distccd
  start_helper
  export DISTCC_HOSTS="127.0.0.1:$FIRST_PORT/4 127.0.0.1:$DAEMON_PORT/4"
  local i pids=()
  for i in $(seq 12); do
    printf 'int f%d(void) { return %d; }\n' "$i" "$i" >w$i.c
  done
  # Twelve jobs at once with nothing learned yet: one CAPS question per
  # helper (the others wait for its answer or pick without it).
  for i in $(seq 12); do
    "$DCC_BIN/distcc" gcc -c w$i.c -o w$i.o 2>w$i.err &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  for i in $(seq 12); do [ -s w$i.o ] || { cat w$i.err; false; }; done
  [ "$(told_caps "$FIRST_LOG")" -eq 1 ]
  [ "$(told_caps "$DAEMON_LOG")" -eq 1 ]
  [ "$(($(jobs_from_us "$FIRST_LOG") + $(jobs_from_us "$DAEMON_LOG")))" -eq 12 ]
  # Each helper's question left its turn file empty: it was answered.
  [ ! -s "$DISTCC_DIR/helpers/tcp_127.0.0.1_$FIRST_PORT.asking" ]
  [ ! -s "$DISTCC_DIR/helpers/tcp_127.0.0.1_$DAEMON_PORT.asking" ]
}
