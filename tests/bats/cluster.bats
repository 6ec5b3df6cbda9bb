#!/usr/bin/env bats
# A build spread over real (namespaced) machines: a client and two helpers,
# each in its own network namespace on its own 10.77.N.0/24, joined by a
# router namespace. Our distccd listens on each helper's address and allows
# the client's subnet only; the client builds tests/data/multifile with make.
# Needs root (ip netns); every namespace and daemon is removed in teardown.
# shellcheck disable=SC2154 # output, lines, stderr come from bats' run

load common
load ../cluster/netns
bats_require_minimum_version 1.5.0

# The client is 10.77.0.2, the helpers 10.77.1.2 and 10.77.2.2, a machine
# outside the --allow list 10.77.3.2.
CLIENT_NET=10.77.0.0/24
H1=10.77.1.2
H2=10.77.2.2
HOSTS="$H1/4,lzo $H2/4"
OBJS=(main.o vec.o hash.o strutil.o calc.o table.o fmt.o checksum.o)

# The reference: the same program built here with plain gcc.
setup_file() {
  export LC_ALL=C
  cp -r "$DCC_TOP/tests/data/multifile" "$BATS_FILE_TMPDIR/reference"
  make -s -C "$BATS_FILE_TMPDIR/reference" CC=gcc >/dev/null
}

setup() {
  dcc_need_root
  dcc_need_tool ip
  cd "$BATS_TEST_TMPDIR" || return
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES DISTCCD_PATH
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  cp -r "$DCC_TOP/tests/data/multifile" mf
  BG_PIDS=()
  GATE=
}

teardown() {
  # Gated compilers go on (and end) before their daemons are stopped.
  [ -n "${GATE:-}" ] && touch "$GATE/open"
  local pid
  for pid in "${BG_PIDS[@]}"; do dcc_stop_pid "$pid"; done
  net_teardown
  [ -n "${GATE:-}" ] && rm -rf "$GATE"
  GATE=
}

# The network of every test: router, client, two helpers and an outsider,
# with our distccd on both helpers allowing the client's subnet only.
start_cluster() {
  net_init
  net_add_machine client 0
  net_add_machine h1 1
  net_add_machine h2 2
  net_add_machine outsider 3
  net_start_distccd h1 --allow "$CLIENT_NET"
  net_start_distccd h2 --allow "$CLIENT_NET"
}

# Runs a command on machine $1 (in its namespace).
on() {
  local name=$1
  shift
  ip netns exec "$(net_ns "$name")" "$@"
}

# Starts a command on machine $1 in the background, without bats' fd 3, and
# records its pid (the command's own: ip netns exec execs it) in BG_PIDS and
# BG_PID for teardown. Redirect the caller's stdout and stderr to files.
on_bg() {
  local name=$1
  shift
  ip netns exec "$(net_ns "$name")" "$@" 3>&- &
  BG_PID=$!
  BG_PIDS+=("$BG_PID")
}

# The client's build of multifile: make -j8 with our distcc and $HOSTS.
CLIENT_MAKE=(make -C mf -j8 CC="$DCC_BIN/distcc gcc")
client_make() {
  on client env DISTCC_HOSTS="${DISTCC_HOSTS-$HOSTS}" "${CLIENT_MAKE[@]}"
}

# Every object is byte-identical to the reference, and the program runs.
same_as_reference() {
  local o
  for o in "${OBJS[@]}"; do
    cmp "mf/$o" "$BATS_FILE_TMPDIR/reference/$o"
  done
  [ "$(mf/multifile)" = "$("$BATS_FILE_TMPDIR/reference/multifile")" ]
  [[ "$(mf/multifile)" == "multifile: "* ]]
}

# Sources the daemon on helper $1 compiled for the client, one per line, sorted.
compiled_on() {
  sed -nE "s/.* job from 10\.77\.0\.2: $(gcc -dumpmachine)-gcc ([a-z]+\.c): compiled, exit 0,.*/\1/p" \
    "$(net_daemon_log "$1")" | sort
}

# A compiler for a helper's DISTCCD_PATH that records each job in
# $GATE/started.<pid> and then waits (at most 60 s) until $GATE/open exists.
make_gate() {
  GATE=$(mktemp -d /tmp/dcc-gate.XXXXXX)
  chmod 1777 "$GATE" # the job user (nobody) writes started.<pid> here
  mkdir "$GATE/bin"
  cat >"$GATE/bin/$(gcc -dumpmachine)-gcc" <<SH
#!/bin/sh
: >$GATE/started.\$\$
i=0
while [ ! -e $GATE/open ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
exec gcc "\$@"
SH
  chmod 755 "$GATE/bin" "$GATE/bin/$(gcc -dumpmachine)-gcc"
}

# Waits up to $2 seconds until $1 gated jobs have started.
wait_for_gated_jobs() {
  local want=$1 limit=${2:-20} i
  for ((i = 0; i < limit * 20; i++)); do
    [ "$(find "$GATE" -maxdepth 1 -name 'started.*' | wc -l)" -ge "$want" ] && return 0
    sleep 0.05
  done
  echo "only $(find "$GATE" -maxdepth 1 -name 'started.*' | wc -l) of $want gated jobs started" >&2
  return 1
}

# ---------------------------------------------------------------------------

@test "make -j8 over two helpers: each compiles for the client's address, objects match a local build" {
  start_cluster
  run --separate-stderr client_make
  [ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
  [ -z "$stderr" ]
  same_as_reference
  # -j8 against 4 + 4 slots: both helpers work, and together they compile
  # every source exactly once.
  [ -n "$(compiled_on h1)" ]
  [ -n "$(compiled_on h2)" ]
  [ "$( (compiled_on h1; compiled_on h2) | sort)" = "$(printf '%s.c\n' "${OBJS[@]%.o}" | sort)" ]
  # ,lzo on the first helper only: its jobs say lzo, the second's do not.
  [ "$(grep -c ': compiled, exit 0, lzo, ' "$(net_daemon_log h1)")" -eq "$(compiled_on h1 | wc -l)" ]
  [ "$(grep -c ', lzo, ' "$(net_daemon_log h2)" || true)" -eq 0 ]
  # The daemons announce the address they listen on and the allowed subnet.
  grep -q "notice: distccd .* listening on $H1 port 3632, .* allowing $CLIENT_NET" "$(net_daemon_log h1)"
  grep -q "notice: distccd .* listening on $H2 port 3632, .* allowing $CLIENT_NET" "$(net_daemon_log h2)"
  # Jobs ran as nobody, not as root.
  grep -q "info: running jobs as user nobody" "$(net_daemon_log h1)"
  [ ! -e "$DISTCC_DIR/lock/backoff_tcp_${H1}_3632_0" ]
  [ ! -e "$DISTCC_DIR/lock/backoff_tcp_${H2}_3632_0" ]
}

@test "a machine outside --allow is refused by name; its build goes local, or fails under DISTCC_FALLBACK=0" {
  start_cluster
  printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >hello.c
  gcc -c hello.c -o local.o

  DISTCC_HOSTS=$H1 run --separate-stderr on outsider "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
  # The client asks the helper what it is (CAPS: closed, as stock would),
  # then probes its toolchain with a compile, which fails the same way.
  [ "$(without_pids <<<"$stderr")" = "distcc: warning: failed to distribute hello.c to $H1:3632/4 (probing $H1's toolchain: no answer: the helper closed the connection without a reply (is this machine in its --allow list? did the daemon stop?)), running locally instead" ]
  cmp hello.o local.o
  [ "$(grep -c "warning: refused job connection from 10.77.3.2: not in the --allow list ($CLIENT_NET)" \
    "$(net_daemon_log h1)")" -eq 2 ]
  [ -e "$DISTCC_DIR/lock/backoff_tcp_${H1}_3632_0" ]
  # Nothing is kept of what the helper is: it never answered.
  [ ! -e "$DISTCC_DIR/helpers/tcp_${H1}_3632.json" ]

  # A fresh DISTCC_DIR, so the helper is not yet backed off: the client tried
  # it, read a closed connection, and reports 108 (truncated).
  DISTCC_DIR="$BATS_TEST_TMPDIR/fresh" DISTCC_HOSTS=$H1 DISTCC_FALLBACK=0 \
    run --separate-stderr on outsider "$DCC_BIN/distcc" gcc -c hello.c -o again.o
  [ "$status" -eq 108 ]
  [ "$(without_pids <<<"$stderr")" = "distcc: warning: failed to distribute hello.c to $H1:3632/4 (probing $H1's toolchain: no answer: the helper closed the connection without a reply (is this machine in its --allow list? did the daemon stop?))
distcc: error: failed to distribute hello.c and fallbacks are disabled (DISTCC_FALLBACK=0): no helper could take it" ]
  [ ! -e again.o ]
  # Now it is backed off: no connection at all, and 116 (no hosts).
  DISTCC_DIR="$BATS_TEST_TMPDIR/fresh" DISTCC_HOSTS=$H1 DISTCC_FALLBACK=0 \
    run --separate-stderr on outsider "$DCC_BIN/distcc" gcc -c hello.c -o again.o
  [ "$status" -eq 116 ]
  [ "$(without_pids <<<"$stderr")" = "distcc: error: failed to distribute hello.c and fallbacks are disabled (DISTCC_FALLBACK=0): no helper could take it" ]
  [ ! -e again.o ]
  [ "$(grep -c "refused job connection from 10.77.3.2" "$(net_daemon_log h1)")" -eq 4 ]

  # The same helper still serves the client's subnet (the client is another
  # machine, with its own DISTCC_DIR and so no backoff).
  DISTCC_DIR="$BATS_TEST_TMPDIR/client-dir" DISTCC_HOSTS=$H1 DISTCC_FALLBACK=0 run --separate-stderr on client "$DCC_BIN/distcc" gcc -c hello.c -o client.o
  [ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
  [ -z "$stderr" ]
  cmp client.o local.o
  grep -q "job from 10.77.0.2: $(gcc -dumpmachine)-gcc hello.c: compiled, exit 0" "$(net_daemon_log h1)"
}

@test "a helper whose link goes down mid-build: its jobs time out and go elsewhere, and it is backed off" {
  net_init
  net_add_machine client 0
  net_add_machine h1 1
  net_add_machine h2 2
  make_gate
  DISTCCD_PATH="$GATE/bin:$PATH" net_start_distccd h1 --allow "$CLIENT_NET" --sandbox=off
  net_start_distccd h2 --allow "$CLIENT_NET"

  DISTCC_IO_TIMEOUT=8 DISTCC_HOSTS=$HOSTS on_bg client "${CLIENT_MAKE[@]}" >make.out 2>make.err
  local make_pid=$BG_PID
  # The first four jobs take the first helper's four slots and wait there.
  wait_for_gated_jobs 4
  ip -n "$NET_ROUTER" link set "$(net_veth h1)" down
  local rc=0
  wait "$make_pid" || rc=$?
  [ "$rc" -eq 0 ] || { cat make.err; false; }
  same_as_reference
  # Each of the four stranded jobs says once why it left the helper.
  [ "$(without_pids <make.err | grep -cE "^distcc: warning: failed to distribute [a-z]+\.c to ${H1//./\\.}:3632/4,lzo \(waiting for the result: while waiting for DONE: timed out after 8 s waiting to read from peer\), trying another helper$")" -eq 4 ]
  [ "$(wc -l <make.err)" -eq 4 ] || { cat make.err; false; }
  # The first helper compiled nothing; the second (or the client) did the rest.
  [ -z "$(compiled_on h1)" ]
  [ "$(compiled_on h2 | wc -l)" -ge 4 ]
  [ -e "$DISTCC_DIR/lock/backoff_tcp_${H1}_3632_0" ]
  [ ! -e "$DISTCC_DIR/lock/backoff_tcp_${H2}_3632_0" ]
}

# A client, helper h1 (allowing the client) and hello.c with its local
# object local.o.
client_and_one_helper() {
  net_init
  net_add_machine client 0
  net_add_machine h1 1
  net_start_distccd h1 --allow "$CLIENT_NET"
  printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >hello.c
  gcc -c hello.c -o local.o
}

# Milliseconds since $1 (a date +%s%N).
ms_since() {
  echo $((($(date +%s%N) - $1) / 1000000))
}

@test "a helper whose packets are dropped: connecting gives up after 4 s and the job builds locally; exit 118 under DISTCC_FALLBACK=0" {
  client_and_one_helper
  # The router drops every packet for the helper without a word, as a dead
  # cable further on would: a blackhole route sends no ICMP. (A link that is
  # down at the router answers "Network is unreachable" at once instead.)
  ip -n "$NET_ROUTER" route add blackhole "$H1/32"

  # The client's connect timeout is fixed at 4 s (DCC_CONNECT_TIMEOUT_MS, as
  # in stock distcc). The upper bound only guards against hanging.
  local start ms
  start=$(date +%s%N)
  DISTCC_HOSTS=$H1 run --separate-stderr on client "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  ms=$(ms_since "$start")
  [ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
  [ "$(without_pids <<<"$stderr")" = "distcc: warning: failed to distribute hello.c to $H1:3632/4 (connecting to $H1:3632 timed out after 4000 ms), running locally instead" ]
  [ "$ms" -ge 4000 ] && [ "$ms" -lt 10000 ] || { echo "took $ms ms"; false; }
  cmp hello.o local.o
  [ -e "$DISTCC_DIR/lock/backoff_tcp_${H1}_3632_0" ]

  # A fresh DISTCC_DIR, so the helper is not backed off: the same wait, then
  # 118 (timeout) and no object.
  start=$(date +%s%N)
  DISTCC_DIR="$BATS_TEST_TMPDIR/fresh" DISTCC_HOSTS=$H1 DISTCC_FALLBACK=0 \
    run --separate-stderr on client "$DCC_BIN/distcc" gcc -c hello.c -o again.o
  ms=$(ms_since "$start")
  [ "$status" -eq 118 ]
  [ "$(without_pids <<<"$stderr")" = "distcc: warning: failed to distribute hello.c to $H1:3632/4 (connecting to $H1:3632 timed out after 4000 ms)
distcc: error: failed to distribute hello.c and fallbacks are disabled (DISTCC_FALLBACK=0): no helper could take it" ]
  [ "$ms" -ge 4000 ] && [ "$ms" -lt 10000 ] || { echo "took $ms ms"; false; }
  # Neither the object nor a temporary of it (.again.o.distcc-*).
  [ -z "$(find . -maxdepth 1 -name '*again*')" ]
  # Not one packet reached the helper.
  [ "$(grep -c '10\.77\.0\.2' "$(net_daemon_log h1)" || true)" -eq 0 ]
}

@test "a helper whose link is down at the router: no wait, the router says unreachable; exit 103 under DISTCC_FALLBACK=0" {
  client_and_one_helper
  # The router loses its route to the helper's subnet and answers with ICMP.
  ip -n "$NET_ROUTER" link set "$(net_veth h1)" down

  local start ms
  start=$(date +%s%N)
  DISTCC_HOSTS=$H1 run --separate-stderr on client "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  ms=$(ms_since "$start")
  [ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
  [ "$(without_pids <<<"$stderr")" = "distcc: warning: failed to distribute hello.c to $H1:3632/4 (cannot connect to $H1:3632: Network is unreachable), running locally instead" ]
  # Well under the 4 s connect timeout: nothing waited for it.
  [ "$ms" -lt 3000 ] || { echo "took $ms ms"; false; }
  cmp hello.o local.o

  DISTCC_DIR="$BATS_TEST_TMPDIR/fresh" DISTCC_HOSTS=$H1 DISTCC_FALLBACK=0 \
    run --separate-stderr on client "$DCC_BIN/distcc" gcc -c hello.c -o again.o
  [ "$status" -eq 103 ]
  [ "$(without_pids <<<"$stderr")" = "distcc: warning: failed to distribute hello.c to $H1:3632/4 (cannot connect to $H1:3632: Network is unreachable)
distcc: error: failed to distribute hello.c and fallbacks are disabled (DISTCC_FALLBACK=0): no helper could take it" ]
  [ -z "$(find . -maxdepth 1 -name '*again*')" ]
}

@test "a helper whose daemon is stopped mid-build: the build completes and the helper is backed off" {
  net_init
  net_add_machine client 0
  net_add_machine h1 1
  net_add_machine h2 2
  make_gate
  DISTCCD_PATH="$GATE/bin:$PATH" net_start_distccd h1 --allow "$CLIENT_NET" --sandbox=off
  net_start_distccd h2 --allow "$CLIENT_NET"

  DISTCC_IO_TIMEOUT=30 DISTCC_HOSTS=$HOSTS on_bg client "${CLIENT_MAKE[@]}" >make.out 2>make.err
  local make_pid=$BG_PID
  wait_for_gated_jobs 4
  local start=$SECONDS
  dcc_stop_pid "${NET_DAEMON_PID[h1]}"
  local rc=0
  wait "$make_pid" || rc=$?
  [ "$rc" -eq 0 ] || { cat make.err; false; }
  # No waiting for DISTCC_IO_TIMEOUT: a stopped daemon closes its connections.
  [ $((SECONDS - start)) -lt 20 ]
  same_as_reference
  [ "$(without_pids <make.err | grep -cE "^distcc: warning: failed to distribute [a-z]+\.c to ${H1//./\\.}:3632/4,lzo \(no answer: the helper closed the connection without a reply \(is this machine in its --allow list\? did the daemon stop\?\)\), trying another helper$")" -eq 4 ]
  [ "$(wc -l <make.err)" -eq 4 ] || { cat make.err; false; }
  [ -z "$(compiled_on h1)" ]
  [ -e "$DISTCC_DIR/lock/backoff_tcp_${H1}_3632_0" ]
  [ ! -e "$DISTCC_DIR/lock/backoff_tcp_${H2}_3632_0" ]
}

@test "one helper behind a slow link: the build succeeds and distccmon-text shows jobs on both helpers" {
  dcc_need_tool tc
  start_cluster
  # A 50 ms delay where the kernel has netem; otherwise 512 kbit/s (tbf).
  local dev
  dev=$(net_veth h2)
  if ! ip netns exec "$NET_ROUTER" tc qdisc add dev "$dev" root netem delay 50ms 2>tc.err &&
    ! ip netns exec "$NET_ROUTER" tc qdisc add dev "$dev" root tbf rate 512kbit burst 4kb latency 5s 2>>tc.err; then
    skip "neither tc netem nor tbf works here: $(tr '\n' ' ' <tc.err)"
  fi
  [[ "$(ip netns exec "$NET_ROUTER" tc qdisc show dev "$dev")" =~ netem.*delay\ 50ms|tbf.*rate\ 512Kbit ]]

  # The monitor polls every 0.05 s in the client's namespace, with the same
  # DISTCC_DIR and host list as the build.
  DISTCC_HOSTS=$HOSTS on_bg client "$DCC_BIN/distccmon-text" 0.05 >monitor.out 2>monitor.err
  local mon_pid=$BG_PID
  run --separate-stderr client_make
  [ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
  [ -z "$stderr" ]
  dcc_stop_pid "$mon_pid"
  same_as_reference
  [ -n "$(compiled_on h1)" ]
  [ -n "$(compiled_on h2)" ]
  [ ! -s monitor.err ]
  # Some single poll (polls end with a blank line) shows running jobs on both.
  awk -v RS= '/(^|\n)  10\.77\.1\.2:3632  [1-4]\/4 running/ && /(^|\n)  10\.77\.2\.2:3632  [1-4]\/4 running/ { found = 1 }
    END { exit !found }' monitor.out
  # And job lines name the helpers with their slots.
  grep -qE '^ *[0-9]+  [A-Za-z]+ +[a-z]+\.c +10\.77\.2\.2\[[0-3]\]$' monitor.out
  grep -qE '^ *[0-9]+  [A-Za-z]+ +[a-z]+\.c +10\.77\.1\.2\[[0-3]\]$' monitor.out
}
