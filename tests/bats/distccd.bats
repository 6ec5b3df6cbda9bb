#!/usr/bin/env bats
# distccd as a drop-in helper for Debian's stock distcc 3.4 client: what an
# admin relies on when a Gentoo helper runs our daemon.

load common

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-180}

setup() {
  cd "$BATS_TEST_TMPDIR"
  printf '#include <stdio.h>\nint main(void) { puts("hello from distccd"); return 0; }\n' >hello.c
}

teardown() {
  dcc_stop_distccd
  [ -n "${FAKEBIN:-}" ] && rm -rf "$FAKEBIN"
  FAKEBIN=
}

compiled_lines() {
  grep -c ": compiled, exit 0" "$DAEMON_LOG" || true
}

@test "stock client, protocol 1: hello world compiles remotely, links and runs" {
  dcc_start_distccd
  run stock_distcc gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(compiled_lines)" -eq 1 ]
  grep -q "hello.c: compiled, exit 0, [0-9]* ms" "$DAEMON_LOG"
  gcc hello.o -o hello
  run ./hello
  [ "$output" = "hello from distccd" ]
  gcc -c hello.c -o local.o
  cmp hello.o local.o
}

@test "one job process serves one connection after another, like stock's pre-forked children, and each job is counted" {
  stats_port=$(dcc_free_port)
  dcc_start_distccd --jobs 1 --stats --stats-port "$stats_port"
  for i in 1 2 3; do
    run stock_distcc gcc -c hello.c -o "hello$i.o"
    [ "$status" -eq 0 ]
  done
  cmp hello1.o hello3.o
  # The three jobs' lines come from one process, which is not the daemon's
  # accept loop.
  loop=$(sed -nE 's/^.* distccd\[([0-9]+)\] notice: distccd .* listening on .*/\1/p' "$DAEMON_LOG")
  jobs=$(sed -nE 's/^.* distccd\[([0-9]+)\] notice: job from 127.0.0.1: [^ ]*gcc hello.c: compiled, exit 0, .*/\1/p' "$DAEMON_LOG")
  [ "$(wc -l <<<"$jobs")" -eq 3 ] || { cat "$DAEMON_LOG" >&2; false; }
  [ "$(sort -u <<<"$jobs" | wc -l)" -eq 1 ]
  [ -n "$loop" ] && [ "$(head -n 1 <<<"$jobs")" != "$loop" ]
  page_says_3() { curl -s --max-time 5 "http://127.0.0.1:$stats_port/" >stats.txt && grep -qx 'dcc_compile_ok 3' stats.txt; }
  wait_until 5 page_says_3
  grep -qx 'dcc_tcp_accept 3' stats.txt
}

@test "stock client, protocol 2 (,lzo): the object is the same as a local build" {
  dcc_start_distccd
  STOCK_HOSTS="127.0.0.1:$DAEMON_PORT,lzo" run stock_distcc gcc -O2 -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  grep -q "hello.c: compiled, exit 0, lzo," "$DAEMON_LOG"
  gcc -O2 -c hello.c -o local.o
  cmp hello.o local.o
}

@test "a C++ file compiles remotely and links" {
  dcc_start_distccd
  printf '#include <iostream>\n#include <vector>\nint main() { std::vector<int> v{1, 2}; std::cout << v.size() << "\\n"; }\n' >v.cpp
  STOCK_HOSTS="127.0.0.1:$DAEMON_PORT,lzo" run stock_distcc g++ -c v.cpp -o v.o
  [ "$status" -eq 0 ]
  grep -q "g++ v.cpp: compiled, exit 0" "$DAEMON_LOG"
  g++ v.o -o v
  [ "$(./v)" = "2" ]
}

@test "a syntax error returns the compiler's message and status, and no object" {
  dcc_start_distccd
  printf 'int main(void) { return missing; }\n' >bad.c
  run stock_distcc gcc -c bad.c -o bad.o
  [ "$status" -eq 1 ]
  [[ "$output" == *"bad.c:1:25: error: 'missing' undeclared"* ]] || [[ "$output" == *"bad.c:1:25: error: ‘missing’ undeclared"* ]]
  [ ! -e bad.o ]
  grep -q "bad.c: compile failed, exit 1" "$DAEMON_LOG"
}

# The stock client runs cpp locally with the same arguments, so the wrapper
# does run once on the client; it records its TMPDIR, which on the daemon
# would be the job directory.
@test "-wrapper is refused with the reason, and the daemon never runs it" {
  dcc_start_distccd
  printf '#!/bin/sh\necho "$TMPDIR" >>%s/wrapper-ran\nexec "$@"\n' "$BATS_TEST_TMPDIR" >wrap.sh
  chmod +x wrap.sh
  run stock_distcc gcc -wrapper "$BATS_TEST_TMPDIR/wrap.sh" -c hello.c -o hello.o
  [ "$status" -eq 113 ]
  [[ "$output" == *"distccd on $(hostname) refused this job: option \"-wrapper $BATS_TEST_TMPDIR/wrap.sh\" is not allowed on this helper: it runs another program on the helper"* ]]
  [ ! -e hello.o ]
  [ "$(grep -c "$DAEMON_TMP" wrapper-ran)" -eq 0 ]
  grep -qF "refused job from 127.0.0.1: option \"-wrapper $BATS_TEST_TMPDIR/wrap.sh\" is not allowed on this helper" "$DAEMON_LOG"
  [ -z "$(ls -A "$DAEMON_TMP")" ]
}

# The stock client expands @file itself, so this request is written by hand:
# protocol 1, "gcc @opts -c hello.c -o hello.o", a one-line source.
@test "an @file response file is refused with the reason, as a normal reply" {
  dcc_start_distccd
  exec 7<>"/dev/tcp/127.0.0.1/$DAEMON_PORT"
  printf 'DIST00000001ARGC00000006ARGV00000003gccARGV00000005@optsARGV00000002-cARGV00000007hello.cARGV00000002-oARGV00000007hello.oDOTI0000000cint x = 1;\n\n' >&7
  reply=$(timeout 10 cat <&7 | tr -d '\0')
  exec 7<&-
  want="DONE00000001STAT00007100SERR"
  [ "${reply:0:28}" = "$want" ]
  [[ "$reply" == *"distccd on $(hostname) refused this job: option \"@opts\" is not allowed on this helper: a response file would be read from the helper's disk"* ]]
  [[ "$reply" == *"SOUT00000000DOTO00000000" ]]
  grep -q 'refused job from 127.0.0.1: option "@opts" is not allowed on this helper' "$DAEMON_LOG"
}

@test "a compiler missing from the whitelist is refused, naming the whitelist" {
  dcc_start_distccd
  mkdir bin
  printf '#!/bin/sh\nexec gcc "$@"\n' >bin/mycc
  chmod +x bin/mycc
  PATH="$BATS_TEST_TMPDIR/bin:$PATH" run stock_distcc mycc -c hello.c -o hello.o
  [ "$status" -eq 110 ]
  [[ "$output" == *"refused this job: compiler \"mycc\" is not in the whitelist $DAEMON_WL on this helper (add a link there)"* ]]
  [ ! -e hello.o ]
}

@test "with no --allow only loopback may connect, and the log says so once" {
  dcc_start_distccd
  run stock_distcc gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ "$(grep -c "no --allow given: accepting clients from loopback only (127.0.0.0/8, ::1)" "$DAEMON_LOG")" -eq 1 ]
}

# A private network namespace lets the client use 127.0.0.2 as its source.
@test "--allow refuses a client from another address" {
  dcc_need_root
  port=$(dcc_free_port)
  FAKEBIN=$(mktemp -d /tmp/dcc-allow.XXXXXX)
  d=$FAKEBIN
  chmod 755 "$d"
  mkdir -p "$d/wl" "$d/tmp" dd && chmod 1777 "$d/tmp"
  for n in gcc "$(gcc -dumpmachine)-gcc"; do ln -s /usr/bin/distcc "$d/wl/$n"; done
  cat >scenario.sh <<SH
set -u
ip link set lo up
ip route replace local 127.0.0.2 dev lo table local src 127.0.0.2
run_with_allow() {
  TMPDIR=$d/tmp "$DCC_BIN/distccd" --no-detach --daemon --port $port --allow "\$1" \
    --log-file "$BATS_TEST_TMPDIR/d-\$2.log" --whitelist-dir "$d/wl" --lifetime 30 &
  pid=\$!
  for i in \$(seq 50); do [ -n "\$(ss -Hltn "sport = :$port")" ] && break; sleep 0.1; done
  rm -rf dd/lock
  DISTCC_DIR=$BATS_TEST_TMPDIR/dd DISTCC_HOSTS=127.0.0.2:$port DISTCC_FALLBACK=0 \
    /usr/bin/distcc gcc -c hello.c -o "hello-\$2.o" 2>"client-\$2.err"
  echo "\$2 exit \$?"
  kill \$pid; wait \$pid
}
run_with_allow 127.0.0.1/32 denied
run_with_allow 127.0.0.2/32 allowed
SH
  run unshare -n bash scenario.sh
  # Stock distcc backs the refusing host off and has none left: 116.
  [ "${lines[0]}" = "denied exit 116" ]
  [ "${lines[1]}" = "allowed exit 0" ]
  grep -q "refused job connection from 127.0.0.2: not in the --allow list (127.0.0.1/32)" d-denied.log
  grep -q "job from 127.0.0.2: .*hello.c: compiled, exit 0" d-allowed.log
  [ ! -e hello-denied.o ]
  [ -e hello-allowed.o ]
}

@test "the stats port serves the distcc 3.x page, JSON, Prometheus and /toolchain" {
  sport=$(dcc_free_port)
  dcc_start_distccd --stats --stats-port "$sport"
  stock_distcc gcc -c hello.c -o hello.o
  # The job is counted once its process has reported, just after the reply.
  counted() { dcc_http_get "$sport" / | grep -qx 'dcc_compile_ok 1'; }
  wait_until 5 counted
  run dcc_http_get "$sport" /
  [ "${lines[0]}" = "HTTP/1.0 200 OK" ]
  [ "${lines[1]}" = "Content-Type: text/plain" ]
  [ "${lines[2]}" = "Connection: close" ]
  [ "${lines[3]}" = "argv /distccd" ]
  [ "${lines[4]}" = "<distccstats>" ]
  [ "${lines[5]}" = "dcc_tcp_accept 1" ]
  [[ "$output" == *$'\ndcc_compile_ok 1\n'* ]]
  [ "${lines[-1]}" = "</distccstats>" ]
  curl -s "http://127.0.0.1:$sport/stats.json" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["counters"]["compile_ok"]==1, d'
  run curl -s "http://127.0.0.1:$sport/metrics"
  [[ "$output" == *'distccd_jobs_total{outcome="ok"} 1'* ]]
  curl -s "http://127.0.0.1:$sport/toolchain" >tc.json
  python3 -c 'import json,sys; d=json.load(open("tc.json")); g=d["compilers"]["gcc"]; print(g["version"], g["machine"])' >got
  echo "$(gcc -dumpfullversion) $(gcc -dumpmachine)" >want
  diff want got
}

@test "the stats port honours --allow" {
  sport=$(dcc_free_port)
  dcc_start_distccd --stats --stats-port "$sport" --allow 10.0.0.0/8
  run curl -s --max-time 5 "http://127.0.0.1:$sport/"
  [ "$output" = "" ]
  grep -q "refused stats connection from 127.0.0.1: not in the --allow list (10.0.0.0/8)" "$DAEMON_LOG"
}

make_slowcc() {
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 1777 "$FAKEBIN" # the job user writes slow.pid here
  # Preprocesses like gcc (the client runs that part), compiles forever. It
  # reads its whole source first (early start hands it over through a FIFO),
  # so slow.pid means the request is complete and the compile has begun.
  printf '#!/bin/sh\ncase " $* " in *" -E "*) exec gcc "$@" ;; esac\nfor a; do case "$a" in *.i) cat "$a" >/dev/null ;; esac; done\necho $$ >%s/slow.pid\nexec sleep 60\n' "$FAKEBIN" >"$FAKEBIN/slowcc"
  chmod 755 "$FAKEBIN/slowcc"
}

# Our client sends the arguments before its cpp ends, so the helper can start.
our_distcc() {
  mkdir -p "$BATS_TEST_TMPDIR/our-dir"
  DISTCC_DIR="$BATS_TEST_TMPDIR/our-dir" DISTCC_HOSTS="${OUR_HOSTS:-127.0.0.1:$DAEMON_PORT}" \
    DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 "$DCC_BIN/distcc" "$@"
}

# Runs one earlycc job through our client against a daemon started with the
# given options; the object must equal a local build.
earlycc_job() {
  make_earlycc
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" dcc_start_distccd --sandbox=off "$@"
  ln -s /usr/bin/distcc "$DAEMON_WL/earlycc"
  PATH="$FAKEBIN:$PATH" run our_distcc earlycc -O2 -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  gcc -O2 -c hello.c -o local.o
  cmp hello.o local.o
}

@test "early start: the compiler starts while the client still preprocesses, and reads its source from a FIFO" {
  earlycc_job
  [ "$(cat "$FAKEBIN/helper.when-cpp-ended")" = started ]
  [ "$(cat "$FAKEBIN/helper.input")" = fifo ]
  [[ "$(cat "$FAKEBIN/helper.args")" == "-O2 -c $DAEMON_TMP/distccd_"*"/hello.i -o $DAEMON_TMP/distccd_"*"/hello.o -pipe" ]]
}

@test "--no-early-start: the compiler starts once the source is in the job directory" {
  earlycc_job --no-early-start
  [ "$(cat "$FAKEBIN/helper.when-cpp-ended")" = waiting ]
  [ "$(cat "$FAKEBIN/helper.input")" = file ]
  [[ "$(cat "$FAKEBIN/helper.args")" == "-O2 -c $DAEMON_TMP/distccd_"*"/hello.i -o $DAEMON_TMP/distccd_"*"/hello.o" ]]
}

@test "early start keeps the driver's language and the file name: g++ compiles a .c as C++, -g names the source" {
  dcc_start_distccd
  printf 'int char_size(void) { return sizeof(%s); }\n' "'a'" >size.c
  run our_distcc g++ -O2 -c size.c -o size.o
  [ "$status" -eq 0 ]
  STOCK_HOSTS="127.0.0.1:$DAEMON_PORT,lzo" run stock_distcc g++ -O2 -c size.c -o size-stock.o
  [ "$status" -eq 0 ]
  g++ -O2 -c size.c -o local.o
  cmp size.o local.o
  cmp size-stock.o local.o
  nm size.o | grep -q " T _Z9char_sizev"
  run our_distcc gcc -g -c hello.c -o hello-g.o
  [ "$status" -eq 0 ]
  [ "$(readelf --debug-dump=info hello-g.o | sed -n 's/.*DW_AT_name *: (indirect line string, offset: [0-9a-fx]*): //p' | head -n 1)" = hello.c ]
}

# About 2.5 MB of preprocessed source: far more than a pipe holds.
make_big_source() {
  awk 'BEGIN { for (i = 0; i < 40000; i++) printf "int big_%d(int x) { return x * %d + %d; }\n", i, i, i % 7 }' >big.c
}

@test "a source larger than a pipe compiles through the pipe, plain and ,lzo, same object as a local build" {
  make_big_source
  dcc_start_distccd
  run our_distcc gcc -c big.c -o big.o
  [ "$status" -eq 0 ]
  OUR_HOSTS="127.0.0.1:$DAEMON_PORT,lzo" run our_distcc gcc -c big.c -o big-lzo.o
  [ "$status" -eq 0 ]
  [ "$(compiled_lines)" -eq 2 ]
  gcc -c big.c -o local.o
  cmp big.o local.o
  cmp big-lzo.o local.o
}

@test "a compiler that exits without reading a large source: its message and status, no hang" {
  make_big_source
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 755 "$FAKEBIN"
  printf '#!/bin/sh\ncase " $* " in *" -E "*) exec gcc "$@" ;; esac\necho "quitcc: not today" >&2\nexit 3\n' >"$FAKEBIN/quitcc"
  chmod 755 "$FAKEBIN/quitcc"
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/quitcc"
  PATH="$FAKEBIN:$PATH" run our_distcc quitcc -c big.c -o big.o
  [ "$status" -eq 3 ]
  [ "$output" = "quitcc: not today" ]
  STOCK_HOSTS="127.0.0.1:$DAEMON_PORT,lzo" PATH="$FAKEBIN:$PATH" run stock_distcc quitcc -c big.c -o big.o
  [ "$status" -eq 3 ]
  [[ "$output" == *"quitcc: not today"* ]]
  [ "$(grep -c "quitcc big.c: compile failed, exit 3" "$DAEMON_LOG")" -eq 2 ]
  [ ! -e big.o ]
  [ -z "$(ls -A "$DAEMON_TMP")" ]
}

@test "--job-lifetime kills a compile that runs too long and says why" {
  make_slowcc
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" dcc_start_distccd --sandbox=off --job-lifetime 1
  ln -s /usr/bin/distcc "$DAEMON_WL/slowcc"
  PATH="$FAKEBIN:$PATH" run stock_distcc slowcc -c hello.c -o hello.o
  [ "$status" -eq 118 ]
  [[ "$output" == *"the compile exceeded the job lifetime of 1 s and was killed"* ]]
  dcc_wait_gone "$(cat "$FAKEBIN/slow.pid")"
  [ -z "$(ls -A "$DAEMON_TMP")" ]
}

@test "a client that disconnects mid-compile gets its compiler killed" {
  make_slowcc
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/slowcc"
  mkdir -p dd
  DISTCC_DIR="$BATS_TEST_TMPDIR/dd" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 PATH="$FAKEBIN:$PATH" \
    /usr/bin/distcc slowcc -c hello.c -o hello.o 2>/dev/null &
  client=$!
  for _ in $(seq 100); do [ -s "$FAKEBIN/slow.pid" ] && break; sleep 0.05; done
  kill -9 "$client"
  slow=$(cat "$FAKEBIN/slow.pid")
  dcc_wait_gone "$slow"
  grep -q "client 127.0.0.1 disconnected during the compile; compiler killed" "$DAEMON_LOG"
  [ -z "$(ls -A "$DAEMON_TMP")" ]
}

@test "ssh mode: --inetd serves one job on stdin and stdout" {
  mkdir -p wl dd && ln -s /usr/bin/distcc wl/gcc
  # Stands in for ssh: drops the host, runs our daemon where distccd is named.
  cat >fake-ssh <<SH
#!/bin/sh
while [ "\$1" != distccd ]; do shift; done
shift
exec "$DCC_BIN/distccd" "\$@" --log-file "$BATS_TEST_TMPDIR/inetd.log" --whitelist-dir "$BATS_TEST_TMPDIR/wl"
SH
  chmod +x fake-ssh
  DISTCC_DIR="$BATS_TEST_TMPDIR/dd" DISTCC_SSH="$BATS_TEST_TMPDIR/fake-ssh" DISTCC_HOSTS="@helper" \
    DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 run /usr/bin/distcc gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  grep -q "job from ssh/stdin: x86_64-linux-gnu-gcc hello.c: compiled, exit 0" inetd.log || grep -q "job from ssh/stdin: gcc hello.c: compiled, exit 0" inetd.log
  gcc -c hello.c -o local.o
  cmp hello.o local.o
}

@test "--help lists the options and exits 0; --version names the protocols" {
  run "$DCC_BIN/distccd" --help
  [ "$status" -eq 0 ]
  for opt in --allow --allow-private --listen --port --jobs --nice --user --daemon --no-detach --inetd \
    --pid-file --log-file --log-level --log-stderr --job-lifetime --stats --stats-port --zeroconf \
    --enable-tcp-insecure --whitelist-dir --max-body-size --sandbox --job-memory --job-cpu --job-file-size \
    --job-processes; do
    [[ "$output" == *"$opt"* ]] || { echo "missing $opt"; false; }
  done
  run "$DCC_BIN/distccd" --version
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "distccd $(cat "$DCC_TOP/VERSION") $(gcc -dumpmachine)" ]
  [ "${lines[1]}" = "  (protocols 1, 2 and 3) (default port 3632)" ]
}

@test "a bad option or value exits 101 with one line naming it" {
  run "$DCC_BIN/distccd" --no-such-option
  [ "$status" -eq 101 ]
  [ "$output" = "distccd[${output#distccd[}" ]
  [[ "$output" == *"critical: --no-such-option: unknown option (see distccd --help)" ]]
  run "$DCC_BIN/distccd" --port 70000
  [ "$status" -eq 101 ]
  [[ "$output" == *'critical: --port "70000" is not a number from 1 to 65535' ]]
  run "$DCC_BIN/distccd" --allow 10.0.0.0/33
  [ "$status" -eq 101 ]
  [[ "$output" == *'--allow: bad --allow address "10.0.0.0/33": prefix length "33" is not a number 0-32' ]]
  run "$DCC_BIN/distccd" --log-level loud
  [ "$status" -eq 101 ]
  [[ "$output" == *'--log-level "loud" is not one of critical, error, warning, notice, info, debug' ]]
  # The environment the daemon reads is checked by the same table as the
  # client's; a bad value meant only for the client stops nothing here.
  DISTCC_IO_TIMEOUT=5s run "$DCC_BIN/distccd" --no-detach --daemon --port 1 --log-stderr
  [ "$status" -eq 101 ]
  [[ "$output" == *'critical: DISTCC_IO_TIMEOUT must be a positive number of seconds, not "5s"' ]]
  DISTCC_MAX_DISCREPANCY=x DISTCC_IO_TIMEOUT=86401 run "$DCC_BIN/distccd" --no-detach --daemon --port 1 --log-stderr
  [ "$status" -eq 101 ]
  [[ "$output" == *'critical: DISTCC_IO_TIMEOUT must be at most 86400 seconds, not "86401"' ]]
}

@test "a port in use exits 102" {
  dcc_start_distccd
  run "$DCC_BIN/distccd" --no-detach --daemon --port "$DAEMON_PORT" --log-stderr --whitelist-dir "$DAEMON_WL"
  [ "$status" -eq 102 ]
  [[ "$output" == *"cannot bind * port $DAEMON_PORT for jobs: Address already in use (is another distccd running?)" ]]
}

@test "a missing or empty whitelist exits 110 and says what to do" {
  run "$DCC_BIN/distccd" --no-detach --daemon --port "$(dcc_free_port)" --log-stderr --whitelist-dir "$BATS_TEST_TMPDIR/none"
  [ "$status" -eq 110 ]
  [[ "$output" == *"compiler whitelist $BATS_TEST_TMPDIR/none cannot be read: No such file or directory; link the allowed compilers there (distcc-config --update-masquerade) before starting distccd" ]]
  mkdir empty && ln -s . empty/bin
  run "$DCC_BIN/distccd" --no-detach --daemon --port "$(dcc_free_port)" --log-stderr --whitelist-dir "$BATS_TEST_TMPDIR/empty"
  [ "$status" -eq 110 ]
  [[ "$output" == *"compiler whitelist $BATS_TEST_TMPDIR/empty is empty;"* ]]
}

@test "an unwritable --log-file is named and the daemon does not start" {
  mkdir wl && ln -s /usr/bin/distcc wl/gcc
  run "$DCC_BIN/distccd" --no-detach --daemon --port "$(dcc_free_port)" --log-file /nonexistent/distccd.log --whitelist-dir wl
  [ "$status" -eq 107 ]
  [ "$output" = "distccd: failed to open /nonexistent/distccd.log: No such file or directory; create it writable by the daemon's user, or use syslog" ]
}

@test "--daemon detaches only after binding and writes the pid file" {
  mkdir -p wl && ln -s /usr/bin/distcc wl/gcc
  port=$(dcc_free_port)
  run "$DCC_BIN/distccd" --daemon --port "$port" --pid-file "$BATS_TEST_TMPDIR/d.pid" --log-file "$BATS_TEST_TMPDIR/d.log" --whitelist-dir "$BATS_TEST_TMPDIR/wl" --lifetime 20
  [ "$status" -eq 0 ]
  # The port is already bound when the parent returns.
  (exec 7<>"/dev/tcp/127.0.0.1/$port")
  pid=$(cat d.pid)
  kill -0 "$pid"
  kill "$pid"
  dcc_wait_gone "$pid"
}

@test "as root the daemon drops to an unprivileged user before any job" {
  dcc_need_root
  dcc_start_distccd --user nobody
  printf '#include <stdio.h>\n' >uid.c
  run stock_distcc gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  for _ in $(seq 20); do pgrep -P "$DAEMON_PID" >/dev/null || break; sleep 0.05; done
  [ "$(ps -o user= -p "$DAEMON_PID")" = "nobody" ]
  grep -q "running jobs as user nobody (uid 65534)" "$DAEMON_LOG"
}

# Stock's verbose client names what it deflates and inflates; our log names
# the protocol and the bytes that came in. The default backoff (not
# stock_distcc's 0) makes a helper whose LZO stock cannot read fail at once
# instead of being retried for ever.
@test "stock client with ,lzo: our daemon inflates stock's LZO source and stock inflates our LZO object" {
  dcc_start_distccd
  mkdir dd
  DISTCC_DIR="$BATS_TEST_TMPDIR/dd" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/1,lzo" DISTCC_FALLBACK=0 \
    DISTCC_VERBOSE=1 /usr/bin/distcc gcc -c hello.c -o hello.o 2>client.log
  stderr=$(cat client.log)
  gcc -c hello.c -o local.o
  cmp hello.o local.o
  plain=$(gcc -E hello.c | wc -c)
  # Stock sent a version 2 request with the preprocessed source deflated...
  [ "$(grep -c "(dcc_x_token_int) send DIST00000002$" <<<"$stderr")" -eq 1 ]
  [[ "$stderr" =~ \(dcc_compress_lzo1x_alloc\)\ compressed\ $plain\ bytes\ to\ ([0-9]+)\ bytes ]]
  sent=${BASH_REMATCH[1]}
  [ "$sent" -lt "$plain" ]
  # ...which our daemon read as protocol 2, smaller than the source...
  [[ "$(cat "$DAEMON_LOG")" =~ hello.c:\ compiled,\ exit\ 0,\ lzo,\ [0-9]+\ ms,\ ([0-9]+)\ bytes\ in ]]
  [ "${BASH_REMATCH[1]}" -gt "$sent" ]
  [ "${BASH_REMATCH[1]}" -lt "$plain" ]
  # ...and answered version 2 with an object stock inflated to its full size.
  [ "$(grep -c "(dcc_r_token_int) got DONE00000002$" <<<"$stderr")" -eq 1 ]
  grep -Eq "\(dcc_r_bulk_lzo1x\) decompressed [0-9]+ bytes to $(stat -c %s local.o) bytes" <<<"$stderr"
}

# inetd hands distccd a TCP socket as stdin and stdout: the --allow check is
# on that socket's peer. A private network namespace gives the clients three
# source addresses: 127.0.0.1, 127.0.0.2 (a local route with that source)
# and 192.0.2.77, a documentation address outside loopback.
@test "--inetd on a TCP socket: --allow and the loopback-only default are checked on the peer" {
  dcc_need_root
  FAKEBIN=$(mktemp -d /tmp/dcc-inetd.XXXXXX)
  d=$FAKEBIN
  chmod 755 "$d"
  mkdir -p "$d/wl" "$d/tmp" dd && chmod 1777 "$d/tmp"
  for n in gcc "$(gcc -dumpmachine)-gcc"; do ln -s /usr/bin/distcc "$d/wl/$n"; done
  port=$(dcc_free_port)
  cat >scenario.sh <<SH
set -u
ip link set lo up
ip route replace local 127.0.0.2 dev lo table local src 127.0.0.2
ip addr add 192.0.2.77/32 dev lo
# serve NAME CLIENT-DESTINATION [DISTCCD-ARG...]: one connection, one job.
serve() {
  local name=\$1 dest=\$2
  shift 2
  TMPDIR=$d/tmp python3 "$DCC_TOP/tests/bats/inetd_once.py" 0.0.0.0 $port "$DCC_BIN/distccd" --inetd \
    --log-file "$BATS_TEST_TMPDIR/d-\$name.log" --whitelist-dir "$d/wl" "\$@" 2>"d-\$name.err" &
  local pid=\$!
  for i in \$(seq 100); do [ -n "\$(ss -Hltn "sport = :$port")" ] && break; sleep 0.05; done
  rm -rf dd/lock
  local client=0 daemon=0
  # One connection is served: the job's, without a CAPS question first.
  DISTCC_DIR=$BATS_TEST_TMPDIR/dd DISTCC_HOSTS=\$dest:$port DISTCC_FALLBACK=0 DISTCC_TOOLCHAIN_MATCH=off \
    "$DCC_BIN/distcc" gcc -c hello.c -o "hello-\$name.o" 2>"client-\$name.err" || client=\$?
  wait \$pid || daemon=\$?
  echo "\$name: client \$client, distccd \$daemon"
}
serve allowed 127.0.0.2 --allow 127.0.0.2/32
serve refused 127.0.0.1 --allow 127.0.0.2/32
serve loopback 127.0.0.1
serve outside 192.0.2.77
SH
  run unshare -n bash scenario.sh
  [ "${lines[0]}" = "allowed: client 0, distccd 0" ]
  [ "${lines[1]}" = "refused: client 108, distccd 113" ]
  [ "${lines[2]}" = "loopback: client 0, distccd 0" ]
  [ "${lines[3]}" = "outside: client 108, distccd 113" ]
  [ "${#lines[@]}" -eq 4 ]
  grep -q "job from 127.0.0.2: .*gcc hello.c: compiled, exit 0" d-allowed.log
  grep -q "job from 127.0.0.1: .*gcc hello.c: compiled, exit 0" d-loopback.log
  grep -q "no --allow given: accepting clients from loopback only (127.0.0.0/8, ::1)" d-loopback.log
  grep -q "refused job connection from 127.0.0.1: not in the --allow list (127.0.0.2/32)" d-refused.log
  grep -q "refused job connection from 192.0.2.77: not in the --allow list (127.0.0.0/8 ::1/128)" d-outside.log
  # A refused peer gets no job: nothing compiled, no object, no job files.
  [ "$(cat d-refused.log d-outside.log | grep -c "job from")" -eq 0 ]
  [ ! -e hello-refused.o ] && [ ! -e hello-outside.o ]
  [ -z "$(ls -A "$d/tmp")" ]
  gcc -c hello.c -o local.o
  cmp hello-allowed.o local.o
  cmp hello-loopback.o local.o
  grep -q "failed to distribute hello.c to 127.0.0.1:$port/4 (no answer: .*--allow list" client-refused.err
  grep -q "failed to distribute hello.c to 192.0.2.77:$port/4 (no answer: .*--allow list" client-outside.err
}
