#!/usr/bin/env bats
# distccd against hostile clients. Whatever arrives on the job port (garbage,
# packets out of order, lengths meant to exhaust memory, a body cut short, an
# LZO or zstd bomb, silence), the daemon logs one clear line, closes the connection
# without an answer, leaves nothing in its job directory, stays clean under
# ASan/UBSan, and compiles the next honest job. Also: many honest clients at
# once against a daemon that runs four jobs at a time.

load common

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-240}
PUMP_REFUSAL='NAME "/src/../cc" is refused: it has a ".." component'

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >hello.c
  # Already preprocessed, so a raw request needs nothing from the client's cpp.
  printf 'int main(void) { return 0; }\n' >hello.i
  # No request here justifies a large allocation: under ASan, one above
  # 256 MiB is an error report, so "refused before allocation" is checked.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_allocation_size_mb=256"
  DAEMON_STDERR="$BATS_TEST_TMPDIR/distccd.stderr"
  : >"$DAEMON_STDERR"
}

teardown() {
  dcc_stop_distccd
  if [ -n "${FAKEBIN:-}" ]; then rm -rf "$FAKEBIN"; fi
  FAKEBIN=
  if [ -n "${INETD_DIR:-}" ]; then rm -rf "$INETD_DIR"; fi
  if [ -n "${STOCK_PID:-}" ]; then dcc_stop_pid "$STOCK_PID"; fi
  if [ -n "${STOCK_DIR:-}" ]; then rm -rf "$STOCK_DIR"; fi
  if [ -n "${MARK_DIR:-}" ]; then rm -rf "$MARK_DIR"; fi
}

# An honest job from Debian's distcc still compiles, and leaves no job
# directory behind once it is done.
assert_still_serves() {
  rm -f hello.o
  run stock_distcc gcc -c hello.c -o hello.o
  if [ "$status" -ne 0 ] || [ ! -s hello.o ]; then
    printf 'the next honest job failed (exit %s):\n%s\n' "$status" "$output" >&2
    return 1
  fi
  wait_until 5 assert_no_job_dirs 2>/dev/null || assert_no_job_dirs
}

# Stops the daemon (LeakSanitizer checks the daemon process as it exits),
# which must exit 0 on SIGTERM, and insists no sanitizer spoke, in the
# daemon or any of its job processes.
assert_daemon_sanitizer_clean() {
  local pid=$DAEMON_PID rc=0
  dcc_stop_distccd
  wait "$pid" || rc=$?
  assert_sanitizer_clean "$DAEMON_STDERR"
  if [ "$rc" -ne 0 ]; then
    printf 'distccd exited %s after SIGTERM\n' "$rc" >&2
    return 1
  fi
}

@test "an HTTP request on the job port is logged as a derailment and hung up on" {
  start_daemon

  send $'GET / HTTP/1.0\r\n\r\n'

  assert_hung_up_silently
  assert_warnings 'warning: bad request from 127.0.0.1: protocol derailment: expected DIST, got "GET / HTTP/1"'
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "binary garbage instead of a header is shown escaped in the log" {
  start_daemon

  # Exactly one header's worth: 12 bytes.
  send $'\x01\x02\xff\xfe\x7f\x1b[0m"\\\t'

  assert_hung_up_silently
  assert_warnings 'warning: bad request from 127.0.0.1: protocol derailment: expected DIST, got "\x01\x02\xff\xfe\x7f\x1b[0m\x22\x5c\x09"'
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "packets in the wrong order are a protocol derailment" {
  start_daemon

  send DIST00000001 DOTI00000000

  assert_hung_up_silently
  assert_warnings 'warning: bad request from 127.0.0.1: protocol derailment: expected ARGC, got DOTI'
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "ARGC of 2^31 is refused against the limit before anything is allocated" {
  start_daemon

  send DIST00000001 ARGC80000000

  assert_hung_up_silently
  assert_warnings 'warning: bad request from 127.0.0.1: ARGC 2147483648 exceeds the limit of 4096'
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "ARGC 0, an ARGV claiming 4 GiB and an ARGV with a NUL byte are bad requests" {
  start_daemon
  printf 'gc\0c' >nul-arg

  send DIST00000001 ARGC00000000
  assert_hung_up_silently
  send DIST00000001 ARGC00000001 ARGVffffffff
  assert_hung_up_silently
  send DIST00000001 ARGC00000001 ARGV00000004 "body@nul-arg"
  assert_hung_up_silently

  assert_warnings \
    'warning: bad request from 127.0.0.1: ARGC is 0: no compiler named' \
    'warning: bad request from 127.0.0.1: ARGV of 4294967295 bytes exceeds the limit of 65536' \
    'warning: bad request from 127.0.0.1: ARGV contains a NUL byte'
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "a DOTI length of 4 GiB - 1 is refused against the body limit before allocation" {
  start_daemon

  # The header holds 32 bits: ffffffff is the largest length a client can claim.
  send DIST00000001 "${HELLO_ARGV[@]}" DOTIffffffff

  assert_hung_up_silently
  assert_warnings 'warning: bad request from 127.0.0.1: DOTI of 4294967295 bytes exceeds the limit of 1073741824 bytes'
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "a source body cut short by the client is logged with the bytes missing" {
  start_daemon

  # Announces 4096 bytes, sends 5, then ends its side of the connection.
  send --half-close DIST00000001 "${HELLO_ARGV[@]}" DOTI00001000 hello

  assert_hung_up_silently
  assert_warnings 'warning: bad request from 127.0.0.1: peer closed the connection with 4091 bytes still expected'
  [ -z "$(job_compilers)" ]
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "an LZO body that would decompress beyond --max-body-size is refused" {
  start_daemon --max-body-size 1M
  # 16 MiB of zeros as one LZO1X-1 block: a few KiB on the wire, 16 times
  # the daemon's cap once inflated.
  "$WIRE" --lzo-zeros 16777216:bomb.lzo
  bomb_size=$(stat -c %s bomb.lzo)
  [ "$bomb_size" -lt 1048576 ]

  send DIST00000002 "${HELLO_ARGV[@]}" DOTI@bomb.lzo

  assert_hung_up_silently
  assert_warnings "warning: bad request from 127.0.0.1: lzo body of $bomb_size bytes decompresses to more than the limit of 1048576 bytes"
  assert_no_job_dirs
  # The cap is on the inflated size, so honest compressed jobs still pass.
  STOCK_HOSTS="127.0.0.1:$DAEMON_PORT,lzo" assert_still_serves
  grep -q ': compiled, exit 0, lzo, ' "$DAEMON_LOG"
  assert_daemon_sanitizer_clean
}

@test "an LZO body that is not LZO is a corrupt body, not a crash" {
  start_daemon
  head -c 300 /dev/zero | tr '\0' '\377' >not-lzo

  send DIST00000002 "${HELLO_ARGV[@]}" DOTI@not-lzo

  assert_hung_up_silently
  run daemon_warnings
  [[ "$output" =~ ^"warning: bad request from 127.0.0.1: corrupt lzo body of 300 bytes (lzo error -"[0-9]+")"$ ]]
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "a zstd request of ours compiles and is answered in zstd" {
  start_daemon
  gcc -c hello.i -o local.o

  # DIST 0x102: protocol 2 with DCC_FEAT_ZSTD (proto/dcc_caps.h).
  send --save DOTO:out.o DIST00000102 "${HELLO_ARGV[@]}" DOTI@zstd:hello.i

  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = closed ]
  grep -qx '< DONE00000002' <<<"$output"
  cmp out.o local.o
  grep -q ': compiled, exit 0, zstd, ' "$DAEMON_LOG"
  assert_no_job_dirs
  assert_daemon_sanitizer_clean
}

@test "a zstd body that would decompress beyond --max-body-size is refused" {
  start_daemon --max-body-size 1M
  # 16 MiB of zeros as one zstd frame that says so in its header.
  "$WIRE" --zstd-zeros 16777216:bomb.zst
  bomb_size=$(stat -c %s bomb.zst)
  [ "$bomb_size" -lt 4096 ]

  send DIST00000102 "${HELLO_ARGV[@]}" DOTI@bomb.zst

  assert_hung_up_silently
  assert_warnings "warning: bad request from 127.0.0.1: zstd body of $bomb_size bytes decompresses to more than the limit of 1048576 bytes"
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "a zstd body that is not zstd, or is cut inside its frame, is a corrupt body" {
  start_daemon
  head -c 300 /dev/zero | tr '\0' '\377' >not-zstd
  "$WIRE" --zstd-zeros 100000:zeros.zst
  head -c -3 zeros.zst >cut.zst

  send DIST00000102 "${HELLO_ARGV[@]}" DOTI@not-zstd
  assert_hung_up_silently
  send DIST00000103 CDIR:/src "${HELLO_ARGV[@]}" NFIL00000001 NAME:/src/hello.i FILE@cut.zst
  assert_hung_up_silently

  run daemon_warnings
  [ "${lines[0]}" = "warning: bad request from 127.0.0.1: corrupt zstd body of 300 bytes (not a zstd frame)" ]
  [[ "${lines[1]}" =~ ^"warning: bad request from 127.0.0.1: corrupt zstd body of $(stat -c %s cut.zst) bytes (" ]]
  [ "${#lines[@]}" -eq 2 ]
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "zstd with protocol 1, directives-only in pump mode, or a feature bit nobody offered, is an unsupported version" {
  start_daemon

  send DIST00000101 "${HELLO_ARGV[@]}" DOTI@hello.i
  assert_hung_up_silently
  send DIST00000403 CDIR:/src "${HELLO_ARGV[@]}" NFIL00000001 NAME:/src/hello.i FILE@lzo:hello.i
  assert_hung_up_silently
  send DIST00008002 "${HELLO_ARGV[@]}" DOTI@zstd:hello.i
  assert_hung_up_silently

  assert_warnings 'warning: bad request from 127.0.0.1: unsupported protocol version 257' \
    'warning: bad request from 127.0.0.1: unsupported protocol version 1027' \
    'warning: bad request from 127.0.0.1: unsupported protocol version 32770'
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "a client that connects and sends nothing holds no slot and is dropped after the handshake wait" {
  DISTCC_IO_TIMEOUT=2 start_daemon -j 1

  # The silent client takes a process, never the only job slot: the honest
  # job is served at once, and the silent one is dropped once its first
  # header is 2 s late (DISTCC_IO_TIMEOUT, when under 10 s).
  "$WIRE" --port "$DAEMON_PORT" --timeout 20 --ready silent.connected >silent.out &
  silent=$!
  wait_until 5 test -e silent.connected
  begun=${EPOCHREALTIME/./}
  assert_still_serves
  waited_ms=$(((${EPOCHREALTIME/./} - begun) / 1000))
  wait "$silent"

  [ "$(cat silent.out)" = "closed" ]
  [ "$waited_ms" -lt 1500 ]
  assert_warnings 'warning: dropped connection from 127.0.0.1: no request within 2 s'
  assert_daemon_sanitizer_clean
}

# Read system calls the accept loop (the daemon process itself) has made:
# each round of its loop reads its signal pipe once.
loop_reads() {
  sed -n 's/^syscr: //p' "/proc/$DAEMON_PID/io"
}

# Holds $2 connections from each address in $3 (comma-separated) to the
# daemon's port for $4 seconds, each having sent $1 (maybe nothing) and with
# HALF_CLOSE=1 shut its sending side; creates the file $5 once all are
# connected.
hold_connections() {
  timeout 30 python3 -c '
import os, socket, sys, time
first, n, sources, hold, ready = sys.argv[1:6]
half_close = os.environ.get("HALF_CLOSE") == "1"
held = []
for src in sources.split(","):
    for _ in range(int(n)):
        s = socket.socket()
        s.bind((src, 0))
        s.connect(("127.0.0.1", int(sys.argv[6])))
        if first:
            s.sendall(first.encode())
        if half_close:
            s.shutdown(socket.SHUT_WR)
        held.append(s)
open(ready, "w").close()
time.sleep(float(hold))
' "$@" "$DAEMON_PORT"
}

@test "questions that stop after their first bytes do not keep the accept loop spinning while it waits for the rest" {
  start_daemon
  before=$(loop_reads)
  # Ten connections that send the start of a CAPS header and no more: the
  # loop looks at each again once the rest could be a question, not every
  # time poll finds the same bytes still there (thousands of rounds in the
  # 50 ms it waits for each). Ten whose header has come, not its body; ten
  # that sent a piece and their end of the stream.
  hold_connections CAPS0000 10 127.0.0.1 1 held.ready
  hold_connections CAPS00000010 10 127.0.0.1 1 held.ready
  HALF_CLOSE=1 hold_connections CAPS0 10 127.0.0.1 1 held.ready
  after=$(loop_reads)
  rounds=$((after - before))
  [ "$rounds" -lt 500 ] || { echo "the accept loop went round $rounds times" >&2; false; }
  # A question that comes whole is still answered, and one that comes in
  # two pieces too (by the loop or, later than 50 ms, by a job process).
  send 'CAPS:{"caps":1}'
  [[ ${lines[1]} == "< CAPS"* ]]
  send CAPS0000000a sleep:0.01 '{"caps":1}'
  [[ ${lines[2]} == "< CAPS"* ]]
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "a burst of connections from several addresses takes no more job processes than the daemon serves at once, and leaves the stats port its own" {
  stats_port=$(dcc_free_port)
  DISTCC_IO_TIMEOUT=2 start_daemon -j 1 --max-per-address 100 --stats --stats-port "$stats_port"
  # -j 1: 12 connections served at once (4 per slot and 8). 28 silent ones,
  # accepted in one burst before the loop hands any over, from two
  # addresses (under 16 each, what one address may have waiting for its
  # first bytes): 12 get a process, the rest wait their turn.
  hold_connections "" 14 127.0.0.1,127.0.0.2 3 held.ready &
  holder=$!
  wait_until 5 test -e held.ready
  has_12_jobs() { [ "$(pgrep -P "$DAEMON_PID" | wc -l)" -ge 12 ]; }
  wait_until 5 has_12_jobs
  sleep 0.3 # every connection of the burst has been looked at by now
  jobs=$(pgrep -P "$DAEMON_PID" | wc -l)
  [ "$jobs" -eq 12 ] || { echo "$jobs job processes for 12 connections served at once" >&2; false; }
  dcc_http_get "$stats_port" / >page.txt
  grep -q '^<distccstats>' page.txt || { cat page.txt "$DAEMON_LOG" >&2; false; }
  wait "$holder"
  if grep "cannot start a process" "$DAEMON_LOG" >&2; then false; fi
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "a daemon started with a low soft open-file limit raises it to what its connections need: a burst is served, not refused for want of descriptors" {
  # -j 8: 40 connections at once, each with a job process whose socket the
  # accept loop keeps, besides its waiting connections and ~40 of its own
  # (the sandbox's among them): far more than 64.
  dcc_need_tool prlimit # util-linux
  DISTCC_IO_TIMEOUT=2 DAEMON_WRAPPER="prlimit --nofile=64:4096 --" \
    start_daemon -j 8 --max-per-address 100
  soft=$(awk '/^Max open files/ {print $4}' "/proc/$DAEMON_PID/limits")
  [ "$soft" -gt 64 ]
  before=$(loop_reads)
  hold_connections "" 14 127.0.0.1,127.0.0.2,127.0.0.3 2 held.ready
  rounds=$(($(loop_reads) - before))
  if grep "cannot start a process" "$DAEMON_LOG" >&2; then false; fi
  [ "$rounds" -lt 1000 ] || { echo "the accept loop went round $rounds times" >&2; false; }
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "a hard open-file limit too low for -j: the daemon serves fewer connections at once, says so, and still serves" {
  dcc_need_tool prlimit # util-linux
  DAEMON_WRAPPER="prlimit --nofile=200:200 --" start_daemon -j 30
  [ "$(awk '/^Max open files/ {print $4}' "/proc/$DAEMON_PID/limits")" -eq 200 ]
  grep -E "warning: the open-file limit of 200 lets this daemon serve [0-9]+ connections at once, not 128: raise it \(ulimit -n, LimitNOFILE=\) to [0-9]+" "$DAEMON_LOG"
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "out of descriptors under a tight hard limit, the accept loop waits for one instead of spinning on the ready port" {
  dcc_need_tool prlimit # util-linux
  DISTCC_IO_TIMEOUT=2 DAEMON_WRAPPER="prlimit --nofile=64:64 --" start_daemon -j 1 --max-per-address 100
  grep -q "warning: the open-file limit of 64 lets this daemon serve 1 connections at once" "$DAEMON_LOG"
  before=$(loop_reads)
  # More connections than descriptors left: accept fails until some go.
  hold_connections "" 14 127.0.0.1,127.0.0.2,127.0.0.3 2 held.ready
  rounds=$(($(loop_reads) - before))
  [ "$rounds" -lt 1000 ] || { echo "the accept loop went round $rounds times" >&2; false; }
  grep -q "warning: cannot accept a job connection: Too many open files; accepting again in 100 ms" "$DAEMON_LOG"
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "a toolchain report that failed when the daemon started is not made again in the accept loop for each CAPS question" {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 777 "$FAKEBIN"
  # A compiler that counts its runs: the report runs each one it lists.
  printf '#!/bin/sh\necho run >>%s/runs\necho 12.2.0\n' "$FAKEBIN" >"$FAKEBIN/countcc"
  chmod 755 "$FAKEBIN/countcc"
  # The whitelist is there but unreadable for the daemon's user when it
  # makes the report (as a non-root daemon, one more to take away).
  # shellcheck disable=SC2016 # the wrapper's own "$@"
  printf '#!/bin/bash\nprev=\nfor a in "$@"; do [ "$prev" = --whitelist-dir ] && chmod 0 "$a"; prev=$a; done\nexec "$@"\n' >lock-wl
  chmod 755 lock-wl
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" DAEMON_WRAPPER="$PWD/lock-wl" start_daemon
  grep -q "warning: toolchain report for CAPS answers failed: cannot read the whitelist directory" "$DAEMON_LOG"
  # Readable again, with a compiler more: a report now would run it, in
  # the loop that also accepts every connection (up to 10 s each).
  chmod 755 "$DAEMON_WL"
  ln -s /usr/bin/distcc "$DAEMON_WL/countcc"
  send 'CAPS:{"caps":1}'
  [[ ${lines[1]} == "< CAPS"* ]]
  send 'CAPS:{"caps":1}'
  [[ ${lines[1]} == "< CAPS"* ]]
  [ ! -e "$FAKEBIN/runs" ] || { echo "the report ran countcc $(wc -l <"$FAKEBIN/runs") times" >&2; false; }
  assert_daemon_sanitizer_clean
}

# A compiler that never opens its source and never ends by itself: only the
# daemon's kill stops it. The daemon finds it through DISTCCD_PATH=$FAKEBIN.
make_stubborncc() {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 755 "$FAKEBIN"
  printf '#!/bin/sh\nsleep 60\n' >"$FAKEBIN/stubborncc"
  chmod 755 "$FAKEBIN/stubborncc"
}

# Stops the daemon while a stubborncc job of $client (transcript in $1)
# waits: the job ends, its compiler is killed, the daemon exits, nothing is
# left behind.
assert_stop_ends_wait() {
  local pid=$DAEMON_PID
  kill -TERM "$pid"
  wait_until 5 no_compilers
  wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"
  wait "$client"
  [ "$(tail -n 1 "$1")" = "closed" ]
  grep -q "stubborncc hello.i: daemon shutting down" "$DAEMON_LOG"
  assert_no_job_dirs
  assert_sanitizer_clean "$DAEMON_STDERR"
}

@test "arguments and then silence: the compiler started early is killed when the daemon gives up" {
  make_stubborncc
  DISTCC_IO_TIMEOUT=2 DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" start_daemon --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/stubborncc"

  "$WIRE" --port "$DAEMON_PORT" --timeout 20 --ready args.sent DIST00000001 ARGC00000005 ARGV:stubborncc \
    ARGV:-c ARGV:hello.i ARGV:-o ARGV:hello.o >silent.out &
  client=$!
  wait_until 5 test -e args.sent
  # The compiler runs already, before any source.
  wait_until 5 compilers_running
  wait "$client"

  [ "$(tail -n 1 silent.out)" = "closed" ]
  assert_warnings 'warning: bad request from 127.0.0.1: while waiting for DOTI: timed out after 2 s waiting to read from peer'
  wait_until 5 no_compilers
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "the daemon stopped while a job waits for its source: the job ends and its compiler is killed" {
  make_stubborncc
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" start_daemon --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/stubborncc"

  "$WIRE" --port "$DAEMON_PORT" --timeout 20 --ready args.sent DIST00000001 ARGC00000005 ARGV:stubborncc \
    ARGV:-c ARGV:hello.i ARGV:-o ARGV:hello.o >waiting.out &
  client=$!
  wait_until 5 test -e args.sent
  wait_until 5 compilers_running
  # The job process ends its wait for the client at once, not after the
  # 300 s I/O timeout, and takes its compiler with it.
  assert_stop_ends_wait waiting.out
}

@test "a pump (protocol 3) request with a hostile NAME gets a refusal with a reason, not a hang" {
  start_daemon
  cp hello.i pumped.c

  send DIST00000003 CDIR:/src ARGC00000005 ARGV:gcc ARGV:-c ARGV:pumped.c ARGV:-o ARGV:pumped.o \
    NFIL00000002 NAME:/src/pumped.c "FILE@lzo:pumped.c" NAME:/src/../cc LINK:pumped.c

  [ "$status" -eq 0 ]
  [ "${lines[-6]}" = "< DONE00000003" ]
  [ "${lines[-5]}" = "< STAT00007100" ] # exit 113, access denied
  [[ "${lines[-4]}" == "< SERR"????????" distccd on $(hostname) refused this job: $PUMP_REFUSAL\n" ]]
  [ "${lines[-3]}" = "< SOUT00000000" ]
  [ "${lines[-2]}" = "< DOTO00000000 (0 bytes)" ]
  [ "${lines[-1]}" = "closed" ]
  assert_warnings "warning: refused job from 127.0.0.1: $PUMP_REFUSAL"
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "protocol versions 0 and 4 are bad requests" {
  start_daemon

  send DIST00000000
  assert_hung_up_silently
  send DIST00000004
  assert_hung_up_silently

  assert_warnings \
    'warning: bad request from 127.0.0.1: unsupported protocol version 0' \
    'warning: bad request from 127.0.0.1: unsupported protocol version 4'
  assert_still_serves
  assert_daemon_sanitizer_clean
}

# One hostile request to `distccd --inetd`: the job runs in the process that
# exits, so LeakSanitizer sees everything the job allocated.
inetd_case() {
  local expected=$1
  shift
  : >inetd.stderr
  run env TMPDIR="$INETD_TMP" DISTCC_IO_TIMEOUT=2 "$WIRE" --timeout 20 --stderr inetd.stderr "$@" \
    --exec "$DCC_BIN/distccd" --inetd --log-file "$INETD_DIR/distccd.log" --log-level info \
    --whitelist-dir "$INETD_WL" --max-body-size 1M
  assert_sanitizer_clean inetd.stderr
  if [ "$status" -ne 0 ] || [ "${lines[-2]}" != "closed" ] || [ "${lines[-1]}" != "exit 0" ]; then
    printf 'inetd case "%s": expected a hang-up and exit 0:\n%s\n' "$expected" "$output" >&2
    return 1
  fi
  assert_no_job_dirs "$INETD_TMP"
  local got
  got=$(sed -nE 's/^[0-9-]+ [0-9:]+ distccd\[[0-9]+\] (warning: .*)$/\1/p' "$INETD_DIR/distccd.log" |
    dcc_drop_partial_sandbox_lines)
  : >"$INETD_DIR/distccd.log"
  if [ "$got" != "warning: bad request from ssh/stdin: $expected" ]; then
    printf 'inetd case: expected "%s", logged:\n%s\n' "$expected" "$got" >&2
    return 1
  fi
}

@test "every hostile request frees all it allocated (one job per process, via --inetd)" {
  # Outside $BATS_TEST_TMPDIR: as root, distccd runs the job as nobody.
  INETD_DIR=$(mktemp -d /tmp/dcc-inetd.XXXXXX)
  INETD_TMP="$INETD_DIR/tmp"
  INETD_WL="$INETD_DIR/whitelist"
  mkdir -p "$INETD_TMP" "$INETD_WL"
  chmod 0755 "$INETD_DIR"
  chmod 1777 "$INETD_TMP"
  ln -s /usr/bin/distcc "$INETD_WL/gcc"
  "$WIRE" --lzo-zeros 16777216:bomb.lzo
  bomb_size=$(stat -c %s bomb.lzo)

  inetd_case 'protocol derailment: expected DIST, got "GET / HTTP/1"' $'GET / HTTP/1.0\r\n\r\n'
  inetd_case 'protocol derailment: expected ARGC, got DOTI' DIST00000001 DOTI00000000
  inetd_case 'unsupported protocol version 4' DIST00000004
  inetd_case 'ARGC 2147483648 exceeds the limit of 4096' DIST00000001 ARGC80000000
  inetd_case 'ARGV of 4294967295 bytes exceeds the limit of 65536' DIST00000001 ARGC00000002 ARGV:gcc ARGVffffffff
  inetd_case 'DOTI of 4294967295 bytes exceeds the limit of 1048576 bytes' DIST00000001 "${HELLO_ARGV[@]}" DOTIffffffff
  inetd_case 'peer closed the connection with 4091 bytes still expected' \
    --half-close DIST00000001 "${HELLO_ARGV[@]}" DOTI00001000 hello
  inetd_case 'peer closed the connection with 4091 bytes still expected' \
    --half-close DIST00000002 "${HELLO_ARGV[@]}" DOTI00001000 hello
  inetd_case "lzo body of $bomb_size bytes decompresses to more than the limit of 1048576 bytes" \
    DIST00000002 "${HELLO_ARGV[@]}" DOTI@bomb.lzo
  inetd_case 'NFIL 4294967295 exceeds the limit of 65536' \
    DIST00000003 CDIR:/src "${HELLO_ARGV[@]}" NFILffffffff
  inetd_case 'while waiting for DIST: timed out after 2 s waiting to read from peer'

  # And an honest job through the same door still compiles.
  run env TMPDIR="$INETD_TMP" "$WIRE" --timeout 20 --stderr inetd.stderr DIST00000002 "${HELLO_ARGV[@]}" \
    DOTI@lzo:hello.i --exec "$DCC_BIN/distccd" --inetd --log-file "$INETD_DIR/distccd.log" \
    --whitelist-dir "$INETD_WL"
  [ "$status" -eq 0 ]
  [ "${lines[-7]}" = "< DONE00000002" ]
  [ "${lines[-6]}" = "< STAT00000000" ]
  [[ "${lines[-3]}" == "< DOTO"*" bytes)" ]]
  [ "${lines[-1]}" = "exit 0" ]
  assert_sanitizer_clean inetd.stderr
  assert_no_job_dirs "$INETD_TMP"
}

# The largest number of job processes the daemon had at once, sampled until
# the file $1 appears (or the daemon is gone); written to max-jobs.
sample_daemon_jobs() {
  local max=0 n
  while [ ! -e "$1" ] && kill -0 "$DAEMON_PID" 2>/dev/null; do
    n=$(pgrep -P "$DAEMON_PID" | wc -l || true)
    if ((n > max)); then max=$n; fi
    sleep 0.05
  done
  echo "$max" >max-jobs
}

@test "50 stock clients at once all get their objects from a daemon running 4 jobs at a time" {
  stats_port=$(dcc_free_port)
  start_daemon -j 4 --stats --stats-port "$stats_port"
  grep -q "listening on all addresses port $DAEMON_PORT, 4 jobs," "$DAEMON_LOG"

  sample_daemon_jobs clients-done &
  sampler=$!
  # 50 client slots on this host, so the clients do not queue on their own
  # lock files: all 50 reach the daemon and wait in its backlog.
  pids=()
  for i in $(seq 50); do
    STOCK_HOSTS="127.0.0.1:$DAEMON_PORT/50" DISTCC_IO_TIMEOUT=120 \
      stock_distcc gcc -c hello.c -o "hello$i.o" 2>"client$i.err" &
    pids+=($!)
  done
  failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  touch clients-done
  wait "$sampler"

  [ "$failed" -eq 0 ] || { cat client*.err >&2; false; }
  for i in $(seq 50); do [ -s "hello$i.o" ]; done
  gcc hello37.o -o hello
  [ "$(./hello)" = "hello" ]
  [ "$(grep -c ': compiled, exit 0, ' "$DAEMON_LOG")" -eq 50 ]
  assert_warnings # none
  # Job processes serve connections (twice -j from one address, the rest
  # wait their turn); of them, at most -j hold a job slot at once, which the
  # daemon shows as its most children (kids.max, never below -j).
  max_jobs=$(cat max-jobs)
  [ "$max_jobs" -ge 2 ]
  [ "$max_jobs" -le 8 ]
  curl -s --max-time 5 "http://127.0.0.1:$stats_port/stats.json" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["kids"]["max"]==4, d["kids"]'

  # The parent counts a job once the job process has reported; allow that.
  page_says_50() { curl -s --max-time 5 "http://127.0.0.1:$stats_port/" >stats.txt && grep -qx 'dcc_compile_ok 50' stats.txt; }
  wait_until 5 page_says_50
  grep -qx 'dcc_compile_error 0' stats.txt
  grep -qx 'dcc_cli_disconnect 0' stats.txt
  wait_until 5 assert_no_job_dirs 2>/dev/null
  assert_daemon_sanitizer_clean
}

# Our client sends the arguments while its cpp runs; when cpp fails it closes
# the connection right where the source would start. That is no broken
# request: the log says so at info level and warns about nothing.
# What the job process (the daemon's one child) is doing now: "openat" when
# it is blocked in that system call, else the call's number or "running".
job_syscall() {
  local job nr
  job=$(pgrep -P "$DAEMON_PID" | head -n 1)
  [ -n "$job" ] || { echo none; return; }
  nr=$(cut -d' ' -f1 "/proc/$job/syscall" 2>/dev/null || echo gone)
  if [ "$nr" = "$OPENAT_NR" ]; then echo openat; else echo "$nr"; fi
}

@test "a compiler slow to open its source: the job waits in one blocking open, not a polling loop; the compiler's end and a stop still end the wait" {
  OPENAT_NR=$(printf '#include <sys/syscall.h>\nSYS_openat\n' | cpp -P | tail -n 1)
  [[ $OPENAT_NR =~ ^[0-9]+$ ]]
  make_stubborncc
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" start_daemon --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/stubborncc"

  # The source arrives while the compiler (sleep 60) never opens its FIFO.
  "$WIRE" --port "$DAEMON_PORT" --timeout 20 DIST00000001 ARGC00000005 ARGV:stubborncc \
    ARGV:-c ARGV:hello.i ARGV:-o ARGV:hello.o DOTI@hello.i >slow.out &
  client=$!
  wait_until 5 compilers_running
  wait_until 5 bash -c '[ "$(cut -d" " -f1 /proc/$(pgrep -P '"$DAEMON_PID"' | head -n 1)/syscall)" = '"$OPENAT_NR"' ]'
  # Sampled 20 times over a second: the job sleeps in open, or at most runs
  # (the check every 50 ms, on a busy machine waiting for a core). The old
  # polling loop (a try every 0.25 ms, then every 10 ms) slept in ppoll.
  in_open=0 running=0
  for _ in $(seq 20); do
    case $(job_syscall) in
    openat) in_open=$((in_open + 1)) ;;
    running) running=$((running + 1)) ;;
    esac
    sleep 0.05
  done
  echo "in open: $in_open, running: $running of 20" >&2
  [ "$in_open" -ge 10 ]
  [ $((in_open + running)) -ge 18 ]
  # The compiler ends without opening it: the job answers with its status.
  pkill -TERM -f -- "-o $DAEMON_TMP/distccd_"
  wait "$client"
  grep -q "stubborncc hello.i: compile failed" "$DAEMON_LOG"
  wait_until 5 no_compilers
  wait_until 5 no_job_dirs

  # Again, and this time the daemon is stopped during the wait.
  "$WIRE" --port "$DAEMON_PORT" --timeout 20 DIST00000001 ARGC00000005 ARGV:stubborncc \
    ARGV:-c ARGV:hello.i ARGV:-o ARGV:hello.o DOTI@hello.i >stopped.out &
  client=$!
  wait_until 5 compilers_running
  wait_until 5 bash -c '[ "$(cut -d" " -f1 /proc/$(pgrep -P '"$DAEMON_PID"' | head -n 1)/syscall)" = '"$OPENAT_NR"' ]'
  assert_stop_ends_wait stopped.out
}

@test "a client that closes where its source would start abandoned the job: no warning, compiler stopped" {
  start_daemon
  send --half-close DIST00000001 "${HELLO_ARGV[@]}"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "closed" ]
  wait_until 5 grep -q 'closed the connection before sending its source' "$DAEMON_LOG"
  grep -q 'info: client 127.0.0.1 closed the connection before sending its source (its preprocessor failed?)' "$DAEMON_LOG"
  grep -q 'notice: job from 127.0.0.1: gcc hello.i: abandoned by the client, exit 107' "$DAEMON_LOG"
  assert_warnings
  wait_until 5 no_compilers
  assert_no_job_dirs
  assert_still_serves
}

@test "a connection closed before its first byte is a port probe: an info line, no warning" {
  start_daemon
  send --half-close
  assert_hung_up_silently
  wait_until 5 grep -q 'closed without a request' "$DAEMON_LOG"
  grep -q 'info: connection from 127.0.0.1 closed without a request$' "$DAEMON_LOG"
  grep -qE 'notice: job from 127.0.0.1: - -: bad request, exit 108, [0-9]+ ms, 0 bytes in, 0 bytes out$' "$DAEMON_LOG"
  assert_warnings
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "a client that sends more after its source is a bad request: its compiler is killed, no answer" {
  make_stubborncc
  # Without early start: stubborncc never opens its source, so the daemon
  # watches the client only once the source is in the job directory.
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" start_daemon --sandbox=off --no-early-start
  ln -s /usr/bin/distcc "$DAEMON_WL/stubborncc"

  send DIST00000001 ARGC00000005 ARGV:stubborncc ARGV:-c ARGV:hello.i ARGV:-o ARGV:hello.o DOTI@hello.i DIST00000001

  assert_hung_up_silently
  assert_warnings 'warning: bad request from 127.0.0.1: it sent more data after its source; compiler killed'
  grep -q 'notice: job from 127.0.0.1: stubborncc hello.i: bad request, exit 109, ' "$DAEMON_LOG"
  wait_until 5 no_compilers
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

# ---- options that would make a helper run code or touch files ----------
#
# Each request below would, if the compiler ran it, create a marker file
# outside the job (a shell command, a file written at an absolute path, a
# listing, a compilation database). Each is sent in protocols 1, 2 and 3;
# the helper must answer with a refusal naming the option (exit 113, so the
# client builds locally), the marker must never appear, and the helper
# must go on compiling honest jobs.

# The job "$@" with the source SRC in protocol PROTO: in 1 and 2 the source
# is the preprocessed file SRC.i (.ii for C++), in 3 it is SRC.c (.cc) sent
# as /src/SRC.c with CDIR /src. Every "SRC" word of the command is replaced
# by the source's name. Sets the transcript like send.
attack() {
  local proto=$1 lang=$2
  shift 2
  local src word
  case "$proto:$lang" in
    [12]:c) src=hello.i ;;
    [12]:c++) src=hello.ii ;;
    3:c) src=hello.c ;;
    3:c++) src=hello.cc ;;
  esac
  [ -e "$src" ] || cp hello.i "$src"
  local -a words=() pieces
  for word in "$@"; do
    if [ "$word" = SRC ]; then words+=("$src"); else words+=("$word"); fi
  done
  pieces=("$(printf 'ARGC%08x' "${#words[@]}")")
  for word in "${words[@]}"; do pieces+=("ARGV:$word"); done
  case $proto in
    1) send DIST00000001 "${pieces[@]}" "DOTI@$src" ;;
    2) send DIST00000002 "${pieces[@]}" "DOTI@lzo:$src" ;;
    3) send DIST00000003 CDIR:/src "${pieces[@]}" NFIL00000001 "NAME:/src/$src" "FILE@lzo:$src" ;;
  esac
}

# Nothing was made in the marker directory.
assert_no_marker() {
  local left
  left=$(ls -A "$MARK_DIR")
  if [ -n "$left" ]; then
    printf 'the helper ran what it was sent: %s appeared in %s\n' "$left" "$MARK_DIR" >&2
    return 1
  fi
}

# Runs one attack in protocols 1, 2 and 3: LANG, the expected reason with
# MARK standing for the marker path, then the command with MARK for it.
attack_everywhere() {
  local lang=$1 reason=$2
  shift 2
  local proto mark word
  local -a cmd
  for proto in 1 2 3; do
    mark="$MARK_DIR/p$proto"
    cmd=()
    for word in "$@"; do cmd+=("${word//MARK/$mark}"); done
    attack "$proto" "$lang" "${cmd[@]}"
    assert_job_refused "$proto" "${reason//MARK/$mark}"
    assert_no_marker
  done
}

start_attacked_daemon() {
  MARK_DIR=$(mktemp -d /tmp/dcc-marker.XXXXXX)
  chmod 0777 "$MARK_DIR"
  start_daemon
  ln -s /usr/bin/distcc "$DAEMON_WL/clang"
}

finish_attack() {
  assert_no_marker
  rm -rf "$MARK_DIR"
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "an option whose value gcc reads as more driver options (-fcompare-debug=-wrapper ...) never runs a shell" {
  start_attacked_daemon
  attack_everywhere c \
    'option "-fcompare-debug=-wrapper /bin/sh,-c,touch${IFS}MARK" is not allowed on this helper: gcc reads its value as more driver options' \
    gcc '-fcompare-debug=-wrapper /bin/sh,-c,touch${IFS}MARK' -c SRC -o hello.o
  finish_attack
}

@test "gcc's --NAME spelling of -fNAME is read as gcc reads it: --compare-debug=, --plugin=, --module-mapper=|cmd, --dump-tree-...=/abs" {
  start_attacked_daemon
  attack_everywhere c \
    'option "--plugin=MARK.so" is not allowed on this helper: it loads a plugin into the compiler' \
    gcc --plugin=MARK.so -c SRC -o hello.o
  attack_everywhere c \
    'option "--compare-debug=-wrapper /bin/sh,-c,touch${IFS}MARK" is not allowed on this helper: gcc reads its value as more driver options' \
    gcc '--compare-debug=-wrapper /bin/sh,-c,touch${IFS}MARK' -c SRC -o hello.o
  attack_everywhere c++ \
    'option "--module-mapper=|touch MARK" is not allowed on this helper: a module mapper can run another program or open a connection' \
    g++ '--module-mapper=|touch MARK' -fmodules-ts -c SRC -o hello.o
  attack_everywhere c \
    'option "--dump-tree-original=MARK" is not allowed on this helper: it writes a file outside the job' \
    gcc --dump-tree-original=MARK -c SRC -o hello.o
  finish_attack
}

@test "an option clang takes without a value does not hide the next word: -dumpbase and -aux-info are gcc's" {
  start_attacked_daemon
  attack_everywhere c \
    'option "-dumpbase" is not allowed on this helper: it is not in this helper'"'"'s catalogue of clang options' \
    clang -dumpbase -MJMARK -c SRC -o hello.o
  attack_everywhere c \
    'option "-aux-info" is not allowed on this helper: it is not in this helper'"'"'s catalogue of clang options' \
    clang -aux-info -MJMARK -c SRC -o hello.o
  finish_attack
}

@test "clang's --config FILE, -working-directory= and -fproc-stat-report= are refused" {
  start_attacked_daemon
  cfg="$MARK_DIR.cfg"
  printf -- '-MJ%s/config\n' "$MARK_DIR" >"$cfg"
  attack_everywhere c \
    "option \"--config $cfg\" is not allowed on this helper: a configuration file adds options the helper cannot see" \
    clang --config "$cfg" -c SRC -o hello.o
  rm -f "$cfg"
  attack_everywhere c \
    "option \"-working-directory=$MARK_DIR\" is not allowed on this helper: it moves the compile out of the job directory" \
    clang "-working-directory=$MARK_DIR" -MD -MF wd.d -c SRC -o hello.o
  attack_everywhere c \
    'option "-fproc-stat-report=MARK" is not allowed on this helper: it writes a file outside the job' \
    clang -fproc-stat-report=MARK -c SRC -o hello.o
  finish_attack
}

@test "assembler options are checked however they are spelled: --for-assembler=, -Xassembler, -Wa," {
  start_attacked_daemon
  attack_everywhere c \
    'option "--for-assembler=-adhln=MARK" is not allowed on this helper: it writes a file outside the job (the assembler gets "-adhln=MARK")' \
    gcc --for-assembler=-adhln=MARK -c SRC -o hello.o
  attack_everywhere c \
    'option "-Xassembler -adhln=MARK" is not allowed on this helper: it writes a file outside the job (the assembler gets "-adhln=MARK")' \
    gcc -Xassembler -adhln=MARK -c SRC -o hello.o
  attack_everywhere c \
    'option "-Wa,--noexecstack,-aln=MARK" is not allowed on this helper: it writes a file outside the job (the assembler gets "-aln=MARK")' \
    gcc -Wa,--noexecstack,-aln=MARK -c SRC -o hello.o
  finish_attack
}

@test "ordinary Portage flags still compile in protocols 1, 2 and 3" {
  start_attacked_daemon
  local proto
  for proto in 1 2 3; do
    attack "$proto" c gcc -O2 -pipe -march=x86-64 -mtune=generic -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
      -fPIC -g -Wall -Wa,--noexecstack --param=ssp-buffer-size=4 -fno-common -c SRC -o hello.o
    grep -qx '< STAT00000000' <<<"$output"
    attack "$proto" c clang -O2 -march=x86-64 -fstack-protector-strong -fPIC -g -Xclang -fno-pch-timestamp \
      -c SRC -o hello.o
    grep -qx '< STAT00000000' <<<"$output"
    grep -qx '< DOTO0000[0-9a-f]* ([1-9][0-9]* bytes)' <<<"$output"
  done
  finish_attack
}

# ---- the source itself ----------------------------------------------------
#
# No argument policy can see what a source reads: the assembler's .incbin
# (protocols 1 and 2 send preprocessed source) and #include, which the
# helper's own preprocessor follows in pump mode. The job sandbox confines
# both to the job, the toolchain and the system headers.

# Sends the job "gcc -c SRC -o out.o" for the source file $2 in protocol $1
# (3: as /src/SRC with CDIR /src), keeping the object in out.o.
send_source() {
  local proto=$1 src=$2
  local -a argv=(ARGC00000005 ARGV:gcc ARGV:-c "ARGV:$src" ARGV:-o ARGV:out.o)
  rm -f out.o
  case $proto in
    1) send --save DOTO:out.o DIST00000001 "${argv[@]}" "DOTI@$src" ;;
    2) send --save DOTO:out.o DIST00000002 "${argv[@]}" "DOTI@lzo:$src" ;;
    3) send --save DOTO:out.o DIST00000003 CDIR:/src "${argv[@]}" NFIL00000001 "NAME:/src/$src" "FILE@lzo:$src" ;;
  esac
}

# The last job failed with exit 1 and this compiler message in SERR, and
# sent no object back.
assert_compile_failed_with() {
  if [ "$status" -ne 0 ] || ! grep -qx '< STAT00000100' <<<"$output" ||
    ! grep -q "^< SERR.*$1" <<<"$output" || ! grep -qx '< DOTO00000000 (0 bytes)' <<<"$output"; then
    printf 'expected a failed compile saying "%s", got:\n%s\n' "$1" "$output" >&2
    return 1
  fi
}

# Files that read the helper's /etc/passwd into the object.
make_stealing_sources() {
  printf 'asm(".section .rodata\\n.incbin \\"/etc/passwd\\"\\n");\nint x;\n' >steal.i
  printf '#include "/etc/passwd"\n' >steal.c
}

@test "a source cannot read the helper's files: .incbin \"/etc/passwd\" (protocols 1, 2) and #include \"/etc/passwd\" (pump) fail in the sandbox" {
  start_daemon
  make_stealing_sources
  for proto in 1 2; do
    send_source "$proto" steal.i
    assert_compile_failed_with 'Error: file not found: /etc/passwd'
  done
  send_source 3 steal.c
  assert_compile_failed_with 'fatal error: /etc/passwd: Permission denied'
  ! grep -q 'root:' <<<"$output"
  assert_warnings # none: a failed compile is the client's business
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

@test "#include \"/dev/zero\" in pump mode fails at once instead of growing the compiler without end" {
  start_daemon
  printf '#include "/dev/zero"\n' >zero.c
  send_source 3 zero.c
  assert_compile_failed_with 'fatal error: /dev/zero: Permission denied'
  wait_until 5 no_compilers
  assert_no_job_dirs
  assert_still_serves
  assert_daemon_sanitizer_clean
}

# Debian's distccd 3.4 given some of the requests above: what this file's
# other tests show refused or confined, it runs.
@test "stock distccd 3.4 runs the same attacks: -fcompare-debug=-wrapper runs a shell, clang --config writes, the source reads /etc/passwd" {
  dcc_start_stock_distccd
  MARK_DIR=$(mktemp -d /tmp/dcc-marker.XXXXXX)
  chmod 0777 "$MARK_DIR"
  DAEMON_PORT=$STOCK_PORT
  attack 1 c gcc "-fcompare-debug=-wrapper /bin/sh,-c,touch\${IFS}$MARK_DIR/shell" -c SRC -o hello.o
  wait_until 5 test -e "$MARK_DIR/shell"
  printf -- '-MJ%s/config\n' "$MARK_DIR" >"$MARK_DIR/clang.cfg"
  attack 1 c clang --config "$MARK_DIR/clang.cfg" -c SRC -o hello.o
  grep -qx '< STAT00000000' <<<"$output"
  [ -s "$MARK_DIR/config" ]
  make_stealing_sources
  send_source 1 steal.i
  grep -qx '< STAT00000000' <<<"$output"
  grep -qF "$(head -n 1 /etc/passwd)" out.o
  # In pump mode stock's own preprocessor reads it; the error quotes it.
  send_source 3 steal.c
  grep -q "^< SERR.*| $(head -n 1 /etc/passwd)" <<<"$output"
}
