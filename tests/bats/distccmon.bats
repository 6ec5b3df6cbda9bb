#!/usr/bin/env bats
# distccmon-text: stock's job lines for state files written by our library and by stock clients, per-host load, exits.
# shellcheck disable=SC2154 # output, lines, stderr, stderr_lines come from bats' run
# shellcheck disable=SC2030,SC2031 # each @test is a subshell on purpose

load common
bats_require_minimum_version 1.5.0

# state-writer.c: a tiny client stand-in that records its phase with libdcc's
# dcc_state_update, as our distcc does, waits for SIGTERM, then removes its
# file:   state-writer PHASE FILE HOST SLOT
setup_file() {
  WRITER="$BATS_FILE_TMPDIR/state-writer"
  export WRITER
  [ -f "$DCC_BUILD/libdcc.a" ] || return 0
  dcc_cc_with_libdcc "$WRITER" "$DCC_TOP/tests/bats/state-writer.c"
}

setup() {
  MON="$DCC_BIN/distccmon-text"
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  STATE="$DISTCC_DIR/state"
  export DISTCC_HOSTS=""
  WRITERS=()
}

teardown() {
  local p
  for p in "${WRITERS[@]}"; do dcc_stop_pid "$p"; done
  dcc_stop_pid "${HOLE_PID:-}"
  dcc_stop_pid "${PEER_PID:-}"
  dcc_stop_pid "${CLIENT_PID:-}"
}

need_writer() {
  [ -x "$WRITER" ] || skip "no $DCC_BUILD/libdcc.a to build the state writer"
}

# Starts a writer and waits until its state file is in place; sets LAST_PID.
start_writer() {
  "$WRITER" "$@" &
  LAST_PID=$!
  WRITERS+=("$LAST_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    [ -f "$STATE/binstate_$LAST_PID" ] && return 0
    sleep 0.05
  done
  echo "state-writer $* wrote no $STATE/binstate_$LAST_PID" >&2
  return 1
}

pid6() { printf '%6d' "$1"; }

# The scene most tests look at: five live jobs on four hosts, plus a crashed
# client, a stale file, a finished job and a file that is not a state record.
make_scene() {
  need_writer
  start_writer 2 u.c 10.9.9.9 0
  P_U=$LAST_PID
  start_writer 5 /src/big.c 127.0.0.1 0
  P_BIG=$LAST_PID
  start_writer 4 small.c 127.0.0.1 1
  P_SMALL=$LAST_PID
  start_writer 6 r.c box 1
  P_R=$LAST_PID
  start_writer 3 a_very_long_source_file_name_indeed.cpp localhost 0
  P_LONG=$LAST_PID

  start_writer 5 dead.c 127.0.0.1 2
  P_DEAD=$LAST_PID
  kill -9 "$P_DEAD"
  wait "$P_DEAD" 2>/dev/null || true
  start_writer 5 stale.c 127.0.0.1 3
  P_STALE=$LAST_PID
  touch -d '-2 minutes' "$STATE/binstate_$P_STALE"
  start_writer 7 done.c 127.0.0.1 3
  head -c 296 /dev/zero >"$STATE/binstate_99999"

  JOB_LINES=(
    "$(pid6 "$P_U")  Connect     u.c                                            10.9.9.9[0]"
    "$(pid6 "$P_BIG")  Compile     big.c                                         127.0.0.1[0]"
    "$(pid6 "$P_SMALL")  Send        small.c                                       127.0.0.1[1]"
    "$(pid6 "$P_R")  Receive     r.c                                                 box[1]"
    "$(pid6 "$P_LONG")  Preprocess  a_very_long_source_file_name_i                localhost[0]"
  )
}

# ---- arguments ------------------------------------------------------------

@test "--help explains the arguments and exits 0" {
  run --separate-stderr "$MON" --help
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Usage: distccmon-text [OPTION...] [DELAY]" ]
  [[ "$output" == *"Exit status: 0 done or interrupted, 101 bad arguments, 105 out of memory,"* ]]
  [ -z "$stderr" ]
}

@test "--version prints the version" {
  run --separate-stderr "$MON" --version
  [ "$status" -eq 0 ]
  [ "$output" = "distccmon-text $(cat "$DCC_TOP/VERSION")" ]
}

@test "a bad DELAY is one error line and exit 101" {
  local bad
  for bad in abc -1 -0.5 nan inf 1e9 2x ""; do
    run --separate-stderr "$MON" "$bad"
    [ "$status" -eq 101 ]
    [ -z "$output" ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "${stderr_lines[0]}" =~ ^distccmon-text\[[0-9]+\]\ error:\ bad\ delay\ \"$bad\":\ give\ seconds\ from\ 0\ to\ 86400,\ e\.g\.\ 2\ or\ 0\.5$ ]]
  done
  run --separate-stderr "$MON" 1 2
  [ "$status" -eq 101 ]
  [[ "$stderr" == *"error: too many arguments: give at most one DELAY (see distccmon-text --help)" ]]
  run --separate-stderr "$MON" --bogus
  [ "$status" -eq 101 ]
  [[ "$stderr" == *'error: bad argument "--bogus": unknown option (see distccmon-text --help)' ]]
}

# ---- one poll ----------------------------------------------------------------

@test "no jobs and no hosts: a single blank line, as stock prints" {
  mkdir -p "$STATE"
  run --separate-stderr "$MON"
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "${#lines[@]}" -eq 0 ]
  [ "$(DISTCC_DIR="$DISTCC_DIR" "$MON" | od -An -c | tr -d ' ')" = '\n' ]
  [ "$(/usr/bin/distccmon-text | od -An -c | tr -d ' ')" = '\n' ]
}

@test "a missing state directory shows no jobs and is not created" {
  run --separate-stderr "$MON"
  [ "$status" -eq 0 ]
  [ ! -e "$DISTCC_DIR" ]
}

@test "live jobs sorted by host and slot, then the load of every host" {
  make_scene
  export DISTCC_HOSTS="127.0.0.1/4 localhost/2 box:3700/2 --localslots=3"
  run --separate-stderr "$MON"
  [ "$status" -eq 0 ]
  local want=(
    "${JOB_LINES[@]}"
    "  127.0.0.1:3632  2/4 running"
    "  localhost  1/3 running"
    "  box:3700  1/2 running"
    "  10.9.9.9  1 running"
  )
  [ "${#lines[@]}" -eq "${#want[@]}" ]
  local i
  for i in "${!want[@]}"; do
    [ "${lines[$i]}" = "${want[$i]}" ]
  done
  # One blank line ends the poll.
  [ "$("$MON" | tail -c 2 | od -An -c | tr -d ' ')" = '\n\n' ]
  # The stale file is removed; the crashed client's file waits for the age rule.
  [ ! -e "$STATE/binstate_$P_STALE" ]
  [ -e "$STATE/binstate_$P_DEAD" ]
  [ -z "$stderr" ]
}

@test "stock distccmon-text prints the same job lines for our files" {
  dcc_need_tool /usr/bin/distccmon-text
  make_scene
  rm -f "$STATE/binstate_99999" # stock warns about it on stderr; we only compare stdout
  run --separate-stderr /usr/bin/distccmon-text
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 5 ]
  local i
  for i in "${!JOB_LINES[@]}"; do
    [ "${lines[$i]}" = "${JOB_LINES[$i]}" ]
  done
  # Ours prints exactly those lines before its summary.
  run --separate-stderr "$MON"
  for i in "${!JOB_LINES[@]}"; do
    [ "${lines[$i]}" = "${JOB_LINES[$i]}" ]
  done
  [ "${lines[5]}" = "  10.9.9.9  1 running" ]
}

@test "shows a running stock distcc client, exactly as stock's monitor does" {
  dcc_need_tool /usr/bin/distcc /usr/bin/distccmon-text
  # A daemon that accepts and never answers keeps the client in one phase.
  python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >"$BATS_TEST_TMPDIR/port" &
  HOLE_PID=$!
  local i port=""
  for ((i = 0; i < 100; i++)); do
    port=$(cat "$BATS_TEST_TMPDIR/port")
    [ -n "$port" ] && break
    sleep 0.05
  done
  echo 'int x;' >"$BATS_TEST_TMPDIR/x.c"
  mkdir -p "$DISTCC_DIR" # stock makes state/ but not its parent
  DISTCC_HOSTS="127.0.0.1:$port/1" DISTCC_FALLBACK=0 DISTCC_IO_TIMEOUT=60 \
    /usr/bin/distcc gcc -c "$BATS_TEST_TMPDIR/x.c" -o "$BATS_TEST_TMPDIR/x.o" 2>/dev/null &
  CLIENT_PID=$!
  for ((i = 0; i < 100; i++)); do
    /usr/bin/distccmon-text 2>/dev/null | grep -q Compile && break
    sleep 0.05
  done
  export DISTCC_HOSTS="127.0.0.1:$port/1"
  run --separate-stderr "$MON"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(pid6 "$CLIENT_PID")  Compile     x.c                                           127.0.0.1[0]" ]
  [ "${lines[1]}" = "  127.0.0.1:$port  1/1 running" ]
  [ "${#lines[@]}" -eq 2 ]
  [ "${lines[0]}" = "$(/usr/bin/distccmon-text | head -n 1)" ]
}

# A helper that reads the whole protocol 1 request, answers DONE STAT SERR
# SOUT and the DOTO header, and holds the object's body back until the file
# $1/go exists: the client sits in its Receive phase for as long as the test
# needs. Its port goes to $1/port. Sets PEER_PID.
start_slow_object_helper() {
  python3 -c '
import os, re, socket, sys, time
here = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
with open(here + "/port.tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(here + "/port.tmp", here + "/port")
c, _ = s.accept()
def take(n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            sys.exit("client hung up")
        data += chunk
    return data
while True:
    token, value = re.fullmatch(rb"([A-Z]{4})([0-9a-f]{8})", take(12)).groups()
    value = int(value, 16)
    if token in (b"ARGV", b"DOTI"):
        take(value)
    if token == b"DOTI":
        break
body = b"object held back\n"
c.sendall(b"DONE00000001STAT00000000SERR00000000SOUT00000000DOTO%08x" % len(body))
for _ in range(600):
    if os.path.exists(here + "/go"):
        break
    time.sleep(0.05)
c.sendall(body)
c.close()
' "$1" &
  PEER_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    [ -s "$1/port" ] && return 0
    sleep 0.05
  done
  echo "the helper wrote no $1/port" >&2
  return 1
}

@test "a client receiving its object shows Receive, as stock's monitor shows it" {
  local d=$BATS_TEST_TMPDIR
  start_slow_object_helper "$d"
  local port
  port=$(cat "$d/port")
  echo 'int x;' >"$d/x.c"
  mkdir "$d/out"
  # The helper takes one connection: no CAPS question first.
  DISTCC_TOOLCHAIN_MATCH=off DISTCC_HOSTS="127.0.0.1:$port/1" DISTCC_FALLBACK=0 \
    "$DCC_BIN/distcc" gcc -c "$d/x.c" -o "$d/out/x.o" 2>"$d/client.err" &
  CLIENT_PID=$!
  # The client makes its temporary object once the DOTO header is in: by
  # then it has read DONE and is receiving, whatever its state file says.
  local i
  for ((i = 0; i < 200; i++)); do
    [ -n "$(ls -A "$d/out")" ] && break
    sleep 0.05
  done
  [[ "$(ls -A "$d/out")" == .x.o.distcc-* ]]
  export DISTCC_HOSTS="127.0.0.1:$port/1"
  run --separate-stderr "$MON"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(pid6 "$CLIENT_PID")  Receive     x.c                                           127.0.0.1[0]" ]
  [ "${lines[1]}" = "  127.0.0.1:$port  1/1 running" ]
  [ "${#lines[@]}" -eq 2 ]
  if [ -x /usr/bin/distccmon-text ]; then
    [ "$(/usr/bin/distccmon-text | head -n 1)" = "${lines[0]}" ]
  fi
  touch "$d/go"
  local rc=0
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=
  [ "$rc" -eq 0 ]
  [ ! -s "$d/client.err" ]
  [ "$(cat "$d/out/x.o")" = "object held back" ]
  [ -z "$(ls -A "$STATE")" ]
}

@test "without a usable host list the load lines have no slot counts" {
  make_scene
  export DISTCC_HOSTS="box:notaport"
  run --separate-stderr "$MON"
  [ "$status" -eq 0 ]
  [ "${lines[5]}" = "  10.9.9.9  1 running" ]
  [ "${lines[6]}" = "  127.0.0.1  2 running" ]
  [ "${lines[7]}" = "  box  1 running" ]
  [ "${lines[8]}" = "  localhost  1 running" ]
  [ "${#lines[@]}" -eq 9 ]
}

@test "host entries that share a name share one load line" {
  need_writer
  start_writer 5 a.c box 0
  export DISTCC_HOSTS="box:3632/4 box:3700/2 @box/3"
  run --separate-stderr "$MON"
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "  box  1/9 running" ]
  [ "${#lines[@]}" -eq 2 ]
}

# ---- repeating and stopping ----------------------------------------------------

# Runs the monitor every 0.1 s, sends $1 after about half a second, and
# checks that it stopped by itself, with status 0 and whole polls.
stop_with() {
  need_writer
  start_writer 5 big.c 127.0.0.1 0
  export DISTCC_HOSTS="127.0.0.1/4"
  "$MON" 0.1 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
  local pid=$! i rc=0
  sleep 0.5
  kill "-$1" "$pid"
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    echo "distccmon-text did not stop on SIG$1" >&2
    return 1
  fi
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ]
  [ ! -s "$BATS_TEST_TMPDIR/err" ]
  local polls
  polls=$(grep -c '^$' "$BATS_TEST_TMPDIR/out")
  [ "$polls" -ge 2 ]
  [ "$(grep -c 'Compile     big.c' "$BATS_TEST_TMPDIR/out")" -eq "$polls" ]
  [ "$(grep -c '^  127.0.0.1:3632  1/4 running$' "$BATS_TEST_TMPDIR/out")" -eq "$polls" ]
  [ "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" = "" ]
}

@test "with a DELAY it polls until SIGINT, then exits 0" {
  stop_with INT
}

@test "with a DELAY it polls until SIGTERM, then exits 0" {
  stop_with TERM
}

# ---- failures ----------------------------------------------------------------

@test "a state path that is not a directory is one error line and exit 107" {
  mkdir -p "$DISTCC_DIR"
  : >"$STATE"
  run --separate-stderr "$MON"
  [ "$status" -eq 107 ]
  [ -z "$output" ]
  [ "${#stderr_lines[@]}" -eq 1 ]
  [[ "${stderr_lines[0]}" == *"error: cannot read state directory $STATE: Not a directory" ]]
}
