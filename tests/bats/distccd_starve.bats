#!/usr/bin/env bats
# Connections that cannot starve the helper. Clients that connect and say
# nothing, send their arguments and wait, or trickle a request a byte at a
# time, in protocols 1, 2 and 3, hold no job slot: an honest job from
# Debian's stock client compiles while they wait, and each of them is
# dropped with one log line naming the client and the limit it broke. One
# address cannot take every connection the daemon serves, nor more than 4
# of the 16 the --stats port serves, and an LZO body cannot inflate beyond a job's
# memory budget.

load common

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-240}
# The attackers come from another loopback address, so --max-per-address
# (counted per address) never holds the honest client back because of them.
ATTACKER=127.0.0.2

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >hello.c
  printf 'int main(void) { return 0; }\n' >hello.i
  # Under ASan an allocation above 256 MiB is an error report: the LZO
  # bombs below must be refused before any such allocation.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_allocation_size_mb=256"
  DAEMON_STDERR="$BATS_TEST_TMPDIR/distccd.stderr"
  : >"$DAEMON_STDERR"
  ATTACKERS=()
}

teardown() {
  local pid
  for pid in "${ATTACKERS[@]}"; do dcc_stop_pid "$pid"; done
  dcc_stop_distccd
  if [ -n "${FAKEBIN:-}" ]; then rm -rf "$FAKEBIN"; fi
  FAKEBIN=
}

# Starts a raw client in the background (wire_client.py pieces); its
# transcript goes to $1.out, and $1.ready appears once it is connected.
attack() {
  local name=$1
  shift
  "$WIRE" --port "$DAEMON_PORT" --timeout 60 --ready "$name.ready" "$@" >"$name.out" 2>&1 &
  ATTACKERS+=($!)
}

all_ready() {
  local name
  for name in "$@"; do [ -e "$name.ready" ] || return 1; done
}

# Waits for every attacker to end (the daemon hung up on it).
wait_attackers() {
  local pid
  for pid in "${ATTACKERS[@]}"; do wait "$pid" || true; done
  ATTACKERS=()
}

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# An honest job from Debian's distcc; sets HONEST_MS to how long it took.
honest_job() {
  local begun
  begun=$(now_ms)
  rm -f hello.o
  run stock_distcc gcc -c hello.c -o hello.o
  HONEST_MS=$(($(now_ms) - begun))
  if [ "$status" -ne 0 ] || [ ! -s hello.o ]; then
    printf 'the honest job failed (exit %s):\n%s\n' "$status" "$output" >&2
    return 1
  fi
}

# The transcript in $1.out ends with the daemon hanging up, no answer sent.
assert_hung_up() {
  run cat "$1.out"
  assert_hung_up_silently
}

@test "idle clients in protocols 1, 2 and 3 hold no job slot: an honest job compiles at once, and each is dropped once" {
  # Two slots and four idle clients, as in the review that found this:
  # before, they held every slot for the 300 s I/O timeout.
  DISTCC_IO_TIMEOUT=5 start_daemon -j 2 --request-timeout 4
  attack silent --source "$ATTACKER"
  attack args1 --source "$ATTACKER" DIST00000001 "${HELLO_ARGV[@]}"
  attack args2 --source "$ATTACKER" DIST00000002 "${HELLO_ARGV[@]}"
  attack args3 --source "$ATTACKER" DIST00000003 CDIR:/src "${HELLO_ARGV[@]}"
  wait_until 5 all_ready silent args1 args2 args3

  honest_job
  # Well before the first of them is dropped (4 s).
  [ "$HONEST_MS" -lt 3000 ]

  wait_attackers
  for name in silent args1 args2 args3; do assert_hung_up "$name"; done
  assert_warnings_in_any_order \
    "warning: dropped connection from $ATTACKER: no request within 5 s" \
    "warning: dropped connection from $ATTACKER: while waiting for DOTI: the request was not complete by its deadline (--request-timeout 4 s)" \
    "warning: dropped connection from $ATTACKER: while waiting for DOTI: the request was not complete by its deadline (--request-timeout 4 s)" \
    "warning: dropped connection from $ATTACKER: while waiting for NFIL: the request was not complete by its deadline (--request-timeout 4 s)"
  wait_until 5 no_compilers
  wait_until 5 no_job_dirs
  assert_sanitizer_clean
}

@test "the drops are counted on the stats page" {
  sport=$(dcc_free_port)
  DISTCC_IO_TIMEOUT=2 start_daemon --stats --stats-port "$sport"
  attack silent --source "$ATTACKER"
  wait_attackers
  page() { curl -s --max-time 5 "http://127.0.0.1:$sport/$1"; }
  counted() { page metrics | grep -qx 'distccd_jobs_total{outcome="dropped_slow"} 1'; }
  wait_until 5 counted
  page stats.json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["counters"]["dropped_slow"]==1, d'
  # Stock's page has no such line: a dropped request is a bad one there.
  page | grep -qx 'dcc_rej_bad_req 1'
}

@test "requests trickled a byte at a time in protocols 1, 2 and 3 hold no slot and are cut at --request-timeout" {
  start_daemon -j 1 --request-timeout 3 --max-per-address 3
  # 20 bytes a second: each packet arrives, slowly; the whole request
  # would take about 5 s.
  attack slow1 --source "$ATTACKER" trickle:0.05 DIST00000001 "${HELLO_ARGV[@]}" DOTI@hello.i
  attack slow2 --source "$ATTACKER" trickle:0.05 DIST00000002 "${HELLO_ARGV[@]}" DOTI@lzo:hello.i
  attack slow3 --source "$ATTACKER" trickle:0.05 DIST00000003 CDIR:/src "${HELLO_ARGV[@]}" NFIL00000000
  wait_until 5 all_ready slow1 slow2 slow3

  honest_job
  [ "$HONEST_MS" -lt 2500 ]

  wait_attackers
  for name in slow1 slow2 slow3; do assert_hung_up "$name"; done
  run daemon_warnings
  [ "${#lines[@]}" -eq 3 ] || { printf '%s\n' "${lines[@]}" >&2; false; }
  for line in "${lines[@]}"; do
    [[ "$line" =~ ^"warning: dropped connection from $ATTACKER: "(while waiting for [A-Za-z ]+: )?"the request was not complete by its deadline (--request-timeout 3 s)"$ ]]
  done
  wait_until 5 no_compilers
  wait_until 5 no_job_dirs
  assert_sanitizer_clean
}

@test "a source trickled once it has a slot, in protocols 1, 2 and 3, is cut by --min-rate and frees the slot" {
  start_daemon -j 3
  # The request up to its source arrives at once; from the DOTI header (or
  # NFIL) on, five bytes a second.
  attack slow1 DIST00000001 "${HELLO_ARGV[@]}" trickle:0.2 DOTI@hello.i
  attack slow2 DIST00000002 "${HELLO_ARGV[@]}" trickle:0.2 DOTI@lzo:hello.i
  attack slow3 DIST00000003 CDIR:/src "${HELLO_ARGV[@]}" trickle:0.2 NFIL00000001 NAME:/src/hello.i FILE@lzo:hello.i
  wait_attackers

  for name in slow1 slow2 slow3; do assert_hung_up "$name"; done
  run daemon_warnings
  [ "${#lines[@]}" -eq 3 ] || { printf '%s\n' "${lines[@]}" >&2; false; }
  for line in "${lines[@]}"; do
    [[ "$line" =~ ^"warning: dropped connection from 127.0.0.1: "(while waiting for [A-Za-z ]+: )?[0-9]+" bytes in 5."[0-9]" s, below the minimum rate of 4096 bytes/s (--min-rate)"$ ]]
  done
  # Each was cut after its 5 s of grace (the log says so, measured by the
  # daemon), not left to finish its source; no wall-clock bound here, which
  # a loaded machine would break.
  honest_job
  wait_until 5 no_compilers
  wait_until 5 no_job_dirs
  assert_sanitizer_clean
}

@test "a client whose preprocessor pauses longer than --min-rate's grace still compiles, and holds no slot meanwhile" {
  # The pause between ARGV and DOTI is the client's cpp at work: not a trickle.
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 755 "$FAKEBIN"
  printf '#!/bin/sh\ncase " $* " in *" -E "*) sleep 7 ;; esac\nexec gcc "$@"\n' >"$FAKEBIN/slowcpp"
  chmod 755 "$FAKEBIN/slowcpp"
  # A shell script as the compiler: only with the job sandbox off.
  DISTCCD_PATH="$FAKEBIN:/usr/bin:/bin" start_daemon -j 1 --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/slowcpp"
  mkdir -p our-dir
  begun=$(now_ms)
  PATH="$FAKEBIN:$PATH" DISTCC_DIR="$BATS_TEST_TMPDIR/our-dir" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" \
    DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 "$DCC_BIN/distcc" slowcpp -c hello.c -o slow.o 2>slow.err &
  slow=$!
  # Its arguments are in and its compiler waits: the one slot is still free.
  wait_until 5 compilers_running
  honest_job
  [ "$HONEST_MS" -lt 3000 ]
  wait "$slow" || { cat slow.err >&2; false; }
  [ "$(($(now_ms) - begun))" -ge 7000 ]
  [ -s slow.o ]
  grep -q 'slowcpp hello.c: compiled, exit 0' "$DAEMON_LOG"
  assert_warnings_in_any_order # none
}

@test "one address cannot take every connection the daemon serves: the rest of its connections wait (--max-per-address)" {
  # -j 1 serves 12 connections at once; the attacker opens 12 that say
  # nothing. Two are served (twice -j), ten wait without a process.
  DISTCC_IO_TIMEOUT=6 start_daemon -j 1
  for i in $(seq 12); do attack "idle$i" --source "$ATTACKER"; done
  wait_until 5 all_ready $(for i in $(seq 12); do echo "idle$i"; done)
  # (Functions, so wait_until counts the lines again on each try.)
  waiting() { [ "$(grep -c "info: connection from $ATTACKER waits: 2 of its connections are served already (--max-per-address)" "$DAEMON_LOG")" -eq "$1" ]; }
  dropped() { [ "$(grep -c "dropped connection from $ATTACKER: no request within 6 s" "$DAEMON_LOG")" -ge "$1" ]; }
  sleep 0.5 # the daemon has accepted them all

  honest_job
  [ "$HONEST_MS" -lt 3000 ]
  waiting 10
  # The waiting ones are served in turn as the first are dropped.
  wait_until 25 dropped 4
  assert_sanitizer_clean
}

# Stats connections the daemon holds open, from $1.
stats_conns_from() {
  ss -Htn state established "( sport = :$sport )" | awk -v from="$1" '$4 ~ "(^|:)" from "]?:[0-9]+$"' | wc -l
}

@test "clients trickling from one address hold at most 4 stats connections: another address gets the page, and each is dropped by its deadline" {
  sport=$(dcc_free_port)
  start_daemon --stats --stats-port "$sport"
  # More connections than the stats port serves at once (16), all from
  # 127.0.0.1, each trickling: the first byte of its request, then no more.
  # Opened by this shell, all within milliseconds.
  fds=()
  for i in $(seq 20); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$sport"
    printf G >&"$fd"
    fds+=("$fd")
  done
  # Another address, connected after all of them, is served while four of
  # them are still held: they have 2 s to send their request.
  curl -s --interface "$ATTACKER" --max-time 10 "http://127.0.0.1:$sport/" >page.txt
  held=$(stats_conns_from 127.0.0.1)
  grep -qx '<distccstats>' page.txt
  [ "$held" -eq 4 ] || { ss -Htn state established "( sport = :$sport )" >&2; echo "held $held" >&2; false; }
  [ "$(grep -c 'info: refused stats connection from 127.0.0.1: 4 of its stats connections are served already' "$DAEMON_LOG")" -eq 16 ]
  # The daemon ends every one of them: the 16 refused at once, the 4 held
  # at their deadline, answered (as stock answers a client that sends
  # nothing) with the page.
  answered=0
  for i in "${!fds[@]}"; do
    rc=0
    timeout 10 cat <&"${fds[$i]}" >"conn$i.out" 2>/dev/null || rc=$?
    exec {fds[$i]}<&-
    [ "$rc" -ne 124 ] # the daemon closed it, not our timeout
    if grep -qx '<distccstats>' "conn$i.out"; then answered=$((answered + 1)); else [ ! -s "conn$i.out" ]; fi
  done
  [ "$answered" -eq 4 ]
  [ "$(stats_conns_from 127.0.0.1)" -eq 0 ]
  # And the address that was refused is served again.
  curl -s --max-time 10 "http://127.0.0.1:$sport/" | grep -qx '<distccstats>'
  assert_warnings_in_any_order # none
  assert_sanitizer_clean
}

@test "an LZO body that would inflate beyond --max-body-memory is refused without allocating it, in protocols 2 and 3" {
  start_daemon --max-body-memory 4M
  # 16 MiB of zeros, a few KiB on the wire.
  "$WIRE" --lzo-zeros 16777216:bomb.lzo
  bomb=$(stat -c %s bomb.lzo)
  run "$WIRE" --port "$DAEMON_PORT" DIST00000002 "${HELLO_ARGV[@]}" DOTI@bomb.lzo
  [ "${lines[-1]}" = "closed" ]
  run "$WIRE" --port "$DAEMON_PORT" DIST00000003 CDIR:/src "${HELLO_ARGV[@]}" NFIL00000001 NAME:/src/hello.i \
    FILE@bomb.lzo
  [ "${lines[-1]}" = "closed" ]
  # The body and what it inflates to share the 4 MiB.
  limit=$((4194304 - bomb))
  assert_warnings_in_any_order \
    "warning: bad request from 127.0.0.1: lzo body of $bomb bytes decompresses to more than the limit of $limit bytes" \
    "warning: bad request from 127.0.0.1: lzo body of $bomb bytes decompresses to more than the limit of $limit bytes"
  wait_until 5 no_job_dirs
  STOCK_HOSTS="127.0.0.1:$DAEMON_PORT,lzo" honest_job
  assert_sanitizer_clean
}

@test "--help names the limits and their defaults; a bad value exits 101" {
  run "$DCC_BIN/distccd" --help
  [ "$status" -eq 0 ]
  for opt in --request-timeout --min-rate --max-per-address --max-body-memory; do
    [[ "$output" == *"$opt"* ]] || { echo "missing $opt"; false; }
  done
  [[ "$output" == *"at once, 4 from one address)"* ]] # --stats, as popt wraps it
  run "$DCC_BIN/distccd" --min-rate -1
  [ "$status" -eq 101 ]
  [[ "$output" == *'--min-rate "-1" is not a number from 0 to 2147483647' ]]
  run "$DCC_BIN/distccd" --max-body-memory lots
  [ "$status" -eq 101 ]
  [[ "$output" == *'--max-body-memory "lots" is not a size such as 256M' ]]
}
