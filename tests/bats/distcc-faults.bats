#!/usr/bin/env bats
# The distcc client when helpers or disks fail: the build goes on locally (or
# stops with distcc's documented code under DISTCC_FALLBACK=0), and no
# half-written object is ever left behind.

# shellcheck disable=SC2154 # stderr, stderr_lines come from bats' run

load common
bats_require_minimum_version 1.5.0

setup() {
  cd "$BATS_TEST_TMPDIR"
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  mkdir src
  printf '#include <stdio.h>\nint main(void) { puts("hello from distcc"); return 0; }\n' >src/hello.c
  gcc -c src/hello.c -o local.o
}

teardown() {
  dcc_stop_pid "${LISTENER_PID:-}"
  LISTENER_PID=
  dcc_stop_distccd
  [ -n "${FAKEBIN:-}" ] && rm -rf "$FAKEBIN"
  FAKEBIN=
}

# A TCP server on a free loopback port that accepts every connection, counts
# it in $BATS_TEST_TMPDIR/accepted, and then: "silent" keeps it open without
# a word; "garbage" reads the request and answers with HTTP. Bounded to 120 s.
start_listener() {
  LISTENER_PORT=$(dcc_free_port)
  timeout 120 python3 -c '
import socket, sys
mode, port, count = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
held, n = [], 0
while True:
    c, _ = s.accept()
    n += 1
    open(count, "w").write("%d\n" % n)
    if mode == "garbage":
        c.recv(65536)
        c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        c.close()
    else:
        held.append(c)
' "$1" "$LISTENER_PORT" "$BATS_TEST_TMPDIR/accepted" &
  LISTENER_PID=$!
  dcc_wait_port "$LISTENER_PORT" 10
}

# The directory holds exactly the given names (sorted), nothing else:
# no .hello.o.distcc-* temporaries, no partial objects.
dir_holds_only() {
  local dir=$1
  shift
  local want
  want=$(printf '%s\n' "$@" | sort)
  [ "$(ls -A "$dir")" = "$want" ] || {
    echo "$dir holds: $(ls -A "$dir" | tr '\n' ' ')" >&2
    return 1
  }
}

@test "a helper killed mid-job: the client builds locally and the object is right" {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 1777 "$FAKEBIN"
  mkdir -p "$FAKEBIN/daemon" "$FAKEBIN/client"
  chmod 755 "$FAKEBIN/daemon" "$FAKEBIN/client"
  # The helper's compiler never finishes; the client's is gcc.
  printf '#!/bin/sh\ncase " $* " in *" -E "*) exec gcc "$@" ;; esac\necho $$ >%s/slow.pid\nexec sleep 60\n' "$FAKEBIN" \
    >"$FAKEBIN/daemon/slowcc"
  printf '#!/bin/sh\nexec gcc "$@"\n' >"$FAKEBIN/client/slowcc"
  chmod 755 "$FAKEBIN/daemon/slowcc" "$FAKEBIN/client/slowcc"
  DISTCCD_PATH="$FAKEBIN/daemon:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/slowcc"
  (cd src && PATH="$FAKEBIN/client:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" \
    exec "$DCC_BIN/distcc" slowcc -c hello.c -o hello.o) >client.out 2>&1 &
  client=$!
  for _ in $(seq 200); do [ -s "$FAKEBIN/slow.pid" ] && break; sleep 0.05; done
  [ -s "$FAKEBIN/slow.pid" ]
  # The daemon, its workers and the job's compiler, by pid.
  kill -9 "$DAEMON_PID" $(pgrep -P "$DAEMON_PID") "$(cat "$FAKEBIN/slow.pid")"
  for _ in $(seq 200); do kill -0 "$client" 2>/dev/null || break; sleep 0.05; done
  wait "$client"
  [[ "$(without_pids <client.out)" == "distcc: warning: failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4 ("*"), running locally instead" ]]
  [ "$(wc -l <client.out)" -eq 1 ]
  cmp src/hello.o local.o
  dir_holds_only src hello.c hello.o
}

@test "a helper that accepts and never answers: after DISTCC_IO_TIMEOUT the job builds locally" {
  start_listener silent
  start=$SECONDS
  cd src
  # The job's own wait for DONE (no CAPS question first, which would time out the same way).
  DISTCC_HOSTS="127.0.0.1:$LISTENER_PORT" DISTCC_IO_TIMEOUT=2 DISTCC_TOOLCHAIN_MATCH=off run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  elapsed=$((SECONDS - start))
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$LISTENER_PORT/4 (waiting for the result: while waiting for DONE: timed out after 2 s waiting to read from peer), running locally instead" ]
  [ "$elapsed" -ge 2 ]
  [ "$elapsed" -le 10 ]
  cmp hello.o ../local.o
  dir_holds_only . hello.c hello.o
}

@test "a helper that never answers, with DISTCC_FALLBACK=0: exit 118 (timeout) and no object" {
  start_listener silent
  cd src
  DISTCC_HOSTS="127.0.0.1:$LISTENER_PORT" DISTCC_IO_TIMEOUT=2 DISTCC_FALLBACK=0 run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 118 ]
  [ "$(without_pids <<<"${lines[-1]}")" = "distcc: error: failed to distribute hello.c and fallbacks are disabled (DISTCC_FALLBACK=0): no helper could take it" ]
  dir_holds_only . hello.c
}

@test "a helper that timed out is backed off: the next job builds locally without waiting for it" {
  start_listener silent
  cd src
  DISTCC_HOSTS="127.0.0.1:$LISTENER_PORT" DISTCC_IO_TIMEOUT=2 run "$DCC_BIN/distcc" gcc -c hello.c -o one.o
  [ "$status" -eq 0 ]
  [ -e "$DISTCC_DIR/lock/backoff_tcp_127.0.0.1_${LISTENER_PORT}_0" ]
  start=$SECONDS
  DISTCC_HOSTS="127.0.0.1:$LISTENER_PORT" DISTCC_IO_TIMEOUT=2 run "$DCC_BIN/distcc" gcc -c hello.c -o two.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ $((SECONDS - start)) -le 1 ]
  [ "$(cat ../accepted)" -eq 1 ]
  cmp two.o ../local.o
}

@test "a helper that answers garbage: local build; with DISTCC_FALLBACK=0 exit 109 (protocol)" {
  start_listener garbage
  cd src
  DISTCC_HOSTS="127.0.0.1:$LISTENER_PORT" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  # The first word with the helper is the CAPS question (toolchain matching).
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$LISTENER_PORT/4 (asking 127.0.0.1 what it can do: protocol derailment: expected CAPS, got \"HTTP/1.0 400\"), running locally instead" ]
  cmp hello.o ../local.o
  DISTCC_DIR="$BATS_TEST_TMPDIR/fresh" DISTCC_HOSTS="127.0.0.1:$LISTENER_PORT" DISTCC_FALLBACK=0 \
    run "$DCC_BIN/distcc" gcc -c hello.c -o again.o
  [ "$status" -eq 109 ]
  dir_holds_only . hello.c hello.o
}

@test "nothing listens on the helper's port: local build; with DISTCC_FALLBACK=0 exit 103 (connect)" {
  port=$(dcc_free_port)
  cd src
  DISTCC_HOSTS="127.0.0.1:$port" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$port/4 (cannot connect to 127.0.0.1:$port: Connection refused), running locally instead" ]
  cmp hello.o ../local.o
  DISTCC_DIR="$BATS_TEST_TMPDIR/fresh" DISTCC_HOSTS="127.0.0.1:$port" DISTCC_FALLBACK=0 \
    run "$DCC_BIN/distcc" gcc -c hello.c -o again.o
  [ "$status" -eq 103 ]
  dir_holds_only . hello.c hello.o
}

@test "a helper name that does not resolve: local build; with DISTCC_FALLBACK=0 exit 103" {
  cd src
  DISTCC_HOSTS="no-such-host.invalid" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [[ "$(without_pids <<<"$output")" == "distcc: warning: failed to distribute hello.c to no-such-host.invalid:3632/4 (cannot resolve helper \"no-such-host.invalid\": "*"), running locally instead" ]]
  cmp hello.o ../local.o
  # A fresh DISTCC_DIR: the first failure put the host in backoff.
  DISTCC_DIR="$BATS_TEST_TMPDIR/fresh" DISTCC_HOSTS="no-such-host.invalid" DISTCC_FALLBACK=0 \
    run "$DCC_BIN/distcc" gcc -c hello.c -o again.o
  [ "$status" -eq 103 ]
  dir_holds_only . hello.c hello.o
}

# A private mount namespace puts a tiny, full tmpfs on the client's TMPDIR.
# The client preprocesses into TMPDIR, so cpp is what fails: the job ends as
# a compile error with gcc's own message and status, exactly as plain gcc
# (whose .s goes to TMPDIR too) would, whether or not fallback is allowed.
# No temporary is left: gcc removes the .i it could not finish writing.
@test "a full TMPDIR: gcc's own error about the preprocessed file, exit 1, no object and no temporary left" {
  dcc_need_root
  dcc_start_distccd
  mkdir tmp
  run --separate-stderr unshare -m sh -c '
    mount -t tmpfs -o size=64k tmpfs "$1/tmp" || exit 99
    dd if=/dev/zero of="$1/tmp/fill" bs=4k count=100 2>/dev/null
    cd "$1/src" || exit 98
    DISTCC_HOSTS="127.0.0.1:$2" TMPDIR="$1/tmp" "$3" gcc -c hello.c -o hello.o
    echo "exit $?"
    DISTCC_HOSTS="127.0.0.1:$2" DISTCC_FALLBACK=0 TMPDIR="$1/tmp" "$3" gcc -c hello.c -o hello.o
    echo "exit $?"
    ls -A "$1/tmp"' sh "$BATS_TEST_TMPDIR" "$DAEMON_PORT" "$DCC_BIN/distcc"
  [ "$output" = "exit 1
exit 1
fill" ]
  # Twice gcc's message, naming the file it could not write, and not a word
  # from distcc.
  errors=$(sed -E 's/distcc_[A-Za-z0-9]{6}\.i/distcc_XXXXXX.i/' <<<"$stderr")
  [ "$(grep -cxF "hello.c:2: fatal error: when writing output to $BATS_TEST_TMPDIR/tmp/distcc_XXXXXX.i: No space left on device" <<<"$errors")" -eq 2 ]
  [ "$(grep -cxF "compilation terminated." <<<"$errors")" -eq 2 ]
  [ "${stderr_lines[-1]}" = "compilation terminated." ]
  [ "$(grep -c '^distcc\[' <<<"$stderr" || true)" -eq 0 ]
  dir_holds_only src hello.c
  # Nothing was compiled on the helper either.
  [ "$(grep -c ': compiled' "$DAEMON_LOG" || true)" -eq 0 ]
}

# The object comes back but cannot be written next to its name.
@test "a full output directory: no half-written object, and the warning names the object" {
  dcc_need_root
  dcc_start_distccd
  mkdir out
  run unshare -m sh -c '
    mount -t tmpfs -o size=16k tmpfs "$1/out" || exit 99
    cp "$1/src/hello.c" "$1/out/"
    dd if=/dev/zero of="$1/out/fill" bs=1k count=13 2>/dev/null
    cd "$1/out" && DISTCC_HOSTS="127.0.0.1:$2" "$3" gcc -c hello.c -o hello.o
    echo "exit $?"
    ls -A "$1/out"' sh "$BATS_TEST_TMPDIR" "$DAEMON_PORT" "$DCC_BIN/distcc"
  # gcc cannot write it either, so the build fails, cleanly.
  [ "${lines[-3]}" = "exit 1" ]
  [ "${lines[-2]}" = "fill" ]
  [ "${lines[-1]}" = "hello.c" ]
  warning=$(grep "^distcc\[" <<<"$output" | without_pids)
  [ "$(wc -l <<<"$warning")" -eq 1 ]
  [[ "$warning" == "distcc: warning: "*"hello.o"*"No space left on device; building hello.c locally" ]]
  grep -q "hello.c: compiled, exit 0" "$DAEMON_LOG"
}

@test "a full output directory with DISTCC_FALLBACK=0: exit 107 (I/O error), no half-written object" {
  dcc_need_root
  dcc_start_distccd
  mkdir out
  run unshare -m sh -c '
    mount -t tmpfs -o size=16k tmpfs "$1/out" || exit 99
    cp "$1/src/hello.c" "$1/out/"
    dd if=/dev/zero of="$1/out/fill" bs=1k count=13 2>/dev/null
    cd "$1/out" && DISTCC_HOSTS="127.0.0.1:$2" DISTCC_FALLBACK=0 "$3" gcc -c hello.c -o hello.o
    echo "exit $?"
    ls -A "$1/out"' sh "$BATS_TEST_TMPDIR" "$DAEMON_PORT" "$DCC_BIN/distcc"
  [ "${lines[-2]}" = "fill" ]
  [ "${lines[-1]}" = "hello.c" ]
  [ "${lines[-3]}" = "exit 107" ]
}
