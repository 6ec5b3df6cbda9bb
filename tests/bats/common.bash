# Shared by every bats file: where the built programs are, fresh temp dirs,
# free loopback ports and bounded background servers stopped by pid.

DCC_TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DCC_BUILD="${DCC_BUILD:-$DCC_TOP/build}"
DCC_BIN="$DCC_BUILD/bin"

# A TCP port no socket uses (scripts/free-port.sh: bash and /proc, no Python).
dcc_free_port() {
  "$DCC_TOP/scripts/free-port.sh"
}

# Builds the test program $2 (a .c file) into $1 against the built
# libdcc.a, with the libraries the library needs (lzo2, libzstd and libb2, jansson
# where the build has it); an ASan build's library needs the sanitizer
# runtime as well.
dcc_cc_with_libdcc() {
  local out=$1 src=$2 libs=()
  read -ra libs <<<"$(pkg-config --libs lzo2 libzstd libb2) $(pkg-config --libs jansson 2>/dev/null || true)"
  local cc=(cc -std=gnu11 -D_GNU_SOURCE -I"$DCC_TOP/engine/lib" -o "$out" "$src" "$DCC_BUILD/libdcc.a" "${libs[@]}")
  "${cc[@]}" 2>/dev/null || "${cc[@]}" -fsanitize=address,undefined
}

# Waits up to $2 seconds (default 5) until something listens on TCP port $1.
# Asks the kernel (ss) rather than connecting, so daemons do not log a probe.
dcc_wait_port() {
  local port=$1 limit=${2:-5} i
  for ((i = 0; i < limit * 20; i++)); do
    if [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $port after ${limit}s" >&2
  return 1
}

# Prints the raw HTTP reply (headers too) for GET $2 on 127.0.0.1:$1.
dcc_http_get() {
  local port=$1 path=$2
  exec 7<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET %s HTTP/1.0\r\n\r\n' "$path" >&7
  timeout 10 cat <&7
  exec 7<&-
}

# Waits up to $2 seconds (default 5) for process $1 to be gone; fails,
# saying so, if it is still there. (A bare "! kill -0" cannot fail a test.)
dcc_wait_gone() {
  local pid=$1 limit=${2:-5} i
  for ((i = 0; i < limit * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  echo "process $pid is still running" >&2
  return 1
}

# Kills a pid (and waits briefly) if it is still running.
dcc_stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

# The kernel's Landlock ABI version (0: none), by the system call itself
# (perl is part of every base system). From ABI 6 on, Landlock scopes
# signals, and the daemon contains a job's processes without a pid
# namespace, so "pid" does not need a user namespace.
dcc_landlock_abi() {
  perl -e 'my $v = syscall(444, 0, 0, 1); print $v > 0 ? $v : 0'
}

# 0 when the job user may create the namespaces of the whole job sandbox.
# In a chroot (the fresh-machine check) or with user.max_user_namespaces=0
# the kernel refuses them: distccd then runs jobs under Landlock and seccomp
# only, warns once at start, and distcc-preflight names such a helper.
dcc_full_sandbox_here() {
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    local user=distcc
    id -u distcc >/dev/null 2>&1 || user=nobody
    as=(setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups)
  fi
  "${as[@]}" unshare -U -m -p -n -f true 2>/dev/null
}

# Drops the lines that say the sandbox is partial here (only where it is:
# dcc_full_sandbox_here), so exact expectations about other lines hold.
dcc_drop_partial_sandbox_lines() {
  if dcc_full_sandbox_here; then
    cat
  else
    grep -v -e '^warning: sandbox: jobs run without ' -e '^[^ ]*: sandbox auto: using .*; missing ' || true
  fi
}

# Becomes "$@" (exec: run it in the background or under `run`; the pid is
# the command's) as root of a new user namespace in which
# user.max_user_namespaces is 0: there the kernel refuses the job user the
# namespaces of the sandbox, as in a chroot, with nothing changed on the
# machine (the limit is per user namespace). Needs root: mapping all the
# users (the job user among them) takes CAP_SETUID in this namespace. The
# map is written from outside, and the command exec'd only after it, since
# an exec before the map would drop the namespace's capabilities.
dcc_without_user_namespaces() {
  local go me=$BASHPID
  go=$(mktemp -u /tmp/dcc-userns.XXXXXX)
  mkfifo "$go"
  (
    local i ok=fail
    for ((i = 0; i < 200; i++)); do
      if [ "$(readlink "/proc/$me/ns/user")" != "$(readlink /proc/self/ns/user)" ]; then
        echo '0 0 65536' >"/proc/$me/uid_map" && echo '0 0 65536' >"/proc/$me/gid_map" && ok=go
        break
      fi
      sleep 0.01
    done
    # Bounded: if unshare failed, no one ever reads.
    # shellcheck disable=SC2016 # $1 and $2 are the inner bash's
    timeout 10 bash -c 'echo "$1" >"$2"' -- "$ok" "$go" || true
    rm -f "$go"
  ) &
  # shellcheck disable=SC2016 # expanded by the bash inside the namespace
  exec unshare --user bash -c '
    read -r answer <"$1"
    shift
    if [ "$answer" != go ]; then echo "dcc_without_user_namespaces: could not map the users" >&2; exit 1; fi
    exec bash -c '\''echo 0 >/proc/sys/user/max_user_namespaces && exec "$@"'\'' -- "$@"' -- "$go" "$@"
}

# Fails the test, naming the first of its programs (commands or absolute
# paths) that is not installed. make check installs every test tool first
# (scripts/deps.sh), so a missing one is a broken test machine, never a
# reason to skip.
dcc_need_tool() {
  local tool
  for tool in "$@"; do
    case "$tool" in
    /*) [ -x "$tool" ] && continue ;;
    *) command -v "$tool" >/dev/null && continue ;;
    esac
    echo "test tool $tool is not installed: scripts/deps.sh installs it (make check runs it first)" >&2
    return 1
  done
}

# Sets PATH_WITHOUT to a new directory of links to every program on PATH
# except the named ones (and their versioned names: python3.11 for python3):
# a PATH on which those programs are missing. It lies outside the test's
# private temp dir, so daemons' jobs that run as nobody can use it too;
# dcc_remove_path_without removes it.
dcc_path_without() {
  PATH_WITHOUT=$(mktemp -d /tmp/dcc-path.XXXXXX)
  chmod 0755 "$PATH_WITHOUT"
  local dir f name left_out IFS=:
  for dir in $PATH; do
    for f in "$dir"/*; do
      name=${f##*/}
      if [ ! -x "$f" ] || [ -d "$f" ] || [ -e "$PATH_WITHOUT/$name" ]; then continue; fi
      for left_out in "$@"; do
        case "$name" in "$left_out" | "$left_out".[0-9]* | "$left_out"-[0-9]*) continue 2 ;; esac
      done
      ln -s "$f" "$PATH_WITHOUT/$name"
    done
  done
}

dcc_remove_path_without() {
  [ -z "${PATH_WITHOUT:-}" ] || rm -rf "$PATH_WITHOUT"
  PATH_WITHOUT=
}

dcc_need_root() {
  if [ "$(id -u)" -ne 0 ]; then skip "skipped: needs root"; fi
}

# Starts our distccd on a free loopback port, in the foreground, bounded by
# --lifetime, with a whitelist of the usual compiler names and a job TMPDIR
# that the unprivileged job user can write. Extra arguments go to distccd.
# With DAEMON_TMP_VIA_LINK=1 the daemon is given that TMPDIR through a
# symbolic link and with a trailing slash. A test whose helper compiler is a
# shell script (it runs /bin/sh and sleep, and writes outside its job) passes
# --sandbox=off: in the sandbox a job executes only its toolchain.
# DAEMON_WRAPPER names a command that becomes distccd (exec), such as
# dcc_without_user_namespaces, so DAEMON_PID is still the daemon's.
# Sets DAEMON_PID DAEMON_PORT DAEMON_LOG DAEMON_DIR DAEMON_TMP DAEMON_WL.
dcc_start_distccd() {
  DAEMON_DIR=$(mktemp -d /tmp/dcc-daemon.XXXXXX)
  chmod 0755 "$DAEMON_DIR"
  DAEMON_WL="$DAEMON_DIR/whitelist"
  DAEMON_TMP="$DAEMON_DIR/tmp"
  DAEMON_LOG="$DAEMON_DIR/distccd.log"
  mkdir -p "$DAEMON_WL" "$DAEMON_TMP"
  chmod 1777 "$DAEMON_TMP"
  local name
  for name in gcc g++ cc c++ "$(gcc -dumpmachine)-gcc" "$(gcc -dumpmachine)-g++"; do
    ln -s /usr/bin/distcc "$DAEMON_WL/$name"
  done
  ln -s . "$DAEMON_WL/bin"
  DAEMON_PORT=$(dcc_free_port)
  local tmpdir=$DAEMON_TMP
  if [ "${DAEMON_TMP_VIA_LINK:-}" = 1 ]; then
    ln -s tmp "$DAEMON_DIR/tmp-link"
    tmpdir="$DAEMON_DIR/tmp-link/"
  fi
  TMPDIR="$tmpdir" ${DAEMON_WRAPPER:-} "$DCC_BIN/distccd" --no-detach --daemon --port "$DAEMON_PORT" \
    --log-file "$DAEMON_LOG" --log-level info --whitelist-dir "$DAEMON_WL" --lifetime 300 "$@" &
  DAEMON_PID=$!
  dcc_wait_port "$DAEMON_PORT" 10
  # The port is bound before the daemon makes the toolchain report of its
  # CAPS answers; it says it is listening once it serves.
  local i
  for ((i = 0; i < 150; i++)); do
    grep -q ' listening on ' "$DAEMON_LOG" 2>/dev/null && break
    sleep 0.1
  done
}

# For tests with two daemons: the one started first is kept as FIRST_PID,
# FIRST_DIR, FIRST_PORT and FIRST_LOG before dcc_start_distccd runs again.
dcc_keep_first_distccd() {
  FIRST_PID=$DAEMON_PID FIRST_DIR=$DAEMON_DIR FIRST_PORT=$DAEMON_PORT FIRST_LOG=$DAEMON_LOG
}

dcc_stop_first_distccd() {
  if [ -n "${FIRST_PID:-}" ]; then
    dcc_stop_pid "$FIRST_PID"
    rm -rf "$FIRST_DIR"
  fi
  FIRST_PID=
}

dcc_stop_distccd() {
  dcc_stop_pid "${DAEMON_PID:-}"
  DAEMON_PID=
  [ -n "${DAEMON_DIR:-}" ] && rm -rf "$DAEMON_DIR"
  DAEMON_DIR=
}

# Runs Debian's stock distcc 3.4 client against our daemon, with its own
# DISTCC_DIR, and no silent local fallback: a job that does not compile
# remotely fails instead.
stock_distcc() {
  mkdir -p "$BATS_TEST_TMPDIR/distcc-dir"
  DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir" DISTCC_HOSTS="${STOCK_HOSTS:-127.0.0.1:$DAEMON_PORT}" \
    DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 DISTCC_BACKOFF_PERIOD=0 /usr/bin/distcc "$@"
}

# Debian's stock distccd 3.4 on a free loopback port, in the foreground,
# bounded by --lifetime; its whitelist is the package's /usr/lib/distcc. As
# root it runs jobs as nobody, who opens the log (after dropping root: Gentoo
# bug 477630) and writes the job files, so both are made for that user.
# Extra arguments go to distccd. Sets STOCK_PID STOCK_PORT STOCK_DIR STOCK_LOG
# (STOCK_PORT_WANTED: that port instead of a free one).
dcc_start_stock_distccd() {
  dcc_need_tool /usr/bin/distccd
  STOCK_DIR=$(mktemp -d /tmp/dcc-stock.XXXXXX)
  chmod 0755 "$STOCK_DIR"
  mkdir "$STOCK_DIR/tmp"
  chmod 1777 "$STOCK_DIR/tmp"
  STOCK_LOG="$STOCK_DIR/distccd.log"
  : >"$STOCK_LOG"
  chmod 0666 "$STOCK_LOG"
  STOCK_PORT=${STOCK_PORT_WANTED:-$(dcc_free_port)}
  local user=()
  [ "$(id -u)" -ne 0 ] || user=(--user nobody)
  TMPDIR="$STOCK_DIR/tmp" /usr/bin/distccd --no-detach --daemon --port "$STOCK_PORT" --allow 127.0.0.1 \
    --log-file "$STOCK_LOG" --log-level info "${user[@]}" --lifetime 300 "$@" &
  STOCK_PID=$!
  dcc_wait_port "$STOCK_PORT" 10
}

# Client messages carry the pid; tests compare them without it.
without_pids() {
  sed -E 's/^distcc\[[0-9]+\] /distcc: /'
}

# How many jobs a daemon log shows compiled ($1, default this test's daemon).
compiled_jobs() {
  grep -c ": compiled, exit 0" "${1:-$DAEMON_LOG}" || true
}

# A helper on a free port (STALL_PORT, pid STALL_PID) that takes one job,
# answers with the first 10 bytes of a 100000-byte object and then stalls;
# bounded to 60 s.
dcc_start_stalling_helper() {
  STALL_PORT=$(dcc_free_port)
  timeout 60 python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
c.settimeout(0.5)
try:
    while c.recv(65536):
        pass
except socket.timeout:
    pass
c.sendall(b"DONE00000001STAT00000000SERR00000000SOUT00000000DOTO000186a0" + b"x" * 10)
time.sleep(60)
' "$STALL_PORT" &
  STALL_PID=$!
  dcc_wait_port "$STALL_PORT"
}

# A compiler whose cpp half (run by the client) takes a second and then notes
# whether the helper's half had already started by then; the helper's half
# records its arguments and whether its source was a FIFO or a file. Sets
# FAKEBIN (the caller's teardown removes it).
make_earlycc() {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 1777 "$FAKEBIN"
  cat >"$FAKEBIN/earlycc" <<SH
#!/bin/sh
case " \$* " in
*" -E "*)
  sleep 1
  if [ -e $FAKEBIN/helper.started ]; then echo started; else echo waiting; fi >$FAKEBIN/helper.when-cpp-ended
  exec gcc "\$@" ;;
esac
printf '%s\n' "\$*" >$FAKEBIN/helper.args
for a in "\$@"; do
  case "\$a" in *.i) if [ -p "\$a" ]; then echo fifo; elif [ -f "\$a" ]; then echo file; fi >$FAKEBIN/helper.input ;; esac
done
: >$FAKEBIN/helper.started
exec gcc "\$@"
SH
  chmod 755 "$FAKEBIN/earlycc"
}

# ---- daemons under attack (distccd_hostile, distccd_starve, distccd_pump) ----

WIRE="$DCC_TOP/tests/bats/wire_client.py"

# The request of `gcc -c hello.i -o hello.o`, up to (not including) DOTI.
HELLO_ARGV=(ARGC00000005 ARGV:gcc ARGV:-c ARGV:hello.i ARGV:-o ARGV:hello.o)

# A client that connects and hangs up at once, as a port probe does; the
# daemon rightly logs it as a bad request, and daemon_warnings leaves it out.
PROBE_LINE='warning: bad request from 127.0.0.1: while waiting for DIST: peer closed the connection with 12 bytes still expected'

# dcc_start_distccd, with the daemon's stderr (where ASan and UBSan report,
# for the daemon and every job process it forks) kept in $DAEMON_STDERR,
# which the test's setup names.
start_daemon() {
  dcc_start_distccd "$@" 2>>"$DAEMON_STDERR"
}

# Sends raw packets to the daemon (see wire_client.py for the notation); the
# transcript lands in $output / $lines.
send() {
  run "$WIRE" --port "$DAEMON_PORT" "$@"
}

# Waits up to $1 seconds for a command to succeed (tries it once more, so
# its complaint is seen, when it never does).
wait_until() {
  local limit=$1 i
  shift
  for ((i = 0; i < limit * 10; i++)); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  "$@"
}

# The daemon's warnings and errors so far, in order, without time stamps,
# pids, the probe line and the partial-sandbox lines.
daemon_warnings() {
  sed -nE 's/^[0-9-]+ [0-9:]+ distccd\[[0-9]+\] ((warning|error|critical): .*)$/\1/p' "$DAEMON_LOG" |
    grep -vxF "$PROBE_LINE" | dcc_drop_partial_sandbox_lines
}

# Exactly these lines, in this order, are what the daemon warned about.
assert_warnings() {
  local expected got
  expected=$(printf '%s\n' "$@")
  got=$(daemon_warnings)
  if [ "$got" != "$expected" ]; then
    printf 'daemon warnings:\n%s\nexpected:\n%s\n' "$got" "$expected" >&2
    return 1
  fi
}

# The same in any order: for clients served at the same time.
assert_warnings_in_any_order() {
  local expected got
  expected=$(printf '%s\n' "$@" | sort)
  got=$(daemon_warnings | sort)
  if [ "$got" != "$expected" ]; then
    printf 'daemon warnings (sorted):\n%s\nexpected:\n%s\n' "$got" "$expected" >&2
    return 1
  fi
}

# The last transcript: we spoke, the daemon hung up without a word.
assert_hung_up_silently() {
  local line
  if [ "$status" -ne 0 ] || [ "${lines[-1]}" != "closed" ]; then
    printf 'expected the daemon to close the connection:\n%s\n' "$output" >&2
    return 1
  fi
  for line in "${lines[@]}"; do
    if [[ "$line" == "<"* ]]; then
      printf 'expected no answer, the daemon sent: %s\n' "$line" >&2
      return 1
    fi
  done
}

# The last transcript is the refusal of a protocol $1 request with exactly
# the reason $2: exit 113 (the client builds locally) and the reason in SERR.
assert_job_refused() {
  local proto=$1 reason=$2
  local serr=" distccd on $(hostname) refused this job: $reason\\n"
  if [ "$status" -ne 0 ] || [ "${#lines[@]}" -lt 6 ] || [ "${lines[-6]}" != "< DONE0000000$proto" ] ||
    [ "${lines[-5]}" != "< STAT00007100" ] || [ "${lines[-4]:0:6}" != "< SERR" ] ||
    [ "${lines[-4]:14}" != "$serr" ] || [ "${lines[-3]}" != "< SOUT00000000" ] ||
    [ "${lines[-2]}" != "< DOTO00000000 (0 bytes)" ] || [ "${lines[-1]}" != "closed" ]; then
    printf 'protocol %s: expected the refusal "%s", got:\n%s\n' "$proto" "$reason" "$output" >&2
    return 1
  fi
}

# Nothing is left in the job tmp dir ($1, default this test's daemon's).
assert_no_job_dirs() {
  local left
  left=$(ls -A "${1:-$DAEMON_TMP}")
  if [ -n "$left" ]; then
    printf 'left behind in the job tmp dir: %s\n' "$left" >&2
    return 1
  fi
}
# The same, quietly, for wait_until.
no_job_dirs() { [ -z "$(ls -A "$DAEMON_TMP")" ]; }

# Sanitizer reports (ASan, LSan, UBSan), and the sanitizers' own failures,
# in $1 (default $DAEMON_STDERR).
assert_sanitizer_clean() {
  local file=${1:-$DAEMON_STDERR}
  if grep -qE 'Sanitizer|runtime error' "$file"; then
    printf 'sanitizer report in %s:\n' "$file" >&2
    cat "$file" >&2
    return 1
  fi
}

# Compilers the daemon started for a job: their arguments name the job dir.
job_compilers() {
  pgrep -f -- "-o $DAEMON_TMP/distccd_" || true
}
# For wait_until, which must look again on each try.
compilers_running() { [ -n "$(job_compilers)" ]; }
no_compilers() { [ -z "$(job_compilers)" ]; }

# A fake helper on a free port (FAKE_PORT, pid FAKE_PID): it takes one
# connection, reads what comes, answers $1 (raw bytes) and closes; bounded
# to 30 s.
start_fake_helper() {
  FAKE_PORT=$(dcc_free_port)
  timeout 30 python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
c.recv(4096)
c.sendall(sys.argv[2].encode())
c.close()
' "$FAKE_PORT" "$1" &
  FAKE_PID=$!
  dcc_wait_port "$FAKE_PORT"
}
