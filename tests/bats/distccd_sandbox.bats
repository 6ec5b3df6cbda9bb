#!/usr/bin/env bats
# The job sandbox on its own: a whitelisted hostile "compiler"
# (tests/sandbox/hostile-cc.c) tries to run a shell and code from its job
# directory, write outside its job, read files that are not its job's, reach
# the network, signal a process of the job user, start many processes, leave
# a process behind and eat memory. It prints one line per attempt, which the
# daemon returns as SOUT. With the sandbox every attempt fails and nothing
# outlives the job; with --sandbox=off the same attempts succeed, which
# shows the test can tell. Where the kernel refuses the job user a user
# namespace, --sandbox=required refuses to start and auto says once what
# its jobs go without.

load common

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-240}

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >hello.c
  HOSTILE_DIR=$(mktemp -d /tmp/dcc-hostile.XXXXXX)
  chmod 0755 "$HOSTILE_DIR"
  # Plain cc, never the sanitizers: the job's memory limit would stop them.
  cc -O1 -o "$HOSTILE_DIR/hostile-cc" "$DCC_TOP/tests/sandbox/hostile-cc.c"
  # Where the job user could write and read if nothing stopped it.
  OUTSIDE=$(mktemp -d /tmp/dcc-outside.XXXXXX)
  chmod 1777 "$OUTSIDE"
  echo "not for jobs" >"$OUTSIDE/secret"
  chmod 0644 "$OUTSIDE/secret"
  TAG="HOSTILE_TAG_$$_$RANDOM"
  PEER=
}

teardown() {
  dcc_stop_distccd
  pkill -KILL -f "$TAG" 2>/dev/null || true
  if [ -n "${PEER:-}" ]; then kill "$PEER" 2>/dev/null || true; fi
  rm -rf "$HOSTILE_DIR" "$OUTSIDE"
}

# A process of the user jobs run as, for the hostile compiler to signal.
start_peer() {
  if [ "$(id -u)" -eq 0 ]; then
    local user=distcc
    id -u distcc >/dev/null 2>&1 || user=nobody
    setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups sleep 120 &
  else
    sleep 120 &
  fi
  PEER=$!
}

start_hostile_daemon() {
  DISTCCD_PATH="$HOSTILE_DIR:/usr/bin:/bin" dcc_start_distccd --job-memory 256M --job-processes 32 "$@"
  ln -s /usr/bin/distcc "$DAEMON_WL/hostile-cc"
}

# Sends one job for hostile-cc, with extra settings in $1; its report is
# left in sout.txt.
send_hostile_job() {
  start_peer
  printf 'outside %s\nsecret %s\nport %s\npeer %s\nforks 200\nmemory 1024\n%s\n' \
    "$OUTSIDE/marker" "$OUTSIDE/secret" "$DAEMON_PORT" "$PEER" "${1:-}" >hostile.i
  run "$WIRE" --port "$DAEMON_PORT" --timeout 60 --save SOUT:sout.txt --save SERR:serr.txt \
    DIST00000001 ARGC00000006 ARGV:hostile-cc "ARGV:-D$TAG" ARGV:-c ARGV:hostile.i ARGV:-o ARGV:hostile.o \
    DOTI@hostile.i
  echo "$output"
  cat sout.txt serr.txt
  [ "$status" -eq 0 ]
}

# The line hostile-cc printed for one attempt.
attempt() {
  grep "^$1: " sout.txt
}

# Waits up to 5 s until no process has $TAG in its arguments.
tag_gone() {
  local i
  for ((i = 0; i < 100; i++)); do
    pgrep -f "$TAG" >/dev/null || return 0
    sleep 0.05
  done
  echo "still running: $(pgrep -af "$TAG")" >&2
  return 1
}

@test "the sandbox stops every attempt of a hostile compiler, and nothing outlives its job" {
  dcc_full_sandbox_here || skip "skipped: user namespaces are refused here (a chroot, or user.max_user_namespaces=0)"
  start_hostile_daemon
  grep -q "sandbox auto: jobs run with user,mount,pid,net,landlock,seccomp" "$DAEMON_LOG"
  send_hostile_job
  [[ "$output" == *"< STAT00000100"* ]] # exit 1, as hostile-cc ends
  [ "$(attempt exec-shell)" = "exec-shell: blocked (Permission denied)" ]
  [ "$(attempt exec-job-file)" = "exec-job-file: blocked (Permission denied)" ]
  [ "$(attempt mmap-exec-job-file)" = "mmap-exec-job-file: blocked (Operation not permitted)" ]
  [ "$(attempt write-outside)" = "write-outside: blocked (Permission denied)" ]
  [ "$(attempt read-shadow)" = "read-shadow: blocked (Permission denied)" ]
  [ "$(attempt read-passwd)" = "read-passwd: blocked (Permission denied)" ]
  [ "$(attempt read-secret)" = "read-secret: blocked (Permission denied)" ]
  [ "$(attempt socket)" = "socket: blocked (Operation not permitted)" ]
  [ "$(attempt signal-peer)" = "signal-peer: blocked (Operation not permitted)" ]
  [[ "$(attempt fork-many)" =~ ^fork-many:\ blocked\ \(([0-9]+)\ processes,\ then\ Resource\ temporarily\ unavailable\)$ ]]
  [ "${BASH_REMATCH[1]}" -lt 32 ]
  [[ "$(attempt memory)" =~ ^memory:\ blocked\ \(malloc\ failed\ at\ ([0-9]+)\ MiB\)$ ]]
  [ "${BASH_REMATCH[1]}" -lt 256 ]
  [ "$(attempt setsid-sleeper)" = "setsid-sleeper: DONE (started)" ]
  tag_gone
  [ ! -e "$OUTSIDE/marker" ]
  [ -z "$(ls -A "$DAEMON_TMP")" ]
  # The daemon goes on serving, and compiles as gcc does.
  DISTCC_DIR="$BATS_TEST_TMPDIR" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 \
    DISTCC_SKIP_LOCAL_RETRY=1 "$DCC_BIN/distcc" gcc -g -O2 -c hello.c -o hello.o
  gcc -g -O2 -c hello.c -o local.o
  cmp hello.o local.o
}

@test "--sandbox=off lets the same attempts through (the test above can fail)" {
  start_hostile_daemon --sandbox=off
  grep -q "sandbox off: jobs run with none" "$DAEMON_LOG"
  send_hostile_job
  [[ "$output" == *"< STAT00000100"* ]]
  [ "$(attempt exec-shell)" = "exec-shell: DONE (/bin/sh)" ]
  [ "$(attempt exec-job-file)" = "exec-job-file: DONE (./dropped)" ]
  [ "$(attempt mmap-exec-job-file)" = "mmap-exec-job-file: DONE (mapped executable)" ]
  [ "$(attempt write-outside)" = "write-outside: DONE ($OUTSIDE/marker)" ]
  [ "$(attempt read-passwd)" = "read-passwd: DONE (/etc/passwd)" ]
  [ "$(attempt read-secret)" = "read-secret: DONE ($OUTSIDE/secret)" ]
  [ "$(attempt connect)" = "connect: DONE (connected to 127.0.0.1)" ]
  [ "$(attempt signal-peer)" = "signal-peer: DONE (could signal it)" ]
  [ "$(attempt fork-many)" = "fork-many: DONE (200 processes)" ]
  # The limits hold without the sandbox too.
  [[ "$(attempt memory)" == "memory: blocked (malloc failed at "* ]]
  [ -e "$OUTSIDE/marker" ]
  # The sleeper left the job's process group and is still there.
  sleep 0.5
  pgrep -f "$TAG"
}

@test "--job-lifetime kills a sandboxed job and everything it started" {
  dcc_full_sandbox_here || skip "skipped: user namespaces are refused here (a chroot, or user.max_user_namespaces=0)"
  start_hostile_daemon --job-lifetime 1
  send_hostile_job "sleep 60"
  [[ "$output" == *"< STAT00007600"* ]] # 118: killed after the job lifetime
  [[ "$(cat serr.txt)" == *"the compile exceeded the job lifetime of 1 s and was killed"* ]]
  tag_gone
  [ -z "$(ls -A "$DAEMON_TMP")" ]
}

@test "--sandbox=required starts on a kernel with every mechanism; a bad mode is refused" {
  dcc_full_sandbox_here || skip "skipped: user namespaces are refused here (a chroot, or user.max_user_namespaces=0)"
  dcc_start_distccd --sandbox=required
  grep -q "sandbox required: jobs run with user,mount,pid,net,landlock,seccomp (Landlock ABI [0-9]*)" "$DAEMON_LOG"
  OUR_OUT=$(DISTCC_DIR="$BATS_TEST_TMPDIR" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,cpp,lzo" DISTCC_FALLBACK=0 \
    DISTCC_SKIP_LOCAL_RETRY=1 "$DCC_BIN/distcc" gcc -c hello.c -o hello.o 2>&1)
  echo "$OUR_OUT"
  gcc -c hello.c -o local.o
  cmp hello.o local.o
  run "$DCC_BIN/distccd" --sandbox=sometimes
  [ "$status" -eq 101 ]
  [[ "$output" == *'critical: --sandbox "sometimes" is not one of auto, required, off' ]]
  run "$DCC_BIN/distccd" --job-memory lots
  [ "$status" -eq 101 ]
  [[ "$output" == *'critical: --job-memory "lots" is not a size such as 512M, or 0' ]]
}

@test "/stats.json and /toolchain report the sandbox and the job limits" {
  dcc_full_sandbox_here || skip "skipped: user namespaces are refused here (a chroot, or user.max_user_namespaces=0)"
  sport=$(dcc_free_port)
  dcc_start_distccd --stats --stats-port "$sport" --job-cpu 300
  curl -s "http://127.0.0.1:$sport/stats.json" >stats.json
  curl -s "http://127.0.0.1:$sport/toolchain" >tc.json
  for page in stats.json tc.json; do
    python3 - "$page" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["sandbox"]
assert s["mode"] == "auto", s
assert s["using"] == ["user", "mount", "pid", "net", "landlock", "seccomp"], s
assert s["missing"] == {}, s
assert s["landlock_abi"] >= 1, s
assert s["limits"] == {"memory": 4 << 30, "cpu_secs": 300, "file_size": 2 << 30, "processes": 64,
                       "lifetime_secs": 600}, s
PY
  done
}

# Where the kernel refuses the job user a user namespace. Here that is made
# so without touching the machine (dcc_without_user_namespaces, as root);
# where the kernel refuses them already (a chroot) the daemon runs as it is.
# Sets WRAPPER and, where this test made the namespace, USER_WHY: the reason
# the probe gives.
without_user_namespaces() {
  if dcc_full_sandbox_here; then
    dcc_need_root
    WRAPPER=dcc_without_user_namespaces
    USER_WHY='unshare: No space left on device'
  else
    WRAPPER=
    USER_WHY=
  fi
}

@test "--sandbox=required refuses to start where the kernel refuses user namespaces, exit 100, naming what is missing" {
  without_user_namespaces
  mkdir -p wl jobs
  chmod 0755 "$BATS_TEST_TMPDIR" wl
  chmod 1777 jobs
  ln -s /usr/bin/distcc wl/gcc
  port=$(dcc_free_port)
  TMPDIR="$BATS_TEST_TMPDIR/jobs" run $WRAPPER "$DCC_BIN/distccd" --no-detach --daemon --port "$port" \
    --whitelist-dir "$PWD/wl" --log-file "$PWD/distccd.log" --lifetime 30 --sandbox=required
  echo "$output"
  [ "$status" -eq 100 ]
  missing='mount (needs a user namespace), pid (needs a user namespace), net (needs a user namespace)'
  [ "$(dcc_landlock_abi)" -ge 6 ] && missing='mount (needs a user namespace), net (needs a user namespace)'
  if [ -n "$USER_WHY" ]; then
    [ "$output" = "distccd: --sandbox=required, but jobs cannot have: user ($USER_WHY), $missing" ]
  else
    [[ "$output" =~ ^"distccd: --sandbox=required, but jobs cannot have: user ("[^\)]+"), $missing"$ ]]
  fi
  grep -qxF "critical: ${output#distccd: }" <(sed -E 's/^[0-9-]+ [0-9:]+ distccd\[[0-9]+\] //' distccd.log)
  # It never listened.
  ! grep -q 'listening on' distccd.log
}

@test "--sandbox=auto in the same place starts, says once what is missing, and compiles under Landlock, seccomp and the reaper" {
  without_user_namespaces
  DAEMON_WRAPPER=$WRAPPER dcc_start_distccd --sandbox=auto
  # Two jobs: the warning comes once, at start, not with each job.
  for i in 1 2; do
    DISTCC_DIR="$BATS_TEST_TMPDIR" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 \
      DISTCC_SKIP_LOCAL_RETRY=1 "$DCC_BIN/distcc" gcc -c hello.c -o "hello$i.o"
  done
  gcc -c hello.c -o local.o
  cmp hello2.o local.o
  cat "$DAEMON_LOG"
  [ "$(compiled_jobs)" -eq 2 ]
  run grep -c ' warning: sandbox: jobs run without ' "$DAEMON_LOG"
  [ "$output" -eq 1 ]
  missing='mount (needs a user namespace), pid (needs a user namespace), net (needs a user namespace)'
  using=landlock,seccomp
  if [ "$(dcc_landlock_abi)" -ge 6 ]; then
    missing='mount (needs a user namespace), net (needs a user namespace)'
    using=pid,landlock,seccomp
  fi
  if [ -n "$USER_WHY" ]; then
    grep -q " warning: sandbox: jobs run without user ($USER_WHY), $missing\$" "$DAEMON_LOG"
  fi
  grep -q " notice: sandbox auto: jobs run with $using (Landlock ABI [0-9]*)\$" "$DAEMON_LOG"
  ! grep -q ' critical: ' "$DAEMON_LOG"
}
