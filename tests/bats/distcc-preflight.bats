#!/usr/bin/env bats
# distcc-preflight against real daemons on loopback whose PATH holds fake
# compilers and binutils: the table, the reasons and the exit code an admin
# or a Portage hook relies on.
# shellcheck disable=SC2154 # output, status, lines come from bats' run
# shellcheck disable=SC2030,SC2031 # each @test is a subshell on purpose

load common
bats_require_minimum_version 1.5.0

PREFLIGHT="$DCC_BIN/distcc-preflight"

setup() {
  cd "$BATS_TEST_TMPDIR" || return 1
  : >empty.conf
  FAKE_DIRS=()
  SERVER_PIDS=()
  unset CHOST DISTCC_HOSTS
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
}

teardown() {
  local pid d
  dcc_stop_pid "${STOCK_PID:-}"
  [ -n "${STOCK_DIR:-}" ] && rm -rf "$STOCK_DIR"
  netns_teardown
  dcc_stop_distccd
  dcc_stop_first_distccd
  for pid in "${SERVER_PIDS[@]}"; do dcc_stop_pid "$pid"; done
  for d in "${FAKE_DIRS[@]}"; do rm -rf "$d"; done
}

# make_toolchain VERSION TRIPLE BINUTILS PIE(yes|no) -> prints a world-readable
# directory with gcc, g++, as and ld answering the probes with those values
# (the daemon drops to nobody, so not under the test's private tmp dir).
make_toolchain() {
  local version=$1 triple=$2 binutils=$3 pie=$4 dir cc configured
  dir=$(mktemp -d /tmp/dcc-preflight-tc.XXXXXX)
  chmod 755 "$dir"
  configured="../configure --prefix=/usr --enable-default-ssp"
  [ "$pie" = yes ] && configured="$configured --enable-default-pie"
  for cc in gcc g++; do
    cat >"$dir/$cc" <<EOF
#!/bin/sh
case "\$1" in
-dumpfullversion) echo $version ;;
-dumpversion) echo ${version%%.*} ;;
-dumpmachine) echo $triple ;;
-v)
  echo "Using built-in specs." >&2
  echo "Target: $triple" >&2
  echo "Configured with: $configured" >&2
  echo "Thread model: posix" >&2
  echo "gcc version $version (Gentoo $version p1)" >&2 ;;
*) exit 1 ;;
esac
EOF
  done
  printf '#!/bin/sh\necho "GNU assembler (Gentoo %s p5) %s"\n' "$binutils" "$binutils" >"$dir/as"
  printf '#!/bin/sh\necho "GNU ld (Gentoo %s p5) %s"\n' "$binutils" "$binutils" >"$dir/ld"
  chmod 755 "$dir"/*
  echo "$dir"
}

# The local machine: gcc 13.2.1 for x86_64-pc-linux-gnu, binutils 2.41, PIE.
local_toolchain() {
  LOCAL_TC=$(make_toolchain 13.2.1 x86_64-pc-linux-gnu 2.41 yes)
  FAKE_DIRS+=("$LOCAL_TC")
}

# start_helper ADDR VERSION TRIPLE BINUTILS PIE: our distccd on ADDR with a
# stats port shared by every helper of the test ($STATS_PORT).
start_helper() {
  local addr=$1 tc
  shift
  tc=$(make_toolchain "$@")
  FAKE_DIRS+=("$tc")
  : "${STATS_PORT:=$(dcc_free_port)}"
  DISTCCD_PATH="$tc" dcc_start_distccd --listen "$addr" --stats --stats-port "$STATS_PORT"
  dcc_wait_port "$STATS_PORT" 10
}

preflight() {
  local rc=0
  PATH="$LOCAL_TC:/usr/bin:/bin" "$PREFLIGHT" --config "$BATS_TEST_TMPDIR/empty.conf" \
    --stats-port "$STATS_PORT" --timeout 3 "$@" >"$BATS_TEST_TMPDIR/preflight.out" 2>&1 || rc=$?
  dcc_drop_partial_sandbox_lines <"$BATS_TEST_TMPDIR/preflight.out"
  return "$rc"
}

# A one-shot HTTP server on ADDR:$STATS_PORT answering every request with $2.
start_fake_stats() {
  local addr=$1 reply=$2
  : "${STATS_PORT:=$(dcc_free_port)}"
  timeout 30 python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
c, _ = s.accept()
c.recv(4096)
if sys.argv[3] == "SILENT":
    import time; time.sleep(25)
c.sendall(sys.argv[3].encode().decode("unicode_escape").encode())
c.close()
' "$addr" "$STATS_PORT" "$reply" &
  SERVER_PIDS+=($!)
  dcc_wait_port "$STATS_PORT" 10
}

@test "all hosts agree: one table, exit 0" {
  local_toolchain
  start_helper 127.0.0.2 13.2.1 x86_64-pc-linux-gnu 2.41 yes
  run preflight --hosts "localhost/2 127.0.0.2:$DAEMON_PORT/4,lzo"
  [ "$status" -eq 0 ]
  diff - <(printf '%s\n' "$output") <<'EOF'
HOST       COMPILER  VERSION  TRIPLE               AS    LD    PIE/SSP  FOUND  RESULT
(local)    gcc       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    reference
(local)    g++       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    reference
127.0.0.2  gcc       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    ok
127.0.0.2  g++       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    ok

1 host checked: 0 with errors, 0 with warnings only, 0 unreachable (exit 0)
EOF
}

@test "a different gcc minor version is an error: exit 2" {
  local_toolchain
  start_helper 127.0.0.2 13.1.0 x86_64-pc-linux-gnu 2.41 yes
  run preflight --hosts 127.0.0.2
  [ "$status" -eq 2 ]
  diff - <(printf '%s\n' "$output") <<'EOF'
HOST       COMPILER  VERSION  TRIPLE               AS    LD    PIE/SSP  FOUND  RESULT
(local)    gcc       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    reference
(local)    g++       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    reference
127.0.0.2  gcc       13.1.0!  x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    error
127.0.0.2  g++       13.1.0!  x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    error

127.0.0.2 gcc: error: version 13.1.0, local 13.2.1: minor version differs
127.0.0.2 g++: error: version 13.1.0, local 13.2.1: minor version differs
1 host checked: 1 with errors, 0 with warnings only, 0 unreachable (exit 2)
EOF
}

@test "a different target triple (CHOST) is an error: exit 2" {
  local_toolchain
  start_helper 127.0.0.2 13.2.1 aarch64-unknown-linux-gnu 2.41 yes
  run preflight --hosts 127.0.0.2 --compiler gcc
  [ "$status" -eq 2 ]
  diff - <(printf '%s\n' "$output") <<'EOF'
HOST       COMPILER  VERSION  TRIPLE                      AS    LD    PIE/SSP  FOUND  RESULT
(local)    gcc       13.2.1   x86_64-pc-linux-gnu         2.41  2.41  yes/yes  yes    reference
127.0.0.2  gcc       13.2.1   aarch64-unknown-linux-gnu!  2.41  2.41  yes/yes  yes    error

127.0.0.2 gcc: error: machine aarch64-unknown-linux-gnu, local x86_64-pc-linux-gnu: differs
1 host checked: 1 with errors, 0 with warnings only, 0 unreachable (exit 2)
EOF
}

@test "a different binutils version is an error: exit 2" {
  local_toolchain
  start_helper 127.0.0.2 13.2.1 x86_64-pc-linux-gnu 2.40 yes
  run preflight --hosts 127.0.0.2 --compiler gcc
  [ "$status" -eq 2 ]
  diff - <(printf '%s\n' "$output") <<'EOF'
HOST       COMPILER  VERSION  TRIPLE               AS     LD     PIE/SSP  FOUND  RESULT
(local)    gcc       13.2.1   x86_64-pc-linux-gnu  2.41   2.41   yes/yes  yes    reference
127.0.0.2  gcc       13.2.1   x86_64-pc-linux-gnu  2.40!  2.40!  yes/yes  yes    error

127.0.0.2 gcc: error: as 2.40, local 2.41: differs
127.0.0.2 gcc: error: ld 2.40, local 2.41: differs
1 host checked: 1 with errors, 0 with warnings only, 0 unreachable (exit 2)
EOF
}

@test "a different PIE default is an error: exit 2" {
  local_toolchain
  start_helper 127.0.0.2 13.2.1 x86_64-pc-linux-gnu 2.41 no
  run preflight --hosts 127.0.0.2 --compiler gcc
  [ "$status" -eq 2 ]
  [ "${lines[2]}" = "127.0.0.2  gcc       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  no!/yes  yes    error" ]
  [ "${lines[3]}" = "127.0.0.2 gcc: error: pie_default no, local yes: differs" ]
}

@test "a different patch level is a warning: exit 1, or 0 with --warn-ok" {
  local_toolchain
  start_helper 127.0.0.2 13.2.0 x86_64-pc-linux-gnu 2.41 yes
  run preflight --hosts 127.0.0.2 --compiler gcc
  [ "$status" -eq 1 ]
  diff - <(printf '%s\n' "$output") <<'EOF'
HOST       COMPILER  VERSION  TRIPLE               AS    LD    PIE/SSP  FOUND  RESULT
(local)    gcc       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    reference
127.0.0.2  gcc       13.2.0~  x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    warning

127.0.0.2 gcc: warning: version 13.2.0, local 13.2.1: patch level differs
1 host checked: 0 with errors, 1 with warnings only, 0 unreachable (exit 1)
EOF
  run preflight --hosts 127.0.0.2 --compiler gcc --warn-ok
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "1 host checked: 0 with errors, 1 with warnings only, 0 unreachable (exit 0)" ]
}

@test "a host that is down is unreachable, with the reason: exit 3" {
  local_toolchain
  start_helper 127.0.0.2 13.2.1 x86_64-pc-linux-gnu 2.41 yes
  run preflight --hosts "127.0.0.2 127.0.0.3" --compiler gcc
  [ "$status" -eq 3 ]
  [ "${lines[2]}" = "127.0.0.2  gcc       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    ok" ]
  [ "${lines[3]}" = "127.0.0.3  -         -        -                    -     -     -        -      unreachable" ]
  [[ "${lines[4]}" == "127.0.0.3: unreachable: Failed to connect to 127.0.0.3 port $STATS_PORT after "*" ms: "*" (http://127.0.0.3:$STATS_PORT/toolchain); probe compile: cannot connect to 127.0.0.3:3632: Connection refused" ]]
  [ "${lines[5]}" = "2 hosts checked: 0 with errors, 0 with warnings only, 1 unreachable (exit 3)" ]
}

@test "errors win over an unreachable host: exit 2" {
  local_toolchain
  start_helper 127.0.0.2 12.3.1 x86_64-pc-linux-gnu 2.41 yes
  run preflight --hosts "127.0.0.3 127.0.0.2" --compiler gcc
  [ "$status" -eq 2 ]
  [ "${lines[-1]}" = "2 hosts checked: 1 with errors, 0 with warnings only, 1 unreachable (exit 2)" ]
  [[ "$output" == *"127.0.0.2 gcc: error: version 12.3.1, local 13.2.1: major version differs"* ]]
}

@test "a stats port that answers garbage is a bad answer, named as such: exit 3" {
  local_toolchain
  start_fake_stats 127.0.0.4 'HTTP/1.0 200 OK\r\n\r\nnot json'
  run preflight --hosts 127.0.0.4
  [ "$status" -eq 3 ]
  [ "${lines[3]}" = "127.0.0.4  -         -        -                    -     -     -        -      unreachable" ]
  [ "${lines[4]}" = "127.0.0.4: unreachable: bad answer: not a /toolchain report: '[' or '{' expected near 'not' (line 1) (http://127.0.0.4:$STATS_PORT/toolchain)" ]
}

@test "a host that accepts but never answers is bounded by --timeout" {
  local_toolchain
  start_fake_stats 127.0.0.4 SILENT
  SECONDS=0
  PATH="$LOCAL_TC:/usr/bin:/bin" run "$PREFLIGHT" --config empty.conf --stats-port "$STATS_PORT" \
    --hosts 127.0.0.4 --compiler gcc --timeout 1
  [ "$status" -eq 3 ]
  [ "$SECONDS" -le 3 ]
  [[ "${lines[3]}" == "127.0.0.4: unreachable: Operation timed out after "*" (http://127.0.0.4:$STATS_PORT/toolchain)" ]]
}

@test "a stock distcc 3.4 stats page and no daemon behind it: both reasons, exit 3" {
  local_toolchain
  start_fake_stats 127.0.0.4 '<distccstats>\ndcc_tcp_accept 0\n</distccstats>\n'
  run preflight --hosts 127.0.0.4 --compiler gcc
  [ "$status" -eq 3 ]
  [ "${lines[3]}" = "127.0.0.4: unreachable: bad answer: no /toolchain endpoint (a stock distcc stats page answered) (http://127.0.0.4:$STATS_PORT/toolchain); probe compile: cannot connect to 127.0.0.4:3632: Connection refused" ]
}

@test "--quiet prints nothing; --json carries the rows and the exit code" {
  local_toolchain
  start_helper 127.0.0.2 13.1.0 x86_64-pc-linux-gnu 2.41 yes
  run --separate-stderr preflight --hosts 127.0.0.2 --quiet
  [ "$status" -eq 2 ]
  [ "$output" = "" ]
  [ "$stderr" = "" ]
  run preflight --hosts 127.0.0.2 --compiler gcc --json
  [ "$status" -eq 2 ]
  printf '%s\n' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["exit"] == 2, d
assert d["local"]["chost"] == "x86_64-pc-linux-gnu", d["local"]
r = d["rows"][1]
assert (r["host"], r["compiler"], r["version"], r["result"]) == ("127.0.0.2", "gcc", "13.1.0", "error"), r
assert r["findings"] == [{"field": "version", "level": "error", "what": "version", "local": "13.2.1", "remote": "13.1.0", "why": "minor version differs"}], r
'
}

@test "distcc.conf [preflight]: errors, ignore and timeout; options override the file" {
  local_toolchain
  start_helper 127.0.0.2 13.1.0 x86_64-pc-linux-gnu 2.41 yes
  printf '[preflight]\nerrors = triple, binutils, pie\nignore = 127.0.0.3\ntimeout = 2\n' >pf.conf
  PATH="$LOCAL_TC:/usr/bin:/bin" run "$PREFLIGHT" --config pf.conf --stats-port "$STATS_PORT" \
    --hosts "127.0.0.2 127.0.0.3" --compiler gcc
  [ "$status" -eq 1 ]
  [ "${lines[-2]}" = "127.0.0.2 gcc: warning: version 13.1.0, local 13.2.1: minor version differs" ]
  [ "${lines[-1]}" = "1 host checked: 0 with errors, 1 with warnings only, 0 unreachable (exit 1)" ]
  PATH="$LOCAL_TC:/usr/bin:/bin" run "$PREFLIGHT" --config pf.conf --stats-port "$STATS_PORT" \
    --hosts "127.0.0.2" --compiler gcc --errors version
  [ "$status" -eq 2 ]
}

@test "the host list comes from DISTCC_HOSTS when --hosts is not given" {
  local_toolchain
  start_helper 127.0.0.2 13.2.1 x86_64-pc-linux-gnu 2.41 yes
  DISTCC_HOSTS="127.0.0.2/4" run preflight --compiler g++
  [ "$status" -eq 0 ]
  [ "${lines[2]}" = "127.0.0.2  g++       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    ok" ]
}

@test "bad input: unknown option, bad field list, missing config file: one line, exit 4" {
  run --separate-stderr "$PREFLIGHT" --frobnicate
  [ "$status" -eq 4 ]
  [ "$stderr" = "distcc-preflight: --frobnicate: unknown option (see --help)" ]
  run --separate-stderr "$PREFLIGHT" --errors version,colour --hosts ""
  [ "$status" -eq 4 ]
  [ "$stderr" = "distcc-preflight: --errors: unknown field \"colour\" (known: version, triple, binutils, pie, ssp, found, none)" ]
  run --separate-stderr "$PREFLIGHT" --config "$BATS_TEST_TMPDIR/nope.conf"
  [ "$status" -eq 4 ]
  [ "$stderr" = "distcc-preflight: cannot read config $BATS_TEST_TMPDIR/nope.conf: No such file or directory" ]
  run --separate-stderr "$PREFLIGHT" --hosts "box:notaport"
  [ "$status" -eq 4 ]
  [[ "$stderr" == "distcc-preflight: bad host specification \"box:notaport\""* ]]
}

@test "--help names the exit codes" {
  run "$PREFLIGHT" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--stats-port=PORT"* ]]
  [[ "$output" == *"--distcc=PATH"* ]]
  [[ "$output" == *"Exit: 0 all hosts agree, 1 warnings only (0 with --warn-ok), 2 errors,"* ]]
}

# ---- hosts without /toolchain: a probe compile through the daemon ------------

# One row of this machine's real gcc, words separated by blanks:
#   real_gcc_row HOST LD RESULT
real_gcc_row() {
  local pie=no ssp=no v
  v=$(LC_ALL=C gcc -v 2>&1)
  [[ $v == *--enable-default-pie* ]] && pie=yes
  [[ $v == *--enable-default-ssp* ]] && ssp=yes
  printf '%s gcc %s %s %s %s %s/%s yes %s\n' "$1" "$(gcc -dumpfullversion)" "$(gcc -dumpmachine)" \
    "$(as --version | sed -n '1s/.* //p')" "$2" "$pie" "$ssp" "$3"
}

# The table this machine's gcc and one probed HOST make, as printed.
expected_probe_table() {
  {
    echo "HOST COMPILER VERSION TRIPLE AS LD PIE/SSP FOUND RESULT"
    real_gcc_row "(local)" "$(ld --version | sed -n '1s/.* //p')" reference
    real_gcc_row "$1" "?" ok
  } | column -t
}

# The .comment a local compile leaves in an object.
local_comment() {
  echo 'int x;' | gcc -x c -c - -o "$BATS_TEST_TMPDIR/comment.o"
  readelf -p .comment "$BATS_TEST_TMPDIR/comment.o" | sed -n 's/^ *\[ *[0-9]*\]  //p' | head -n 1
}

# The table part of an output (up to the first blank line).
table_of() {
  printf '%s\n' "$1" | sed '/^$/,$d'
}

real_preflight() {
  PATH="/usr/bin:/bin" "$PREFLIGHT" --config "$BATS_TEST_TMPDIR/empty.conf" --distcc "$DCC_BIN/distcc" \
    --timeout 20 "$@"
}

@test "stock distccd 3.4, stats port closed: probed by compiling, agrees with the local gcc: exit 0" {
  dcc_start_stock_distccd
  run real_preflight --hosts "127.0.0.1:$STOCK_PORT" --stats-port "$(dcc_free_port)" --compiler gcc
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  diff <(expected_probe_table 127.0.0.1) <(table_of "$output")
  [ "${#lines[@]}" -eq 5 ]
  [ "${lines[3]}" = "127.0.0.1 gcc: probe: compiled through the daemon (stats port closed); .comment: $(local_comment)" ]
  [ "${lines[4]}" = "1 host checked: 0 with errors, 0 with warnings only, 0 unreachable (exit 0)" ]
  # The helper really compiled it.
  grep -q "COMPILE_OK exit:0 .* $(gcc -dumpmachine)-gcc probe.i" "$STOCK_LOG"
}

@test "stock distccd 3.4 with --stats: its stats page means no /toolchain, so it is probed" {
  local stats
  stats=$(dcc_free_port)
  dcc_start_stock_distccd --stats --stats-port "$stats"
  dcc_wait_port "$stats" 10
  run real_preflight --hosts "127.0.0.1:$STOCK_PORT/2,lzo" --stats-port "$stats" --compiler gcc --compiler g++
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [[ "${lines[3]}" == "127.0.0.1  gcc  "*"  ok" ]]
  [[ "${lines[4]}" == "127.0.0.1  g++  "*"  ok" ]]
  [ "${lines[5]}" = "127.0.0.1 gcc: probe: compiled through the daemon (stock distcc stats page); .comment: $(local_comment)" ]
  [ "${lines[6]}" = "127.0.0.1 g++: probe: compiled through the daemon (stock distcc stats page); .comment: $(local_comment)" ]
  grep -q "COMPILE_OK exit:0 .* $(gcc -dumpmachine)-g++ probe.ii" "$STOCK_LOG"
}

@test "stock distccd 3.4 refuses a compiler outside its whitelist: FOUND no, a warning: exit 1" {
  dcc_start_stock_distccd
  mkdir -p tc
  ln -s /usr/bin/gcc tc/probecc
  PATH="$BATS_TEST_TMPDIR/tc:/usr/bin:/bin" run "$PREFLIGHT" --config empty.conf --distcc "$DCC_BIN/distcc" \
    --timeout 20 --hosts "127.0.0.1:$STOCK_PORT" --stats-port "$(dcc_free_port)" --compiler probecc
  [ "$status" -eq 1 ] || { echo "$output"; false; }
  [[ "${lines[2]}" == "127.0.0.1  probecc   -        -  "*"  ?     ?     -        no~    warning" ]]
  [ "${lines[3]}" = "127.0.0.1 probecc: probe: compile through the daemon failed (stats port closed): exit 108: no answer: the helper closed the connection without a reply (is this machine in its --allow list? did the daemon stop?)" ]
  [ "${lines[4]}" = "127.0.0.1 probecc: warning: found no, local yes: the helper refused or failed the probe job" ]
  grep -q "probecc not in .* whitelist" "$STOCK_LOG"
}

@test "an @ssh host is probed through the client and \$DISTCC_SSH: exact table, exit 0" {
  mkdir -p wl
  ln -s /usr/bin/distcc wl/gcc
  ln -s /usr/bin/distcc "wl/$(gcc -dumpmachine)-gcc"
  # Stands in for ssh: drops the host, runs our daemon where distccd is named.
  cat >fake-ssh <<SH
#!/bin/sh
echo "ssh \$*" >>"$BATS_TEST_TMPDIR/ssh.calls"
while [ "\$1" != distccd ]; do shift; done
shift
exec "$DCC_BIN/distccd" "\$@" --log-file "$BATS_TEST_TMPDIR/inetd.log" --whitelist-dir "$BATS_TEST_TMPDIR/wl"
SH
  chmod +x fake-ssh
  DISTCC_SSH="$BATS_TEST_TMPDIR/fake-ssh" run real_preflight --hosts "localhost @builder" --compiler gcc \
    --stats-port "$(dcc_free_port)"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  diff <(expected_probe_table builder) <(table_of "$output")
  [ "${lines[3]}" = "builder gcc: probe: compiled through the daemon (ssh host); .comment: $(local_comment)" ]
  [ "${lines[4]}" = "1 host checked: 0 with errors, 0 with warnings only, 0 unreachable (exit 0)" ]
  [ "$(cat ssh.calls)" = "ssh builder distccd --inetd --enable-tcp-insecure" ]
  grep -q "job from ssh/stdin: .*gcc probe.i: compiled, exit 0" inetd.log
}

@test "an @ssh host whose ssh fails is unreachable with the client's reason: exit 3" {
  local_toolchain
  printf '#!/bin/sh\necho "ssh: connect to host builder port 22: No route to host" >&2\nexit 255\n' >fake-ssh
  chmod +x fake-ssh
  STATS_PORT=$(dcc_free_port)
  DISTCC_SSH="$BATS_TEST_TMPDIR/fake-ssh" run preflight --hosts "@builder" --compiler gcc \
    --distcc "$DCC_BIN/distcc"
  [ "$status" -eq 3 ] || { echo "$output"; false; }
  [ "${lines[2]}" = "builder  -         -        -                    -     -     -        -      unreachable" ]
  [ "${lines[3]}" = "builder: unreachable: ssh host (@builder); probe compile over ssh: ssh: connect to host builder port 22: No route to host" ]
  [ "${lines[4]}" = "1 host checked: 0 with errors, 0 with warnings only, 1 unreachable (exit 3)" ]
}

# ---- helpers in network namespaces (root only) --------------------------------

NS_NAMES=()
NS_LINKS=()
NS_PIDS=()

# netns_helper INDEX VERSION TRIPLE BINUTILS PIE: a namespace dccpf<pid>-INDEX
# joined to this one by a veth pair (here 10.$NS_NET.INDEX.1, there .2),
# running our distccd on the default ports 3632 and 3633 (--stats) with a
# fake toolchain, allowing this side only. Prints nothing; sets NS_ADDR.
netns_helper() {
  local i=$1 ns link tc dir
  shift
  : "${NS_NET:=$(( $$ % 200 + 20 ))}"
  ns="dccpf$$-$i"
  link="dpf$$h$i"
  NS_NAMES+=("$ns")
  ip netns add "$ns"
  ip link add "$link" type veth peer name "dpf$$n$i"
  NS_LINKS+=("$link")
  ip link set "dpf$$n$i" netns "$ns"
  ip addr add "10.$NS_NET.$i.1/24" dev "$link"
  ip link set "$link" up
  ip netns exec "$ns" ip addr add "10.$NS_NET.$i.2/24" dev "dpf$$n$i"
  ip netns exec "$ns" ip link set "dpf$$n$i" up
  ip netns exec "$ns" ip link set lo up
  NS_ADDR="10.$NS_NET.$i.2"
  tc=$(make_toolchain "$@")
  FAKE_DIRS+=("$tc")
  dir=$(mktemp -d /tmp/dcc-preflight-ns.XXXXXX)
  FAKE_DIRS+=("$dir")
  chmod 755 "$dir"
  mkdir -p "$dir/wl" "$dir/tmp"
  chmod 1777 "$dir/tmp"
  ln -s /usr/bin/distcc "$dir/wl/gcc"
  ln -s /usr/bin/distcc "$dir/wl/g++"
  ip netns exec "$ns" env DISTCCD_PATH="$tc" TMPDIR="$dir/tmp" "$DCC_BIN/distccd" --no-detach --daemon \
    --listen "$NS_ADDR" --allow "10.$NS_NET.$i.1/32" --stats --log-file "$dir/distccd.log" \
    --whitelist-dir "$dir/wl" --lifetime 120 &
  NS_PIDS+=($!)
  local n
  for ((n = 0; n < 200; n++)); do
    [ -n "$(ip netns exec "$ns" ss -Hltn 'sport = :3633')" ] && return 0
    sleep 0.05
  done
  echo "distccd in $ns does not listen on 3633" >&2
  return 1
}

# Everything netns_helper made, also after a failed test.
netns_teardown() {
  local pid ns link
  for pid in "${NS_PIDS[@]}"; do dcc_stop_pid "$pid"; done
  for ns in "${NS_NAMES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  for link in "${NS_LINKS[@]}"; do ip link del "$link" 2>/dev/null || true; done
  NS_PIDS=()
  NS_NAMES=()
  NS_LINKS=()
}

@test "two helpers in network namespaces on the default ports: one agrees, one mismatches: exit 2" {
  dcc_need_root
  dcc_need_tool ip
  local_toolchain
  netns_helper 1 13.2.1 x86_64-pc-linux-gnu 2.41 yes
  local good=$NS_ADDR
  netns_helper 2 12.3.1 x86_64-pc-linux-gnu 2.40 yes
  local bad=$NS_ADDR
  PATH="$LOCAL_TC:/usr/bin:/bin" run "$PREFLIGHT" --config empty.conf --timeout 5 --hosts "$good/4 $bad/4,lzo"
  [ "$status" -eq 2 ] || { echo "$output"; false; }
  diff - <(printf '%s\n' "$output" | dcc_drop_partial_sandbox_lines) <<EOF
$({ echo "HOST COMPILER VERSION TRIPLE AS LD PIE/SSP FOUND RESULT"
  echo "(local) gcc 13.2.1 x86_64-pc-linux-gnu 2.41 2.41 yes/yes yes reference"
  echo "(local) g++ 13.2.1 x86_64-pc-linux-gnu 2.41 2.41 yes/yes yes reference"
  echo "$good gcc 13.2.1 x86_64-pc-linux-gnu 2.41 2.41 yes/yes yes ok"
  echo "$good g++ 13.2.1 x86_64-pc-linux-gnu 2.41 2.41 yes/yes yes ok"
  echo "$bad gcc 12.3.1! x86_64-pc-linux-gnu 2.40! 2.40! yes/yes yes error"
  echo "$bad g++ 12.3.1! x86_64-pc-linux-gnu 2.40! 2.40! yes/yes yes error"; } | column -t)

$bad gcc: error: as 2.40, local 2.41: differs
$bad gcc: error: ld 2.40, local 2.41: differs
$bad gcc: error: version 12.3.1, local 13.2.1: major version differs
$bad g++: error: as 2.40, local 2.41: differs
$bad g++: error: ld 2.40, local 2.41: differs
$bad g++: error: version 12.3.1, local 13.2.1: major version differs
2 hosts checked: 1 with errors, 0 with warnings only, 0 unreachable (exit 2)
EOF
}

@test "a helper whose jobs run without the sandbox is named; --json carries every helper's sandbox" {
  dcc_full_sandbox_here || skip "skipped: user namespaces are refused here (a chroot, or user.max_user_namespaces=0)"
  local_toolchain
  start_helper 127.0.0.2 13.2.1 x86_64-pc-linux-gnu 2.41 yes
  dcc_keep_first_distccd
  local tc
  tc=$(make_toolchain 13.2.1 x86_64-pc-linux-gnu 2.41 yes)
  FAKE_DIRS+=("$tc")
  DISTCCD_PATH="$tc" dcc_start_distccd --listen 127.0.0.3 --stats --stats-port "$STATS_PORT" --sandbox=off
  dcc_wait_port "$STATS_PORT" 10
  run preflight --hosts "127.0.0.2 127.0.0.3" --compiler gcc
  [ "$status" -eq 0 ]
  [ "${lines[-2]}" = "127.0.0.3: sandbox off: using nothing" ]
  [ "$(grep -c 'sandbox' <<<"$output")" -eq 1 ]
  run preflight --hosts "127.0.0.2 127.0.0.3" --compiler gcc --json
  printf '%s\n' "$output" | python3 -c '
import json, sys
rows = json.load(sys.stdin)["rows"]
assert [r.get("sandbox") for r in rows] == [None, "auto: using user,mount,pid,net,landlock,seccomp", "off: using nothing"], rows
'
}
