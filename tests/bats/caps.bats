#!/usr/bin/env bats
# CAPS: how our client learns that a helper is ours and what it offers (and
# that a stock 3.4 helper is stock), once, kept under $DISTCC_DIR/helpers;
# and how our distccd answers the question and the feature bits of DIST.

load common

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_HELPER_TTL DISTCC_IO_TIMEOUT
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  DAEMON_STDERR="$BATS_TEST_TMPDIR/distccd.stderr"
  : >"$DAEMON_STDERR"
  MACHINE=$(gcc -dumpmachine)
  VERSION=$("$DCC_BIN/distcc" --version | sed -n '1s/^distcc \([^ ]*\) .*/\1/p')
}

teardown() {
  dcc_stop_distccd
  if [ -n "${STOCK_PID:-}" ]; then dcc_stop_pid "$STOCK_PID"; fi
  if [ -n "${STOCK_DIR:-}" ]; then rm -rf "$STOCK_DIR"; fi
  if [ -n "${FAKE_PID:-}" ]; then dcc_stop_pid "$FAKE_PID"; fi
  STOCK_PID= STOCK_DIR= FAKE_PID=
}

# distcc --show-helpers with the "learned N s ago" made constant.
show_helpers() {
  run "$DCC_BIN/distcc" --show-helpers
  output=$(sed -E 's/learned [0-9]+ s ago/learned N s ago/' <<<"$output")
  mapfile -t lines <<<"$output"
}

told() {
  grep -c "info: told 127.0.0.1 what this distccd can do" "$DAEMON_LOG" || true
}

@test "our distccd answers CAPS with its version, protocols, features and slots, and closes" {
  start_daemon --allow 127.0.0.1 --jobs 3
  send 'CAPS:{"caps":1}'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = '> CAPS0000000a {"caps":1}' ]
  [ "${lines[2]}" = closed ]
  [ "${#lines[@]}" -eq 3 ]
  # The answer's length is its header's; its toolchain is the /toolchain
  # report (distcc-preflight's tests check that one), the rest exactly.
  answer=${lines[1]}
  body=${answer#< CAPS???????? }
  [ "$answer" = "$(printf '< CAPS%08x %s' "${#body}" "$body")" ]
  run python3 -c '
import json, sys
d = json.loads(sys.argv[1])
t = d.pop("toolchain")
print(json.dumps(d, separators=(",", ":")))
print(t["whitelist_dir"] == sys.argv[2], sorted(t["compilers"]))
' "$body" "$DAEMON_WL"
  [ "${lines[0]}" = "{\"caps\":1,\"server\":\"distccd $VERSION $MACHINE\",\"protocols\":[1,2,3],\"features\":[\"zstd\",\"directives\",\"load\"],\"jobs\":3}" ]
  [ "${lines[1]}" = "True ['c++', 'cc', 'g++', 'gcc', '$MACHINE-g++', '$MACHINE-gcc']" ]
  assert_warnings
  [ "$(told)" -eq 1 ]
  grep -q "notice: job from 127.0.0.1: - -: capabilities asked, exit 0" "$DAEMON_LOG"
  assert_no_job_dirs
}

@test "a CAPS question that is empty, too long or not a JSON object is a bad request" {
  start_daemon --allow 127.0.0.1
  send CAPS00000000
  assert_hung_up_silently
  send CAPS00001001
  assert_hung_up_silently
  send 'CAPS:[1,2]'
  assert_hung_up_silently
  send 'CAPS:{"caps"'
  assert_hung_up_silently
  assert_warnings 'warning: bad request from 127.0.0.1: CAPS question of 0 bytes' \
    'warning: bad request from 127.0.0.1: CAPS question of 4097 bytes' \
    'warning: bad request from 127.0.0.1: CAPS question is not a JSON object' \
    'warning: bad request from 127.0.0.1: CAPS question is not a JSON object'
  [ "$(told)" -eq 0 ]
  assert_sanitizer_clean
}

# The pid of the daemon's accept loop, from the line it logs once it serves.
loop_pid() {
  sed -nE 's/^.* distccd\[([0-9]+)\] notice: distccd .* listening on .*/\1/p' "$DAEMON_LOG"
}

@test "the accept loop answers a whole CAPS question itself, also from an address at its --max-per-address" {
  start_daemon --allow 127.0.0.0/8 --jobs 1 --max-per-address 1
  # A connection that says nothing holds the only place of 127.0.0.1 for 5 s.
  timeout 20 "$WIRE" --port "$DAEMON_PORT" sleep:5 >/dev/null &
  IDLE=$!
  wait_until 5 grep -q "info: connection from 127.0.0.1 closed\|distccd\[[0-9]*\] " "$DAEMON_LOG"
  sleep 0.3 # past the loop's look at its first bytes: it is a job process's now
  # A question from the same address is not parked behind it (the answer
  # comes well before the idle one ends), and no process is made for it.
  send --timeout 2 'CAPS:{"caps":1}'
  [ "${lines[2]}" = closed ]
  [[ ${lines[1]} == '< CAPS'*'"jobs":1'* ]]
  send --timeout 2 'CAPS:{"caps":1,"load":true}'
  [ "${lines[1]}" = '< CAPS0000003f {"caps":1,"load":{"jobs":1,"running":0,"waiting":0,"others":0}}' ]
  pid=$(loop_pid)
  [ -n "$pid" ]
  grep -q "distccd\[$pid\] info: told 127.0.0.1 what this distccd can do" "$DAEMON_LOG"
  grep -q "distccd\[$pid\] info: told 127.0.0.1 how busy this distccd is: 0 of 1 slots running, 0 waiting, 0 connections from others" "$DAEMON_LOG"
  grep -q "distccd\[$pid\] notice: job from 127.0.0.1: - -: capabilities asked, exit 0" "$DAEMON_LOG"
  ! grep -q "waits: 1 of its connections are served already" "$DAEMON_LOG"
  kill "$IDLE" 2>/dev/null || true
  wait "$IDLE" 2>/dev/null || true
  assert_warnings
  assert_no_job_dirs
}

@test "a CAPS question that comes slowly, or in pieces, is answered by a job process" {
  start_daemon --allow 127.0.0.1
  # Nothing for longer than the loop waits for a question: a process's.
  send sleep:0.3 'CAPS:{"caps":1}'
  [[ ${lines[1]} == "< CAPS"* ]]
  # One byte every 20 ms: still coming when the loop's wait ends.
  send trickle:0.02 'CAPS:{"caps":1,"load":true}'
  [[ ${lines[1]} == "< CAPS"*"\"load\":{"* ]]
  pid=$(loop_pid)
  [ "$(grep -c "distccd\[[0-9]*\] info: told 127.0.0.1 " "$DAEMON_LOG")" -eq 2 ]
  [ "$(grep -c "distccd\[$pid\] info: told 127.0.0.1 " "$DAEMON_LOG")" -eq 0 ]
  assert_warnings
}

@test "DIST with a feature bit this distccd does not offer is refused as an unknown protocol" {
  start_daemon --allow 127.0.0.1
  # 0x8000: no feature of anyone; 0x101: zstd, which this distccd may or may not offer.
  send DIST00008001
  assert_hung_up_silently
  send DIST00000004
  assert_hung_up_silently
  assert_warnings 'warning: bad request from 127.0.0.1: unsupported protocol version 32769' \
    'warning: bad request from 127.0.0.1: unsupported protocol version 4'
}

@test "distcc --show-helpers: ours, stock 3.4, unreachable and this machine" {
  dcc_start_stock_distccd
  start_daemon --allow 127.0.0.1 --jobs 5
  dead=$(dcc_free_port)
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/5,lzo 127.0.0.1:$STOCK_PORT 127.0.0.1:$dead localhost"
  show_helpers
  [ "$status" -eq 103 ]
  [ "${lines[0]}" = "127.0.0.1:$DAEMON_PORT/5,lzo: distccd $VERSION $MACHINE; 5 slots; features: zstd directives load (learned N s ago)" ]
  [ "${lines[1]}" = "127.0.0.1:$STOCK_PORT/4: stock distcc or another distccd (no CAPS answer; learned N s ago)" ]
  [ "${lines[2]}" = "127.0.0.1:$dead/4: not reachable: cannot connect to 127.0.0.1:$dead: Connection refused" ]
  [ "${lines[3]}" = "localhost/2: this machine" ]
  [ "${#lines[@]}" -eq 4 ]
  # Stock saw one request that was not DIST, showed it, and closed at once.
  grep -q 'protocol derailment: expected token "DIST"' "$STOCK_LOG"
  grep -q 'error context: "CAPS0000000a{"caps":1}"' "$STOCK_LOG"
}

@test "what a helper is, is asked once and kept under \$DISTCC_DIR/helpers for DISTCC_HELPER_TTL" {
  dcc_start_stock_distccd
  start_daemon --allow 127.0.0.1
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT 127.0.0.1:$STOCK_PORT"
  show_helpers
  [ "$status" -eq 0 ]
  show_helpers
  [ "$status" -eq 0 ]
  [ "$(told)" -eq 1 ]
  [ "$(grep -c 'fairy dust' "$STOCK_LOG")" -eq 1 ] || { cat "$STOCK_LOG"; false; }
  run cat "$DISTCC_DIR/helpers/tcp_127.0.0.1_$STOCK_PORT.json"
  [[ "$output" =~ ^\{\"learned\":[0-9]+,\"ours\":false,\"answer\":null\}$ ]]
  run cat "$DISTCC_DIR/helpers/tcp_127.0.0.1_$DAEMON_PORT.json"
  [[ "$output" == *'"ours":true,"answer":{"caps":1,'* ]]
  # Nothing half-written is left beside them; beside each, its question's
  # turn (one question per helper at a time), empty as it was answered.
  [ "$(ls "$DISTCC_DIR/helpers" | grep -vc '\.asking$')" -eq 2 ]
  [ -f "$DISTCC_DIR/helpers/tcp_127.0.0.1_$DAEMON_PORT.asking" ]
  [ ! -s "$DISTCC_DIR/helpers/tcp_127.0.0.1_$DAEMON_PORT.asking" ]

  # 0: asked every time, nothing new kept.
  rm -r "$DISTCC_DIR/helpers"
  DISTCC_HELPER_TTL=0 show_helpers
  [ "$status" -eq 0 ]
  [ "$(told)" -eq 2 ]
  [ ! -e "$DISTCC_DIR/helpers" ]
}

@test "a kept answer that is too old, damaged or not a file is asked again and replaced" {
  start_daemon --allow 127.0.0.1
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT"
  kept="$DISTCC_DIR/helpers/tcp_127.0.0.1_$DAEMON_PORT.json"
  show_helpers
  [ "$(told)" -eq 1 ]
  # Too old for a TTL of 60 s.
  sed -i -E 's/"learned":[0-9]+/"learned":1000/' "$kept"
  DISTCC_HELPER_TTL=60 show_helpers
  [ "$(told)" -eq 2 ]
  grep -vq '"learned":1000' "$kept"
  # From the future.
  sed -i -E 's/"learned":[0-9]+/"learned":9999999999/' "$kept"
  show_helpers
  [ "$(told)" -eq 3 ]
  # Damaged.
  printf '{"learned":' >"$kept"
  show_helpers
  [ "$(told)" -eq 4 ]
  # Says "ours" without an answer.
  printf '{"learned":%s,"ours":true,"answer":null}' "$(date +%s)" >"$kept"
  show_helpers
  [ "$(told)" -eq 5 ]
  # A symbolic link is not followed.
  rm "$kept"
  printf '{"learned":%s,"ours":false,"answer":null}' "$(date +%s)" >elsewhere.json
  ln -s "$BATS_TEST_TMPDIR/elsewhere.json" "$kept"
  show_helpers
  [ "$(told)" -eq 6 ]
  [ "${lines[0]}" = "127.0.0.1:$DAEMON_PORT/4: distccd $VERSION $MACHINE; 4 slots; features: zstd directives load (learned N s ago)" ]
  [ ! -L "$kept" ]
}

@test "a helper that answers CAPS with nonsense is an error, and nothing is kept" {
  start_fake_helper 'CAPS00000004nope'
  DISTCC_HOSTS="127.0.0.1:$FAKE_PORT" show_helpers
  [ "$status" -eq 109 ]
  [ "$output" = "127.0.0.1:$FAKE_PORT/4: not reachable: asking 127.0.0.1 what it can do: its CAPS answer is not JSON: '[' or '{' expected near 'nope'" ]
  [ ! -e "$DISTCC_DIR/helpers/tcp_127.0.0.1_$FAKE_PORT.json" ]

  start_fake_helper 'CAPS0000000b{"caps":[]}'
  DISTCC_HOSTS="127.0.0.1:$FAKE_PORT" show_helpers
  [ "$status" -eq 109 ]
  [ "$output" = "127.0.0.1:$FAKE_PORT/4: not reachable: asking 127.0.0.1 what it can do: \"caps\" is missing or not a version number" ]

  start_fake_helper 'CAPS00100000'
  DISTCC_HOSTS="127.0.0.1:$FAKE_PORT" show_helpers
  [ "$status" -eq 109 ]
  [ "$output" = "127.0.0.1:$FAKE_PORT/4: not reachable: asking 127.0.0.1 what it can do: its CAPS answer is 1048576 bytes long" ]

  start_fake_helper 'DONE00000001'
  DISTCC_HOSTS="127.0.0.1:$FAKE_PORT" show_helpers
  [ "$status" -eq 109 ]
  [ "$output" = "127.0.0.1:$FAKE_PORT/4: not reachable: asking 127.0.0.1 what it can do: protocol derailment: expected CAPS, got DONE" ]
  # Nothing is kept but the failure, for the jobs that waited for this question.
  [ -z "$(ls "$DISTCC_DIR/helpers" | grep -v '\.asking$')" ]
  [ "$(cat "$DISTCC_DIR/helpers/tcp_127.0.0.1_$FAKE_PORT.asking")" = "109 asking 127.0.0.1 what it can do: protocol derailment: expected CAPS, got DONE" ]
}
