#!/usr/bin/env bats
# The distcc client as a Gentoo user meets it: the three ways to call it, the
# host list, slots, dependency files, logging and the monitor, against our own
# distccd on loopback.

load common

setup() {
  cd "$BATS_TEST_TMPDIR"
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES
  # ASCII quotes in compiler messages, here and on the helper.
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  printf '#include <stdio.h>\nint main(void) { puts("hello from distcc"); return 0; }\n' >hello.c
}

teardown() {
  dcc_stop_pid "${FAKE_HELPER_PID:-}"
  FAKE_HELPER_PID=
  dcc_stop_first_distccd
  dcc_stop_distccd
  [ -n "${FAKEBIN:-}" ] && rm -rf "$FAKEBIN"
  FAKEBIN=
}

# Our client, sending to the daemon dcc_start_distccd started unless the
# caller sets DISTCC_HOSTS.
distcc_client() {
  DISTCC_HOSTS="${DISTCC_HOSTS-127.0.0.1:$DAEMON_PORT}" "$DCC_BIN/distcc" "$@"
}

# Fake compilers: in $FAKEBIN/daemon the helper's "gatecc" waits until
# $FAKEBIN/open exists (at most 60 s) and records its pid in $FAKEBIN/gate.pid;
# in $FAKEBIN/client the client's "gatecc" is plain gcc, so cpp and local
# builds are quick.
make_gatecc() {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 1777 "$FAKEBIN" # the job user writes gate.pid here
  mkdir -p "$FAKEBIN/daemon" "$FAKEBIN/client"
  chmod 755 "$FAKEBIN/daemon" "$FAKEBIN/client"
  cat >"$FAKEBIN/daemon/gatecc" <<SH
#!/bin/sh
case " \$* " in *" -E "*) exec gcc "\$@" ;; esac
echo \$\$ >$FAKEBIN/gate.pid
i=0
while [ ! -e $FAKEBIN/open ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
exec gcc "\$@"
SH
  printf '#!/bin/sh\nexec gcc "$@"\n' >"$FAKEBIN/client/gatecc"
  chmod 755 "$FAKEBIN/daemon/gatecc" "$FAKEBIN/client/gatecc"
}

start_distccd_with_gatecc() {
  make_gatecc
  DISTCCD_PATH="$FAKEBIN/daemon:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/gatecc"
}

# Waits up to 10 s for a file to exist and be non-empty.
wait_for_file() {
  local i
  for ((i = 0; i < 200; i++)); do
    [ -s "$1" ] && return 0
    sleep 0.05
  done
  echo "$1 did not appear" >&2
  return 1
}

# ---------------------------------------------------------------------------
# Invocation

@test "explicit 'distcc gcc -c' compiles on the helper, silently, and the object matches a local build" {
  dcc_start_distccd
  run distcc_client gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  grep -q "job from 127.0.0.1: $(gcc -dumpmachine)-gcc hello.c: compiled, exit 0" "$DAEMON_LOG"
  gcc -c hello.c -o local.o
  cmp hello.o local.o
  gcc hello.o -o hello
  [ "$(./hello)" = "hello from distcc" ]
}

@test "implicit 'distcc -c x.c' compiles with cc" {
  dcc_start_distccd
  DISTCC_NO_REWRITE_CROSS=1 run distcc_client -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  grep -q "job from 127.0.0.1: cc hello.c: compiled, exit 0" "$DAEMON_LOG"
  cc -c hello.c -o local.o
  cmp hello.o local.o
}

@test "implicit with the source first: 'distcc x.c -c' compiles with cc, 'distcc x.o -o x' links with cc" {
  dcc_start_distccd
  DISTCC_NO_REWRITE_CROSS=1 run distcc_client hello.c -c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  grep -q "job from 127.0.0.1: cc hello.c: compiled, exit 0" "$DAEMON_LOG"
  cc -c hello.c -o local.o
  cmp hello.o local.o
  run distcc_client hello.o -o hello
  [ "$status" -eq 0 ]
  [ "$(./hello)" = "hello from distcc" ]
  [ "$(compiled_jobs)" -eq 1 ]
}

@test "masquerade: a gcc link to distcc first on PATH compiles remotely with the real gcc, and links locally" {
  dcc_start_distccd
  mkdir masq
  ln -s "$DCC_BIN/distcc" masq/gcc
  run env PATH="$BATS_TEST_TMPDIR/masq:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  grep -q "job from 127.0.0.1: $(gcc -dumpmachine)-gcc hello.c: compiled, exit 0" "$DAEMON_LOG"
  # A link is local: the real gcc runs, not distcc again.
  run env PATH="$BATS_TEST_TMPDIR/masq:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" gcc hello.o -o hello
  [ "$status" -eq 0 ]
  [ "$(./hello)" = "hello from distcc" ]
  [ "$(compiled_jobs)" -eq 1 ]
}

@test "masquerade: a wrapper after the masquerade dir (as ccache can be) does not find distcc again" {
  dcc_start_distccd
  mkdir masq wrap
  ln -s "$DCC_BIN/distcc" masq/gcc
  # Like ccache: runs the next gcc on PATH that is not itself.
  cat >wrap/gcc <<'SH'
#!/bin/sh
me=$(dirname "$(readlink -f "$0")")
IFS=:
for d in $PATH; do
  [ "$(readlink -f "$d")" = "$me" ] && continue
  [ -x "$d/gcc" ] && exec "$d/gcc" "$@"
done
exit 127
SH
  chmod +x wrap/gcc
  run env PATH="$BATS_TEST_TMPDIR/masq:$BATS_TEST_TMPDIR/wrap:$PATH" DISTCC_NO_REWRITE_CROSS=1 \
    DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(compiled_jobs)" -eq 1 ]
  gcc -c hello.c -o local.o
  cmp hello.o local.o
}

@test "masquerade: when the only gcc on PATH is distcc itself, exit 110 naming the compiler" {
  mkdir masq
  ln -s "$DCC_BIN/distcc" masq/gcc
  run env PATH="$BATS_TEST_TMPDIR/masq" DISTCC_HOSTS=127.0.0.1:1 "$BATS_TEST_TMPDIR/masq/gcc" -c hello.c -o hello.o
  [ "$status" -eq 110 ]
  [ "$(without_pids <<<"$output")" = "distcc: error: compiler gcc is not found on PATH (apart from distcc itself)" ]
  [ ! -e hello.o ]
}

@test "masquerade: the recursion guard (_DISTCC_SAFEGUARD set) exits 111" {
  mkdir masq
  ln -s "$DCC_BIN/distcc" masq/gcc
  run env PATH="$BATS_TEST_TMPDIR/masq:$PATH" _DISTCC_SAFEGUARD=1 DISTCC_HOSTS=127.0.0.1:1 gcc -c hello.c -o hello.o
  [ "$status" -eq 111 ]
  [ "$(without_pids <<<"$output")" = "distcc: error: distcc seems to have invoked itself recursively (as gcc); check PATH and the masquerade directory" ]
  [ ! -e hello.o ]
}

@test "--help prints the usage on stdout and exits 0" {
  run "$DCC_BIN/distcc" --help
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Usage: distcc [COMPILER] [compile options] -o OBJECT -c SOURCE" ]
  for word in --version --show-hosts DISTCC_HOSTS DISTCC_DIR DISTCC_FALLBACK DISTCC_IO_TIMEOUT "116 no hosts"; do
    [[ "$output" == *"$word"* ]] || { echo "missing $word"; false; }
  done
  [ -z "$("$DCC_BIN/distcc" --help 2>&1 >/dev/null)" ]
}

@test "--version: the second line names the protocols and the default port" {
  run "$DCC_BIN/distcc" --version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "distcc "* ]]
  [ "${lines[1]}" = "  (protocols 1, 2 and 3) (default port 3632)" ]
}

@test "--show-hosts prints each host of the list in canonical form" {
  DISTCC_HOSTS="box1/8,lzo box2:3700 @box3/2 localhost [::1]:4000/3 # helper4" run "$DCC_BIN/distcc" --show-hosts
  [ "$status" -eq 0 ]
  [ "$output" = "box1:3632/8,lzo
box2:3700/4
@box3/2
localhost/2
[::1]:4000/3" ]
}

@test "-j prints the sum of the slots of every host" {
  DISTCC_HOSTS="box1/8,lzo box2:3700 @box3/2 localhost" run "$DCC_BIN/distcc" -j
  [ "$status" -eq 0 ]
  [ "$output" = "16" ]
}

@test "gcc is sent as the cross name (gcc -dumpmachine)-gcc unless DISTCC_NO_REWRITE_CROSS is set" {
  dcc_start_distccd
  run distcc_client gcc -c hello.c -o one.o
  [ "$status" -eq 0 ]
  grep -q "job from 127.0.0.1: $(gcc -dumpmachine)-gcc hello.c: compiled" "$DAEMON_LOG"
  DISTCC_NO_REWRITE_CROSS=1 run distcc_client gcc -c hello.c -o two.o
  [ "$status" -eq 0 ]
  grep -q "job from 127.0.0.1: gcc hello.c: compiled" "$DAEMON_LOG"
  [ "$(compiled_jobs)" -eq 2 ]
}

# ---------------------------------------------------------------------------
# The host list

@test "without DISTCC_HOSTS the list comes from \$DISTCC_DIR/hosts, and DISTCC_HOSTS wins over it" {
  dcc_start_distccd
  mkdir -p "$DISTCC_DIR"
  printf '# our helper\n127.0.0.1:%s/3\n' "$DAEMON_PORT" >"$DISTCC_DIR/hosts"
  run "$DCC_BIN/distcc" --show-hosts
  [ "$output" = "127.0.0.1:$DAEMON_PORT/3" ]
  DISTCC_FALLBACK=0 run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(compiled_jobs)" -eq 1 ]
  DISTCC_HOSTS="box9/5" run "$DCC_BIN/distcc" --show-hosts
  [ "$output" = "box9:3632/5" ]
}

# /etc cannot be written by a test; a private mount namespace puts a hosts
# file there for this process only.
@test "without DISTCC_HOSTS or \$DISTCC_DIR/hosts the list comes from /etc/distcc/hosts" {
  dcc_need_root
  [ -d /etc/distcc ] || skip "skipped: no /etc/distcc to mount over"
  dcc_start_distccd
  mkdir etc-distcc
  printf '127.0.0.1:%s/2\n' "$DAEMON_PORT" >etc-distcc/hosts
  run unshare -m sh -c 'mount --bind "$1" /etc/distcc && DISTCC_FALLBACK=0 "$2" gcc -c hello.c -o hello.o' \
    sh "$BATS_TEST_TMPDIR/etc-distcc" "$DCC_BIN/distcc"
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(compiled_jobs)" -eq 1 ]
  [ -s hello.o ]
}

@test "no hosts anywhere: a warning and a local build; with DISTCC_FALLBACK=0, exit 116" {
  dcc_need_root
  mkdir empty-etc
  # Hides a system-wide /etc/distcc/hosts from this one process.
  nohosts() {
    unshare -m sh -c '[ ! -d /etc/distcc ] || mount --bind "$1" /etc/distcc; shift; exec "$@"' \
      sh "$BATS_TEST_TMPDIR/empty-etc" "$@"
  }
  run nohosts "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: no hostlist is set; can't distribute work (set DISTCC_HOSTS, ~/.distcc/hosts or /etc/distcc/hosts): building hello.c locally" ]
  gcc -c hello.c -o local.o
  cmp hello.o local.o
  run nohosts env DISTCC_FALLBACK=0 "$DCC_BIN/distcc" gcc -c hello.c -o again.o
  [ "$status" -eq 116 ]
  [ "$(without_pids <<<"$output")" = "distcc: error: no hostlist is set; can't distribute work (set DISTCC_HOSTS, ~/.distcc/hosts or /etc/distcc/hosts), and DISTCC_FALLBACK=0 forbids building hello.c locally" ]
  [ ! -e again.o ]
}

@test "a bad host spec names the token; exit 106 with DISTCC_FALLBACK=0, else a local build" {
  DISTCC_HOSTS="127.0.0.1:1 box:notaport" DISTCC_FALLBACK=0 run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 106 ]
  [ "$(without_pids <<<"${lines[0]}")" = 'distcc: error: bad host specification "box:notaport": port "notaport" is not a number 1-65535 (in $DISTCC_HOSTS)' ]
  [ ! -e hello.o ]
  DISTCC_HOSTS="127.0.0.1:1 box:notaport" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = 'distcc: error: bad host specification "box:notaport": port "notaport" is not a number 1-65535 (in $DISTCC_HOSTS)
distcc: warning: failed to distribute hello.c, running locally instead' ]
  gcc -c hello.c -o local.o
  cmp hello.o local.o
}

# ---------------------------------------------------------------------------
# Slots and locks

@test "lock files appear under \$DISTCC_DIR/lock with the stock names" {
  dcc_start_distccd
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/2" run distcc_client gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  # cpp ran in local slot 0, the compile in the helper's slot 0.
  [ "$(ls "$DISTCC_DIR/lock")" = "cpu_localhost_0
cpu_tcp_127.0.0.1_${DAEMON_PORT}_0" ]
  [ ! -s "$DISTCC_DIR/lock/cpu_tcp_127.0.0.1_${DAEMON_PORT}_0" ]
}

# A daemon-side compiler counts how many copies of itself run at once.
@test "30 concurrent clients never run more than the host's /2 jobs at once on a -j 8 helper" {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 1777 "$FAKEBIN"
  mkdir -p "$FAKEBIN/running"
  chmod 1777 "$FAKEBIN/running"
  : >"$FAKEBIN/counts"
  chmod 666 "$FAKEBIN/counts"
  cat >"$FAKEBIN/countcc" <<SH
#!/bin/sh
case " \$* " in *" -E "*) exec gcc "\$@" ;; esac
touch $FAKEBIN/running/\$\$
ls $FAKEBIN/running | wc -l >>$FAKEBIN/counts
sleep 0.3
rm -f $FAKEBIN/running/\$\$
exec gcc "\$@"
SH
  chmod 755 "$FAKEBIN/countcc"
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" dcc_start_distccd --sandbox=off -j 8
  ln -s /usr/bin/distcc "$DAEMON_WL/countcc"
  pids=()
  for i in $(seq 30); do
    cp hello.c "h$i.c"
    PATH="$FAKEBIN:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/2" DISTCC_FALLBACK=0 DISTCC_PAUSE_TIME_MSEC=100 \
      "$DCC_BIN/distcc" countcc -c "h$i.c" -o "h$i.o" 2>>client-errors &
    pids+=($!)
  done
  failed=0
  for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
  [ "$failed" -eq 0 ]
  [ ! -s client-errors ]
  [ "$(ls h*.o | wc -l)" -eq 30 ]
  [ "$(compiled_jobs)" -eq 30 ]
  [ "$(wc -l <"$FAKEBIN/counts")" -eq 30 ]
  [ "$(sort -n "$FAKEBIN/counts" | tail -1)" -eq 2 ]
  [ -e "$DISTCC_DIR/lock/cpu_tcp_127.0.0.1_${DAEMON_PORT}_1" ]
  [ ! -e "$DISTCC_DIR/lock/cpu_tcp_127.0.0.1_${DAEMON_PORT}_2" ]
}

@test "a client killed with -9 leaves no stale slot: the next client gets it at once" {
  start_distccd_with_gatecc
  PATH="$FAKEBIN/client:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/1" \
    "$DCC_BIN/distcc" gatecc -c hello.c -o first.o 2>/dev/null &
  first=$!
  wait_for_file "$FAKEBIN/gate.pid"
  kill -9 "$first"
  wait "$first" || true
  start=$SECONDS
  # Timed is the wait for the slot, not the first job's look at the helper's toolchain.
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/1" DISTCC_FALLBACK=0 DISTCC_TOOLCHAIN_MATCH=off run timeout 20 "$DCC_BIN/distcc" gcc -c hello.c -o second.o
  [ "$status" -eq 0 ]
  [ $((SECONDS - start)) -le 3 ]
  [ "$(compiled_jobs)" -eq 1 ]
  [ ! -e first.o ]
}

# ---------------------------------------------------------------------------
# Dependency files: the same command through distcc and through plain gcc,
# one after the other in one directory, must leave the same files.

setup_dep_tree() {
  mkdir -p work/sub work/inc
  printf '#include "inc/a.h"\n#include <stdio.h>\nint f(void) { return A; }\n' >work/sub/x.c
  printf '#define A 1\n' >work/inc/a.h
  find work -type f | sort >sources.list
}

# Runs the compile ($@) both ways and moves what each produced to out-distcc/
# and out-gcc/.
build_both_ways() {
  setup_dep_tree
  local way
  for way in distcc gcc; do
    if [ "$way" = distcc ]; then
      (cd work && DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 "$DCC_BIN/distcc" gcc "$@")
    else
      (cd work && gcc "$@")
    fi
    find work -type f | sort | comm -13 sources.list - | while read -r f; do
      mkdir -p "out-$way/$(dirname "$f")"
      mv "$f" "out-$way/$f"
    done
  done
}

@test ".d files: -MD gives the same dependency file as plain gcc" {
  dcc_start_distccd
  build_both_ways -I. -MD -c sub/x.c -o sub/x.o
  [ -s out-gcc/work/sub/x.d ]
  diff -r out-gcc out-distcc
  [ "$(compiled_jobs)" -eq 1 ]
}

@test ".d files: -MMD gives the same dependency file as plain gcc" {
  dcc_start_distccd
  build_both_ways -I. -MMD -c sub/x.c -o sub/x.o
  [ -s out-gcc/work/sub/x.d ]
  diff -r out-gcc out-distcc
  [ "$(compiled_jobs)" -eq 1 ]
}

@test ".d files: -MD -MF names the file as plain gcc does" {
  dcc_start_distccd
  build_both_ways -I. -MD -MF sub/deps.d -c sub/x.c -o sub/x.o
  [ -s out-gcc/work/sub/deps.d ]
  diff -r out-gcc out-distcc
  [ "$(compiled_jobs)" -eq 1 ]
}

@test ".d files: -MT sets the target as plain gcc does" {
  dcc_start_distccd
  build_both_ways -I. -MD -MT my-target -c sub/x.c -o sub/x.o
  grep -q '^my-target:' out-gcc/work/sub/x.d
  diff -r out-gcc out-distcc
  [ "$(compiled_jobs)" -eq 1 ]
}

@test ".d files: -MQ quotes the target as plain gcc does" {
  dcc_start_distccd
  build_both_ways -I. -MD -MQ 'q$x' -c sub/x.c -o sub/x.o
  grep -q '^q\$\$x:' out-gcc/work/sub/x.d
  diff -r out-gcc out-distcc
  [ "$(compiled_jobs)" -eq 1 ]
}

@test ".d files: -Wp,-MD,FILE gives the same dependency file as plain gcc" {
  dcc_start_distccd
  build_both_ways -I. -Wp,-MD,sub/wp.d -c sub/x.c -o sub/x.o
  [ -s out-gcc/work/sub/wp.d ]
  diff -r out-gcc out-distcc
  [ "$(compiled_jobs)" -eq 1 ]
}

@test ".d files: DEPENDENCIES_OUTPUT gives the same dependency file as plain gcc" {
  dcc_start_distccd
  export DEPENDENCIES_OUTPUT="sub/env.d"
  build_both_ways -I. -c sub/x.c -o sub/x.o
  [ -s out-gcc/work/sub/env.d ]
  diff -r out-gcc out-distcc
  export DEPENDENCIES_OUTPUT="sub/env2.d custom-target"
  rm -rf out-gcc out-distcc work
  build_both_ways -I. -c sub/x.c -o sub/x.o
  grep -q '^custom-target:' out-gcc/work/sub/env2.d
  diff -r out-gcc out-distcc
  [ "$(compiled_jobs)" -eq 2 ]
}

@test "objects: -O2 and -g builds are byte-identical to local ones" {
  dcc_start_distccd
  build_both_ways -I. -O2 -c sub/x.c -o sub/x.o
  [ -s out-gcc/work/sub/x.o ]
  cmp out-gcc/work/sub/x.o out-distcc/work/sub/x.o
  rm -rf out-gcc out-distcc work
  build_both_ways -I. -g -O2 -c sub/x.c -o sub/x.o
  cmp out-gcc/work/sub/x.o out-distcc/work/sub/x.o
  [ "$(compiled_jobs)" -eq 2 ]
}

# ---------------------------------------------------------------------------
# Logging and temporaries

@test "DISTCC_VERBOSE=1 with -march=native shows its expansion; the helper builds the object a local build makes" {
  dcc_start_distccd
  DISTCC_VERBOSE=1 run distcc_client gcc -march=native -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(compiled_jobs)" -eq 1 ]
  [[ "$output" == *"debug: expanded -march=native/-mtune=native: $(gcc -dumpmachine)-gcc -march="* ]]
  [[ "$output" == *"info: job hello.c: compiled on 127.0.0.1:$DAEMON_PORT/4"* ]]
  gcc -march=native -c hello.c -o local.o
  cmp hello.o local.o
}

@test "DISTCC_LOG=FILE: nothing on the terminal on success, the line goes to the file" {
  dcc_start_distccd
  DISTCC_LOG="$BATS_TEST_TMPDIR/client.log" run distcc_client gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(wc -l <client.log)" -eq 1 ]
  grep -Eq "^[0-9-]+ [0-9:]+ distcc\[[0-9]+\] info: job hello.c: compiled on 127.0.0.1:$DAEMON_PORT/4\$" client.log
}

@test "DISTCC_SAVE_TEMPS=1 keeps the preprocessed source in TMPDIR; without it nothing is left" {
  dcc_start_distccd
  mkdir keep clean
  TMPDIR="$BATS_TEST_TMPDIR/keep" DISTCC_SAVE_TEMPS=1 run distcc_client gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  kept=(keep/distcc_*.i)
  [ "${#kept[@]}" -eq 1 ]
  grep -q 'int main(void) { puts("hello from distcc"); return 0; }' "${kept[0]}"
  TMPDIR="$BATS_TEST_TMPDIR/clean" run distcc_client gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ -z "$(ls -A clean)" ]
  [ "$(compiled_jobs)" -eq 2 ]
}

# ---------------------------------------------------------------------------
# Failures the user must see as the compiler's

@test "a compile error returns the compiler's status and message, once, and no object" {
  dcc_start_distccd
  printf 'int main(void) { return missing; }\n' >bad.c
  run distcc_client gcc -c bad.c -o bad.o
  [ "$status" -eq 1 ]
  [ "$output" = "$(gcc -c bad.c -o local.o 2>&1)" ]
  [ "$(grep -c "error: 'missing' undeclared" <<<"$output")" -eq 1 ]
  [ "$(ls -A)" = "bad.c
distcc-dir
hello.c" ]
  grep -q "bad.c: compile failed, exit 1" "$DAEMON_LOG"
}

@test "with DISTCC_FALLBACK=0 a compile error still shows the compiler's message and status" {
  dcc_start_distccd
  printf 'int main(void) { return missing; }\n' >bad.c
  DISTCC_FALLBACK=0 run distcc_client gcc -c bad.c -o bad.o
  [ "$status" -eq 1 ]
  [[ "$output" == *"bad.c:1:25: error: 'missing' undeclared"* ]]
  [ ! -e bad.o ]
}

@test "a job the helper refuses prints the helper's reason once and builds locally" {
  dcc_start_distccd
  mkdir bin
  printf '#!/bin/sh\nexec gcc "$@"\n' >bin/mycc
  chmod +x bin/mycc
  PATH="$BATS_TEST_TMPDIR/bin:$PATH" run distcc_client mycc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4, running locally instead: distccd on $(hostname) refused this job: compiler \"mycc\" is not in the whitelist $DAEMON_WL on this helper (add a link there)" ]
  gcc -c hello.c -o local.o
  cmp hello.o local.o
  grep -q 'refused job from 127.0.0.1: compiler "mycc" is not in the whitelist' "$DAEMON_LOG"
}

@test "DISTCC_SKIP_LOCAL_RETRY does not stop a refused job from building locally" {
  dcc_start_distccd
  mkdir bin
  printf '#!/bin/sh\nexec gcc "$@"\n' >bin/mycc
  chmod +x bin/mycc
  PATH="$BATS_TEST_TMPDIR/bin:$PATH" DISTCC_SKIP_LOCAL_RETRY=1 run distcc_client mycc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4, running locally instead: distccd on $(hostname) refused this job: compiler \"mycc\" is not in the whitelist $DAEMON_WL on this helper (add a link there)" ]
  gcc -c hello.c -o local.o
  cmp hello.o local.o
}

@test "with DISTCC_FALLBACK=0 a refused job fails with the helper's status and reason" {
  dcc_start_distccd
  mkdir bin
  printf '#!/bin/sh\nexec gcc "$@"\n' >bin/mycc
  chmod +x bin/mycc
  PATH="$BATS_TEST_TMPDIR/bin:$PATH" DISTCC_FALLBACK=0 run distcc_client mycc -c hello.c -o hello.o
  [ "$status" -eq 110 ]
  [ "$(grep -c "refused this job: compiler \"mycc\" is not in the whitelist $DAEMON_WL on this helper" <<<"$output")" -eq 1 ]
  [ ! -e hello.o ]
}

# ---------------------------------------------------------------------------
# Monitoring

@test "while a job runs its binstate_<pid> file (296 bytes) describes it; it is gone after" {
  start_distccd_with_gatecc
  PATH="$FAKEBIN/client:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" "$DCC_BIN/distcc" gatecc -c hello.c -o hello.o 2>client.err &
  client=$!
  wait_for_file "$FAKEBIN/gate.pid"
  state="$DISTCC_DIR/state/binstate_$client"
  [ -f "$state" ]
  [ "$(stat -c %s "$state")" -eq 296 ]
  [ "$(od -An -tx4 -j8 -N4 "$state" | tr -d ' ')" = "44494800" ]
  [ "$(od -An -tu8 -j16 -N8 "$state" | tr -d ' ')" = "$client" ]
  [ "$(dd if="$state" bs=1 skip=24 count=128 2>/dev/null | tr -d '\0')" = "hello.c" ]
  [ "$(od -An -td4 -j284 -N4 "$state" | tr -d ' ')" -eq 5 ] # Compile
  touch "$FAKEBIN/open"
  wait "$client"
  [ ! -s client.err ]
  [ ! -e "$state" ]
  [ -z "$(ls -A "$DISTCC_DIR/state")" ]
  [ "$(compiled_jobs)" -eq 1 ]
}

@test "distccmon-text shows the running job under the helper's name and counts it on the host's slots" {
  start_distccd_with_gatecc
  PATH="$FAKEBIN/client:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" "$DCC_BIN/distcc" gatecc -c hello.c -o hello.o 2>client.err &
  client=$!
  wait_for_file "$FAKEBIN/gate.pid"
  state="$DISTCC_DIR/state/binstate_$client"
  # Stock distcc writes the bare host name, which stock monitors show.
  host_field=$(dd if="$state" bs=1 skip=152 count=128 2>/dev/null | tr -d '\0')
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" run "$DCC_BIN/distccmon-text"
  touch "$FAKEBIN/open"
  wait "$client"
  [ "$host_field" = "127.0.0.1" ]
  [ "$status" -eq 0 ]
  want=$(printf '%6ld  %-10.10s  %-30.30s %24.24s[%d]\n  127.0.0.1:%s  1/4 running' "$client" Compile hello.c 127.0.0.1 0 "$DAEMON_PORT")
  [ "$output" = "$want" ]
}

# ---------------------------------------------------------------------------
# A real build

@test "a multi-file program built with make -j8 through two helpers matches a local build and runs" {
  dcc_start_distccd
  dcc_keep_first_distccd
  dcc_start_distccd
  cp -r "$DCC_TOP/tests/data/multifile" remote
  cp -r "$DCC_TOP/tests/data/multifile" local
  DISTCC_HOSTS="127.0.0.1:$FIRST_PORT/4,lzo 127.0.0.1:$DAEMON_PORT/4" DISTCC_FALLBACK=0 \
    run make -C remote -j8 CC="$DCC_BIN/distcc gcc"
  [ "$status" -eq 0 ]
  run make -C local -j8 CC=gcc
  [ "$status" -eq 0 ]
  objects=(local/*.o)
  [ "${#objects[@]}" -eq 8 ]
  for o in "${objects[@]}"; do
    cmp "$o" "remote/${o#local/}"
  done
  [ "$(./remote/multifile)" = "multifile: words=37 numbers=6777 hash=1abc62b9" ]
  first=$(grep -c ": compiled, exit 0" "$FIRST_LOG")
  second=$(compiled_jobs)
  [ "$first" -ge 1 ]
  [ "$second" -ge 1 ]
  [ $((first + second)) -eq 8 ]
  grep -q "compiled, exit 0, lzo," "$FIRST_LOG"
}

# ---------------------------------------------------------------------------
# Phases, signals and local slots

# The phase number in a binstate file (stock's enum: 1 Blocked, 3 Preprocess,
# 5 Compile, 6 Receive).
phase_of() {
  od -An -td4 -j284 -N4 "$DISTCC_DIR/state/binstate_$1" | tr -d ' '
}

# Waits up to 10 s until the client's binstate file shows phase $2.
wait_for_phase() {
  local i
  for ((i = 0; i < 200; i++)); do
    [ "$(phase_of "$1" 2>/dev/null)" = "$2" ] && return 0
    sleep 0.05
  done
  echo "binstate_$1 never showed phase $2 (last: $(phase_of "$1" 2>/dev/null))" >&2
  return 1
}

# Sends signal $1 to the client with pid $2 and sets status to how it ended.
signal_client() {
  kill -"$1" "$2"
  status=0
  wait "$2" || status=$?
}

# A client-side compiler whose cpp (-E) waits for $FAKEBIN/cpp-open and
# records its pid in $FAKEBIN/cpp.pid; compiles are plain gcc. While it
# waits it ends on SIGINT as gcc does (a shell script alone may carry on).
make_gated_cpp() {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  mkdir -p "$FAKEBIN/client"
  chmod 755 "$FAKEBIN" "$FAKEBIN/client"
  cat >"$FAKEBIN/client/cppgate" <<SH
#!/bin/sh
case " \$* " in *" -E "*)
  trap 'exit 130' INT
  echo \$\$ >$FAKEBIN/cpp.pid
  i=0
  while [ ! -e $FAKEBIN/cpp-open ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done ;;
esac
exec gcc "\$@"
SH
  chmod 755 "$FAKEBIN/client/cppgate"
}

@test "the monitor sees Preprocess while the client's cpp runs, then Compile on the helper" {
  make_gated_cpp
  DISTCCD_PATH="$FAKEBIN/client:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/cppgate"
  PATH="$FAKEBIN/client:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" "$DCC_BIN/distcc" cppgate -c hello.c -o hello.o \
    2>client.err &
  client=$!
  wait_for_file "$FAKEBIN/cpp.pid"
  wait_for_phase "$client" 3
  [ "$(dd if="$DISTCC_DIR/state/binstate_$client" bs=1 skip=152 count=128 2>/dev/null | tr -d '\0')" = "127.0.0.1" ]
  touch "$FAKEBIN/cpp-open"
  wait "$client"
  [ ! -s client.err ]
  [ ! -e "$DISTCC_DIR/state/binstate_$client" ]
  [ "$(compiled_jobs)" -eq 1 ]
}

@test "a client waiting for a helper's only slot shows Blocked" {
  start_distccd_with_gatecc
  PATH="$FAKEBIN/client:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/1" "$DCC_BIN/distcc" gatecc -c hello.c -o hello.o &
  first=$!
  wait_for_file "$FAKEBIN/gate.pid"
  cp hello.c second.c
  PATH="$FAKEBIN/client:$PATH" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/1" "$DCC_BIN/distcc" gatecc -c second.c -o second.o &
  second=$!
  wait_for_phase "$second" 1
  [ "$(dd if="$DISTCC_DIR/state/binstate_$second" bs=1 skip=24 count=128 2>/dev/null | tr -d '\0')" = "second.c" ]
  touch "$FAKEBIN/open"
  wait "$first"
  wait "$second"
  [ "$(compiled_jobs)" -eq 2 ]
}

@test "SIGTERM while the helper compiles: the client dies of it and leaves no .i, no object, no state file" {
  start_distccd_with_gatecc
  mkdir tmp
  PATH="$FAKEBIN/client:$PATH" TMPDIR="$BATS_TEST_TMPDIR/tmp" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" \
    "$DCC_BIN/distcc" gatecc -c hello.c -o hello.o &
  client=$!
  wait_for_file "$FAKEBIN/gate.pid"
  wait_for_phase "$client" 5
  [ -n "$(ls -A tmp)" ] # the preprocessed source, until the signal
  signal_client TERM "$client"
  touch "$FAKEBIN/open"
  [ "$status" -eq 143 ]
  [ -z "$(ls -A tmp)" ]
  [ ! -e hello.o ]
  [ ! -e "$DISTCC_DIR/state/binstate_$client" ]
  [ -z "$(ls -A "$DISTCC_DIR/state")" ]
}

@test "Ctrl-C (SIGINT) during cpp: cpp is stopped too, and nothing is left" {
  dcc_start_distccd
  make_gated_cpp
  mkdir tmp
  # A background job of a script ignores SIGINT; env gives the client the
  # default, as a terminal's foreground job has.
  PATH="$FAKEBIN/client:$PATH" TMPDIR="$BATS_TEST_TMPDIR/tmp" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" \
    env --default-signal=INT "$DCC_BIN/distcc" cppgate -c hello.c -o hello.o &
  client=$!
  wait_for_file "$FAKEBIN/cpp.pid"
  cpp=$(cat "$FAKEBIN/cpp.pid")
  signal_client INT "$client"
  [ "$status" -eq 130 ]
  dcc_wait_gone "$cpp"
  [ -z "$(ls -A tmp)" ]
  [ ! -e hello.o ]
  [ -z "$(ls -A "$DISTCC_DIR/state")" ]
}

@test "SIGTERM while the object arrives: no temporary object is left beside the output" {
  dcc_start_stalling_helper
  FAKE_HELPER_PID=$STALL_PID
  mkdir out
  # The stalling helper takes one connection: no CAPS question first.
  DISTCC_TOOLCHAIN_MATCH=off DISTCC_HOSTS="127.0.0.1:$STALL_PORT" "$DCC_BIN/distcc" gcc -c hello.c -o out/hello.o &
  client=$!
  wait_for_phase "$client" 6
  for _ in $(seq 100); do [ -n "$(ls -A out)" ] && break; sleep 0.05; done
  [[ "$(ls -A out)" == .hello.o.distcc-* ]]
  signal_client TERM "$client"
  [ "$status" -eq 143 ]
  [ -z "$(ls -A out)" ]
  [ -z "$(ls -A "$DISTCC_DIR/state")" ]
}

@test "SIGTERM during a local build stops the local compiler" {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  printf '#!/bin/sh\necho $$ >%s/cc.pid\nexec sleep 60\n' "$FAKEBIN" >"$FAKEBIN/sleepcc"
  chmod 755 "$FAKEBIN/sleepcc"
  # A link is always local.
  PATH="$FAKEBIN:$PATH" DISTCC_HOSTS="127.0.0.1:1" "$DCC_BIN/distcc" sleepcc hello.o -o hello &
  client=$!
  wait_for_file "$FAKEBIN/cc.pid"
  compiler=$(cat "$FAKEBIN/cc.pid")
  signal_client TERM "$client"
  [ "$status" -eq 143 ]
  dcc_wait_gone "$compiler"
}

# A compiler that counts how many of its runs overlap (COUNTCC=all: every
# run; COUNTCC=cpp: only cpp runs; unset, as on the helper: none): each
# counted run holds for 0.4 s; the highest count seen ends up in
# $FAKEBIN/max.
make_countcc() {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 755 "$FAKEBIN"
  cat >"$FAKEBIN/countcc" <<SH
#!/bin/bash
case "\${COUNTCC:-}" in
  all) ;;
  cpp) case " \$* " in *" -E "*) ;; *) exec gcc "\$@" ;; esac ;;
  *) exec gcc "\$@" ;;
esac
(
  flock 9
  n=\$((\$(cat $FAKEBIN/now 2>/dev/null || echo 0) + 1))
  echo \$n >$FAKEBIN/now
  [ \$n -gt \$(cat $FAKEBIN/max 2>/dev/null || echo 0) ] && echo \$n >$FAKEBIN/max
) 9>$FAKEBIN/lock
sleep 0.4
( flock 9; echo \$((\$(cat $FAKEBIN/now) - 1)) >$FAKEBIN/now ) 9>$FAKEBIN/lock
exec gcc "\$@"
SH
  chmod 755 "$FAKEBIN/countcc"
}

# Runs six clients at once with the host list $1 and the command after it
# (each in its own directory), and waits for all of them.
six_clients() {
  local hosts=$1 i
  shift
  local pids=()
  for i in 1 2 3 4 5 6; do
    mkdir -p "c$i" && cp hello.c "c$i/"
    (cd "c$i" && PATH="$FAKEBIN:$PATH" DISTCC_HOSTS="$hosts" COUNTCC=${COUNTCC:-all} exec "$DCC_BIN/distcc" "$@") &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
}

@test "--localslots=1 in the host list: local-only jobs run one at a time" {
  make_countcc
  six_clients "--localslots=1 127.0.0.1:1" countcc -fprofile-arcs -c hello.c -o hello.o
  [ "$(cat "$FAKEBIN/max")" -eq 1 ]
  [ -s c6/hello.o ]
  rm -f "$FAKEBIN/max"
  six_clients "--localslots=3 127.0.0.1:1" countcc -fprofile-arcs -c hello.c -o hello.o
  [ "$(cat "$FAKEBIN/max")" -ge 2 ]
  [ "$(cat "$FAKEBIN/max")" -le 3 ]
}

@test "--localslots_cpp=1: the clients' preprocessors run one at a time" {
  make_countcc
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/countcc"
  COUNTCC=cpp six_clients "--localslots_cpp=1 127.0.0.1:$DAEMON_PORT" countcc -c hello.c -o hello.o
  [ "$(cat "$FAKEBIN/max")" -eq 1 ]
  [ "$(compiled_jobs)" -eq 6 ]
}

@test "localhost/1 in the host list: local compiles hold its one slot, also with DISTCC_FALLBACK=0" {
  make_countcc
  DISTCC_FALLBACK=0 six_clients "localhost/1" countcc -c hello.c -o hello.o
  [ "$(cat "$FAKEBIN/max")" -eq 1 ]
  for i in 1 2 3 4 5 6; do [ -s "c$i/hello.o" ]; done
  dcc_start_distccd
  DISTCC_VERBOSE=1 DISTCC_HOSTS="localhost/1 127.0.0.1:$DAEMON_PORT/1" run "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [[ "$output" == *"job hello.c: built locally (localhost was chosen), exit 0"* ]]
  [ "$(compiled_jobs)" -eq 0 ]
}
