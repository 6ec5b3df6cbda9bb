#!/usr/bin/env bats
# The distcc client's environment and PATH as a Gentoo user sets them up:
# the local retry of a remote failure, the recursion guard, --randomize,
# DISTCC_BACKOFF_PERIOD, DISTCC_TCP_CORK, the /usr/lib/distcc layout, the
# cross-compiler rewrite and early start on a ,lzo helper, against our own
# distccd on loopback.

load common

setup() {
  cd "$BATS_TEST_TMPDIR"
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC DISTCC_TCP_CORK \
    _DISTCC_SAFEGUARD DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  printf '#include <stdio.h>\nint main(void) { puts("hello from distcc"); return 0; }\n' >hello.c
  gcc -c hello.c -o local.o
  CROSS_GCC="$(gcc -dumpmachine)-gcc"
}

teardown() {
  dcc_stop_pid "${LISTENER_PID:-}"
  LISTENER_PID=
  dcc_stop_first_distccd
  dcc_stop_distccd
  [ -n "${FAKEBIN:-}" ] && rm -rf "$FAKEBIN"
  FAKEBIN=
}

# A directory the daemon's job user can read, for fake compilers.
make_fakebin() {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 1777 "$FAKEBIN"
  mkdir -p "$FAKEBIN/daemon" "$FAKEBIN/client"
  chmod 755 "$FAKEBIN/daemon" "$FAKEBIN/client"
}

# ---------------------------------------------------------------------------
# A compile that fails on the helper only

# "flakycc" fails on the helper (as a broken toolchain there would) and is
# gcc on the client.
start_distccd_with_flakycc() {
  make_fakebin
  printf '#!/bin/sh\ncase " $* " in *" -E "*) exec gcc "$@" ;; esac\necho "flakycc: remote failure" >&2\nexit 1\n' \
    >"$FAKEBIN/daemon/flakycc"
  printf '#!/bin/sh\nexec gcc "$@"\n' >"$FAKEBIN/client/flakycc"
  chmod 755 "$FAKEBIN/daemon/flakycc" "$FAKEBIN/client/flakycc"
  DISTCCD_PATH="$FAKEBIN/daemon:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/flakycc"
}

@test "a compile that fails only on the helper is retried here, with one warning naming the helper" {
  start_distccd_with_flakycc
  PATH="$FAKEBIN/client:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run "$DCC_BIN/distcc" flakycc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: hello.c failed on 127.0.0.1:$DAEMON_PORT/4 but compiled here: the helper's compiler or binutils differ from this machine's (distcc-preflight compares them)" ]
  cmp hello.o local.o
  grep -q "job from 127.0.0.1: flakycc hello.c: compile failed, exit 1" "$DAEMON_LOG"
}

@test "with DISTCC_SKIP_LOCAL_RETRY=1 the helper's failure is the result: its message, its status, no object" {
  start_distccd_with_flakycc
  PATH="$FAKEBIN/client:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_SKIP_LOCAL_RETRY=1 \
    run "$DCC_BIN/distcc" flakycc -c hello.c -o hello.o
  [ "$status" -eq 1 ]
  [ "$output" = "flakycc: remote failure" ]
  [ ! -e hello.o ]
  grep -q "job from 127.0.0.1: flakycc hello.c: compile failed, exit 1" "$DAEMON_LOG"
}

# ---------------------------------------------------------------------------
# The recursion guard

# PATH=masq:wrap:/usr/bin. masq/gcc is distcc; wrap/gcc stands for a compiler
# wrapper (ccache, a distro's gcc-config shim) that puts the masquerade
# directory first on PATH again before it runs "gcc". It counts its runs in
# $BATS_TEST_TMPDIR/wrap.runs and gives up at the third, so a broken guard
# ends instead of looping.
make_recursive_path() {
  mkdir masq wrap
  ln -s "$DCC_BIN/distcc" masq/gcc
  cat >wrap/gcc <<SH
#!/bin/sh
runs=\$((\$(cat $BATS_TEST_TMPDIR/wrap.runs 2>/dev/null || echo 0) + 1))
echo \$runs >$BATS_TEST_TMPDIR/wrap.runs
if [ \$runs -ge 3 ]; then echo "wrap/gcc: run \$runs, giving up" >&2; exit 99; fi
PATH=$BATS_TEST_TMPDIR/masq:\$PATH
export PATH
exec gcc "\$@"
SH
  chmod 755 wrap/gcc
}

@test "a wrapper that leads the real compiler back into distcc: exit 111 at the first loop, said once" {
  dcc_start_distccd
  make_recursive_path
  # (No toolchain look, which would run the wrapper too.)
  PATH="$BATS_TEST_TMPDIR/masq:$BATS_TEST_TMPDIR/wrap:/usr/bin:/bin" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" \
    DISTCC_TOOLCHAIN_MATCH=off run gcc -c hello.c -o hello.o
  [ "$status" -eq 111 ]
  [ "$(without_pids <<<"$output")" = "distcc: error: distcc seems to have invoked itself recursively (as gcc); check PATH and the masquerade directory" ]
  # distcc ran the wrapper once (as its preprocessor); the wrapper's gcc was
  # distcc again, which stopped at once.
  [ "$(cat wrap.runs)" -eq 1 ]
  [ ! -e hello.o ]
  [ "$(compiled_jobs)" -eq 0 ]
}

# ---------------------------------------------------------------------------
# Choosing among helpers

# Two helpers with one slot each; $FIRST_* is the first, $DAEMON_* the second.
start_two_distccds() {
  dcc_start_distccd
  dcc_keep_first_distccd
  dcc_start_distccd
}

# Twenty jobs, one after the other, so the first helper's slot is always free.
twenty_jobs() {
  local i
  for i in $(seq 20); do
    DISTCC_HOSTS="$1" DISTCC_FALLBACK=0 "$DCC_BIN/distcc" gcc -c hello.c -o "h$i.o" || return 1
  done
}

@test "without --randomize every job goes to the first helper with a free slot" {
  start_two_distccds
  run twenty_jobs "127.0.0.1:$FIRST_PORT/1 127.0.0.1:$DAEMON_PORT/1"
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(compiled_jobs "$FIRST_LOG")" -eq 20 ]
  [ "$(compiled_jobs)" -eq 0 ]
}

@test "--randomize in DISTCC_HOSTS spreads sequential jobs over both helpers" {
  start_two_distccds
  run twenty_jobs "--randomize 127.0.0.1:$FIRST_PORT/1 127.0.0.1:$DAEMON_PORT/1"
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  first=$(compiled_jobs "$FIRST_LOG")
  second=$(compiled_jobs)
  [ "$first" -ge 1 ]
  [ "$second" -ge 1 ]
  [ $((first + second)) -eq 20 ]
  cmp h20.o local.o
}

# ---------------------------------------------------------------------------
# DISTCC_BACKOFF_PERIOD

# A TCP server on a free loopback port that accepts each connection, counts
# it in $BATS_TEST_TMPDIR/accepted, and closes it without a word: a helper
# that is up but broken. Bounded to 120 s.
start_closing_listener() {
  LISTENER_PORT=$(dcc_free_port)
  timeout 120 python3 -c '
import socket, sys
port, count = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
n = 0
while True:
    c, _ = s.accept()
    n += 1
    open(count, "w").write("%d\n" % n)
    c.close()
' "$LISTENER_PORT" "$BATS_TEST_TMPDIR/accepted" &
  LISTENER_PID=$!
  dcc_wait_port "$LISTENER_PORT" 10
}

# Two jobs, one after the other, with the closing listener first in the list
# and a working helper second; each job's client messages go to jobN.err.
two_jobs_past_a_broken_helper() {
  local i
  for i in 1 2; do
    # Counted are the jobs' own connections (no CAPS question, no probe,
    # no load question).
    DISTCC_HOSTS="127.0.0.1:$LISTENER_PORT 127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 DISTCC_TOOLCHAIN_MATCH=off \
      DISTCC_HELPER_LOAD=off \
      "$DCC_BIN/distcc" gcc -c hello.c -o "job$i.o" 2>"job$i.err" || return 1
  done
}

@test "a helper that hangs up is backed off: the next job goes straight to the good helper" {
  start_closing_listener
  dcc_start_distccd
  run two_jobs_past_a_broken_helper
  [ "$status" -eq 0 ]
  [[ "$(without_pids <job1.err)" == "distcc: warning: failed to distribute hello.c to 127.0.0.1:$LISTENER_PORT/4 ("*"), trying another helper" ]]
  [ "$(wc -l <job1.err)" -eq 1 ]
  [ ! -s job2.err ]
  [ "$(cat accepted)" -eq 1 ]
  [ "$(compiled_jobs)" -eq 2 ]
  cmp job1.o local.o
  cmp job2.o local.o
}

@test "DISTCC_BACKOFF_PERIOD=0: every job tries the helper that hung up again" {
  start_closing_listener
  dcc_start_distccd
  DISTCC_BACKOFF_PERIOD=0 run two_jobs_past_a_broken_helper
  [ "$status" -eq 0 ]
  [[ "$(without_pids <job1.err)" == "distcc: warning: failed to distribute hello.c to 127.0.0.1:$LISTENER_PORT/4 ("*"), trying another helper" ]]
  [ "$(without_pids <job2.err)" = "$(without_pids <job1.err)" ]
  [ "$(cat accepted)" -eq 2 ]
  [ ! -e "$DISTCC_DIR/lock/backoff_tcp_127.0.0.1_${LISTENER_PORT}_0" ]
  [ "$(compiled_jobs)" -eq 2 ]
  cmp job1.o local.o
  cmp job2.o local.o
}

# ---------------------------------------------------------------------------
# DISTCC_TCP_CORK

# The TCP_CORK values the client set, in order, one per line, from an
# strace -f log ($1).
cork_values() {
  sed -n 's/.*setsockopt([0-9]*, SOL_TCP, TCP_CORK, \[\([0-9]*\)\].*/\1/p' "$1"
}

@test "DISTCC_TCP_CORK: the request is corked and uncorked by default, never corked with 0; same object" {
  dcc_need_tool strace
  dcc_start_distccd
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 \
    run strace -f -qq -e trace=setsockopt -o corked.trace "$DCC_BIN/distcc" gcc -c hello.c -o corked.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  corks=$(cork_values corked.trace)
  [ "$(head -n 1 <<<"$corks")" = 1 ]
  [ "$(tail -n 1 <<<"$corks")" = 0 ]
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 DISTCC_TCP_CORK=0 \
    run strace -f -qq -e trace=setsockopt -o plain.trace "$DCC_BIN/distcc" gcc -c hello.c -o plain.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ -z "$(cork_values plain.trace)" ]
  [ "$(grep -c TCP_CORK plain.trace)" -eq 0 ]
  [ "$(compiled_jobs)" -eq 2 ]
  cmp corked.o local.o
  cmp plain.o local.o
}

# ---------------------------------------------------------------------------
# Masquerade and the compiler's name on the wire

@test "masquerade through the Gentoo layout: PATH=lib/distcc/bin with bin -> . compiles on the helper" {
  dcc_start_distccd
  mkdir -p lib/distcc
  ln -s "$DCC_BIN/distcc" lib/distcc/gcc
  ln -s "$DCC_BIN/distcc" lib/distcc/cc
  ln -s . lib/distcc/bin
  PATH="$BATS_TEST_TMPDIR/lib/distcc/bin:/usr/bin:/bin" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 \
    run gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  PATH="$BATS_TEST_TMPDIR/lib/distcc/bin:/usr/bin:/bin" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 \
    run cc -c hello.c -o hello-cc.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  # cc is gcc on this machine, so both go as the cross name.
  [ "$(grep -c "job from 127.0.0.1: $CROSS_GCC hello.c: compiled, exit 0" "$DAEMON_LOG")" -eq 2 ]
  cmp hello.o local.o
  cmp hello-cc.o local.o
}

# A directory for PATH that holds only the given links: NAME=TARGET ...
make_path_dir() {
  local dir=$1 pair
  shift
  mkdir "$dir"
  for pair in "$@"; do
    ln -s "${pair#*=}" "$dir/${pair%%=*}"
  done
}

# The compiler name the daemon's last logged job ran.
last_compiler_sent() {
  sed -n 's/.*job from 127\.0\.0\.1: \([^ ]*\) hello\.c: compiled, exit 0.*/\1/p' "$DAEMON_LOG" | tail -n 1
}

@test "gcc stays gcc on the wire when PATH has no cross-named gcc" {
  dcc_start_distccd
  make_path_dir only-gcc gcc=/usr/bin/gcc
  PATH="$BATS_TEST_TMPDIR/only-gcc" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 \
    run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(last_compiler_sent)" = gcc ]
  [ "$(compiled_jobs)" -eq 1 ]
  cmp hello.o local.o
}

# Ours (engine/client/distcc.c rewrite_cross) sends cc as the cross name when
# cc on PATH resolves to a gcc and the cross name is on PATH, and otherwise
# sends cc unchanged. Stock distcc 3.4 differs in the middle case: it turns a
# cc that links to gcc into "gcc" even when no cross name is on PATH.
@test "cc becomes gcc when it is gcc here, and the cross name when that is on PATH too, as in stock 3.4" {
  dcc_start_distccd
  printf '#!/bin/sh\nexec /usr/bin/gcc "$@"\n' >mycc
  chmod 755 mycc
  make_path_dir gcc-and-cross cc=/usr/bin/gcc "$CROSS_GCC=/usr/bin/$CROSS_GCC"
  make_path_dir gcc-only cc=/usr/bin/gcc
  make_path_dir not-gcc cc="$BATS_TEST_TMPDIR/mycc" "$CROSS_GCC=/usr/bin/$CROSS_GCC"
  sent=()
  for dir in gcc-and-cross gcc-only not-gcc; do
    PATH="$BATS_TEST_TMPDIR/$dir" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 \
      run "$DCC_BIN/distcc" cc -c hello.c -o "$dir.o"
    [ "$status" -eq 0 ]
    [ "$output" = "" ]
    cmp "$dir.o" local.o
    sent+=("$dir: $(last_compiler_sent)")
  done
  [ "$(printf '%s\n' "${sent[@]}")" = "gcc-and-cross: $CROSS_GCC
gcc-only: gcc
not-gcc: cc" ]
  [ "$(compiled_jobs)" -eq 3 ]
}

@test "clang, and a cc that is clang here, are sent as clang with -target for this machine" {
  dcc_need_tool clang
  dcc_start_distccd
  ln -s /usr/bin/distcc "$DAEMON_WL/clang"
  make_path_dir clang-here clang=/usr/bin/clang cc=/usr/bin/clang
  for cmd in clang cc; do
    PATH="$BATS_TEST_TMPDIR/clang-here" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 DISTCC_VERBOSE=1 \
      run "$DCC_BIN/distcc" "$cmd" -c hello.c -o "$cmd.o"
    [ "$status" -eq 0 ]
    [[ "$output" == *"added -target $(gcc -dumpmachine) for $cmd"* ]]
    [ "$(last_compiler_sent)" = clang ]
  done
  clang -target "$(gcc -dumpmachine)" -c hello.c -o clang-local.o
  cmp clang.o clang-local.o
  cmp cc.o clang-local.o
  # A -target of the user's own is left alone.
  PATH="$BATS_TEST_TMPDIR/clang-here" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 DISTCC_VERBOSE=1 \
    run "$DCC_BIN/distcc" clang -target "$(gcc -dumpmachine)" -c hello.c -o own.o
  [ "$status" -eq 0 ]
  [[ "$output" != *"added -target"* ]]
  cmp own.o clang-local.o
  [ "$(compiled_jobs)" -eq 3 ]
}

# ---------------------------------------------------------------------------
# Early start with compression

@test "early start on a ,lzo helper: the compiler starts while the client still preprocesses, from a FIFO" {
  make_earlycc
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/earlycc"
  PATH="$FAKEBIN:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,lzo" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 \
    run "$DCC_BIN/distcc" earlycc -O2 -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(cat "$FAKEBIN/helper.when-cpp-ended")" = started ]
  [ "$(cat "$FAKEBIN/helper.input")" = fifo ]
  [[ "$(cat "$FAKEBIN/helper.args")" == "-O2 -c $DAEMON_TMP/distccd_"*"/hello.i -o $DAEMON_TMP/distccd_"*"/hello.o -pipe" ]]
  grep -q "job from 127.0.0.1: earlycc hello.c: compiled, exit 0, lzo," "$DAEMON_LOG"
  gcc -O2 -c hello.c -o local-O2.o
  cmp hello.o local-O2.o
}

# ---------------------------------------------------------------------------
# DISTCC_IO_TIMEOUT

@test "a DISTCC_IO_TIMEOUT that is not 1 to 86400 seconds is named with its value: exit 101, nothing built" {
  for bad in x 0 -5 5s; do
    DISTCC_HOSTS=127.0.0.1:1 DISTCC_IO_TIMEOUT=$bad run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
    [ "$status" -eq 101 ]
    [ "$(without_pids <<<"$output")" = "distcc: error: DISTCC_IO_TIMEOUT must be a positive number of seconds, not \"$bad\"" ]
  done
  DISTCC_HOSTS=127.0.0.1:1 DISTCC_IO_TIMEOUT=86401 run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 101 ]
  [ "$(without_pids <<<"$output")" = 'distcc: error: DISTCC_IO_TIMEOUT must be at most 86400 seconds, not "86401"' ]
  [ ! -e hello.o ]
}
