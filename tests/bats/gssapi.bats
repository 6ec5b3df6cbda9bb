#!/usr/bin/env bats
# GSS-API mutual authentication (,auth hosts, distccd --auth, the principal
# lists) against a real MIT Kerberos KDC in a realm of its own, and with
# Debian's stock distcc 3.4 (built with GSS-API) in both directions.

# shellcheck disable=SC2154 # output, status come from bats' run
load common

REALM=DCC.TEST

# One realm for the whole file: a KDC on a free port of 127.0.0.1, its database
# in a temporary directory, the principals and the helpers' keytabs.
setup_file() {
  if ! "$DCC_BIN/distccd" --help | grep -q -- '--auth'; then
    skip "distccd has no --auth"
  fi
  if "$DCC_BIN/distccd" --help | grep -q 'built without GSS-API'; then
    skip "skipped: this build has no GSS-API (WITH_GSSAPI=1)"
  fi
  dcc_need_tool krb5kdc kdb5_util kadmin.local kinit klist kdestroy
  KRB_DIR=$(mktemp -d /tmp/dcc-krb5.XXXXXX)
  # The helpers' job processes (nobody) read krb5.conf too.
  chmod 0755 "$KRB_DIR"
  KDC_PORT=$(dcc_free_port)
  cat >"$KRB_DIR/krb5.conf" <<EOF
[libdefaults]
  default_realm = $REALM
  dns_lookup_kdc = false
  dns_lookup_realm = false
  dns_canonicalize_hostname = false
  rdns = false
[realms]
  $REALM = {
    kdc = 127.0.0.1:$KDC_PORT
  }
[domain_realm]
  localhost = $REALM
EOF
  cat >"$KRB_DIR/kdc.conf" <<EOF
[kdcdefaults]
  kdc_listen = 127.0.0.1:$KDC_PORT
  kdc_tcp_listen = 127.0.0.1:$KDC_PORT
[realms]
  $REALM = {
    database_name = $KRB_DIR/principal
    key_stash_file = $KRB_DIR/stash
    acl_file = $KRB_DIR/kadm5.acl
    max_life = 1h
  }
[logging]
  kdc = FILE:$KRB_DIR/kdc.log
EOF
  chmod 0644 "$KRB_DIR/krb5.conf"
  export KRB_DIR KDC_PORT KRB5_CONFIG="$KRB_DIR/krb5.conf" KRB5_KDC_PROFILE="$KRB_DIR/kdc.conf"
  kdb5_util create -s -r "$REALM" -P "master-$$" >/dev/null
  local p
  for p in alice bob; do
    kadmin.local -q "addprinc -pw $p-secret $p" >/dev/null 2>&1
  done
  for p in host/localhost host/otherhost; do
    kadmin.local -q "addprinc -randkey $p" >/dev/null 2>&1
  done
  kadmin.local -q "ktadd -k $KRB_DIR/helper.keytab host/localhost" >/dev/null 2>&1
  kadmin.local -q "ktadd -k $KRB_DIR/other.keytab host/otherhost" >/dev/null 2>&1
  # Root's alone: our daemon copies the keys before it drops root.
  chmod 0600 "$KRB_DIR/helper.keytab" "$KRB_DIR/other.keytab"
  krb5kdc -n -P "$KRB_DIR/kdc.pid" 3>&- &
  KDC_PID=$!
  export KDC_PID
  dcc_wait_port "$KDC_PORT" 20
}

teardown_file() {
  dcc_stop_pid "${KDC_PID:-}"
  [ -n "${KRB_DIR:-}" ] && rm -rf "$KRB_DIR"
  true
}

setup() {
  cd "$BATS_TEST_TMPDIR" || return 1
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD DISTCC_PRINCIPAL \
    DISTCCD_PRINCIPAL KRB5_KTNAME DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  export DISTCC_BACKOFF_PERIOD=0
  # Each connection here is an authentication to count: no CAPS question
  # before the job (dispatch.bats tests that).
  export DISTCC_TOOLCHAIN_MATCH=off
  export KRB5CCNAME="FILE:$BATS_TEST_TMPDIR/ccache"
  printf '#include <stdio.h>\nint main(void) { puts("hello from distcc"); return 0; }\n' >hello.c
}

teardown() {
  dcc_stop_pid "${DAEMON_PID:-}"
  # Sanitizer reports of our daemon and its job processes (an ASan build).
  local stderr=$BATS_TEST_TMPDIR/daemon.err
  if [ -f "$stderr" ] && grep -qE 'Sanitizer|runtime error' "$stderr"; then
    cat "$stderr" >&2
    dcc_stop_distccd
    return 1
  fi
  dcc_stop_distccd
  dcc_stop_pid "${STOCK_PID:-}"
  STOCK_PID=
  [ -n "${STOCK_DIR:-}" ] && rm -rf "$STOCK_DIR"
  STOCK_DIR=
  true
}

# kinit as $1 (alice, bob) into this test's ccache; extra arguments go to kinit.
ticket_for() {
  local who=$1
  shift
  echo "$who-secret" | kinit "$@" "$who" >/dev/null
}

# Our daemon with --auth as host/localhost; extra arguments go to distccd.
start_auth_distccd() {
  KRB5_KTNAME="FILE:$KRB_DIR/helper.keytab" DISTCCD_PRINCIPAL=host/localhost dcc_start_distccd --auth "$@" \
    2>>"$BATS_TEST_TMPDIR/daemon.err"
}

# Our client on hello.c, against $HOSTS (default: this test's daemon, ,auth).
our_distcc() {
  DISTCC_HOSTS="${HOSTS:-127.0.0.1:$DAEMON_PORT,auth}" timeout 60 "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
}

# Stock 3.4's client on hello.c against this test's daemon as an ,auth host,
# without local fallback; bounded, since with DISTCC_BACKOFF_PERIOD=0 stock
# tries a failing host again and again (the default backoff ends the job).
stock_client_auth() {
  mkdir -p "$DISTCC_DIR"
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,auth" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 \
    DISTCC_BACKOFF_PERIOD=60 timeout 120 /usr/bin/distcc gcc -c hello.c -o hello.o
}

# The daemon log's line for a refused connection (the daemon logs it as the
# client leaves, so it is waited for).
refusal_in_log() {
  wait_until 10 grep -qF "warning: refused connection from 127.0.0.1$1" "$DAEMON_LOG"
}

# The daemon logs a job once its reply is sent: waits for the count to be $1.
compiled_is() {
  [ "$(compiled_jobs)" -eq "$1" ]
}

@test "a job with a valid ticket compiles on the helper, which logs the client's principal" {
  start_auth_distccd
  ticket_for alice
  run our_distcc
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ -s hello.o ]
  wait_until 10 compiled_is 1
  grep -q "info: client 127.0.0.1 authenticated as alice@$REALM" "$DAEMON_LOG"
  grep -qE "notice: job from 127\.0\.0\.1 as alice@$REALM: [^ ]*gcc hello\.c: compiled, exit 0" "$DAEMON_LOG"
}

@test "without a ticket the job is not sent; the client says why and builds locally" {
  start_auth_distccd
  run our_distcc
  [ "$status" -eq 0 ]
  [ -s hello.o ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4,auth (GSS-API: cannot get a ticket for host/localhost@$REALM: No Kerberos credentials available (default cache: $KRB5CCNAME) (run kinit for a valid Kerberos ticket; is this the helper's principal? see DISTCC_PRINCIPAL and ,auth=NAME)), running locally instead" ]
  [ "$(compiled_jobs)" -eq 0 ]
}

@test "with an expired ticket the client says so and builds locally" {
  start_auth_distccd
  ticket_for alice -l 2s
  local i
  for ((i = 0; i < 100; i++)); do
    klist -s || break
    sleep 0.1
  done
  run klist -s
  [ "$status" -ne 0 ]
  # Kerberos counts whole seconds: in the second the ticket ends in, it may
  # still buy a service ticket.
  sleep 2
  run our_distcc
  [ "$status" -eq 0 ]
  [ -s hello.o ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4,auth (GSS-API: cannot get a ticket for host/localhost@$REALM: Ticket expired (run kinit for a valid Kerberos ticket; is this the helper's principal? see DISTCC_PRINCIPAL and ,auth=NAME)), running locally instead" ]
  [ "$(compiled_jobs)" -eq 0 ]
}

@test "a blacklisted principal is refused with a reason on both sides and builds locally" {
  printf '# who may not compile here\nalice@%s\n' "$REALM" >"$BATS_TEST_TMPDIR/blacklist"
  start_auth_distccd --blacklist "$BATS_TEST_TMPDIR/blacklist"
  grep -q "notice: --auth: clients must authenticate with GSS-API; accepting as host/localhost with [0-9]* keys from FILE:$KRB_DIR/helper.keytab; 1 principals refused ($BATS_TEST_TMPDIR/blacklist)" "$DAEMON_LOG"
  ticket_for alice
  run our_distcc
  [ "$status" -eq 0 ]
  [ -s hello.o ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4,auth (GSS-API: host/localhost@$REALM denied access: our principal is on its --blacklist or not on its --whitelist), running locally instead" ]
  refusal_in_log " as alice@$REALM: principal alice@$REALM is on the --blacklist $BATS_TEST_TMPDIR/blacklist"
  [ "$(compiled_jobs)" -eq 0 ]
  # bob is not on it.
  kdestroy
  ticket_for bob
  rm hello.o
  run our_distcc
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  wait_until 10 compiled_is 1
}

@test "a whitelist lets in the names on it (any realm without @REALM, as stock) and no one else" {
  printf 'alice\n' >"$BATS_TEST_TMPDIR/whitelist"
  start_auth_distccd --whitelist "$BATS_TEST_TMPDIR/whitelist"
  ticket_for alice
  run our_distcc
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  wait_until 10 compiled_is 1
  kdestroy
  ticket_for bob
  run our_distcc
  [ "$status" -eq 0 ]
  [[ "$output" == *"(GSS-API: host/localhost@$REALM denied access: our principal is on its --blacklist or not on its --whitelist), running locally instead" ]]
  refusal_in_log " as bob@$REALM: principal bob@$REALM is not on the --whitelist $BATS_TEST_TMPDIR/whitelist"
  wait_until 10 compiled_is 1
}

@test "a helper that is not the principal the client asks for is refused, and ,auth=NAME names the right one" {
  KRB5_KTNAME="FILE:$KRB_DIR/other.keytab" DISTCCD_PRINCIPAL=host/otherhost dcc_start_distccd --auth \
    2>>"$BATS_TEST_TMPDIR/daemon.err"
  ticket_for alice
  run our_distcc
  [ "$status" -eq 0 ]
  [ -s hello.o ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4,auth (GSS-API: the helper did not prove to be host/localhost@$REALM: The ticket isn't for us (it does not hold that principal's key: check DISTCC_PRINCIPAL and ,auth=NAME here, DISTCCD_PRINCIPAL and the keytab there)), running locally instead" ]
  refusal_in_log ": GSS-API authentication failed: "
  [ "$(compiled_jobs)" -eq 0 ]
  rm hello.o
  HOSTS="127.0.0.1:$DAEMON_PORT,auth=otherhost" run our_distcc
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  wait_until 10 compiled_is 1
}

@test "DISTCC_PRINCIPAL names the helper's service as SERVICE@HOST, as in stock" {
  start_auth_distccd
  ticket_for alice
  DISTCC_PRINCIPAL=host run our_distcc
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  wait_until 10 compiled_is 1
  DISTCC_PRINCIPAL=nosuchservice run our_distcc
  [ "$status" -eq 0 ]
  [[ "$output" == *"(GSS-API: cannot get a ticket for nosuchservice/localhost@$REALM: Server nosuchservice/localhost@$REALM not found in Kerberos database (run kinit"* ]]
  wait_until 10 compiled_is 1
}

@test "a client without ,auth is turned away by an --auth helper, which says why" {
  start_auth_distccd
  ticket_for alice
  HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc
  [ "$status" -eq 0 ]
  [ -s hello.o ]
  [[ "$output" == *"failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4 (no answer: "* ]]
  refusal_in_log ": no GSS-API handshake (this helper runs --auth; the client has no ,auth in its host list)"
  [ "$(compiled_jobs)" -eq 0 ]
}

@test "an ,auth client against a helper without --auth says so and builds locally" {
  dcc_start_distccd
  ticket_for alice
  run our_distcc
  [ "$status" -eq 0 ]
  [ -s hello.o ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: failed to distribute hello.c to 127.0.0.1:$DAEMON_PORT/4,auth (GSS-API handshake: no answer within 4 s (does the helper run distccd --auth?)), running locally instead" ]
  [ "$(compiled_jobs)" -eq 0 ]
}

@test "pump mode (,auth,cpp,lzo) authenticates before its request too" {
  start_auth_distccd
  ticket_for alice
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,auth,cpp,lzo" DISTCC_FALLBACK=0 run timeout 60 "$DCC_BIN/pump" \
    "$DCC_BIN/distcc" gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ -s hello.o ]
  wait_until 10 compiled_is 1
  grep -qE "notice: job from 127\.0\.0\.1 as alice@$REALM: [^ ]*gcc hello\.c: compiled, exit 0, pump, " "$DAEMON_LOG"
}

@test "distccd --inetd --auth authenticates the one client it serves" {
  local d port pid name
  # Outside the test's private directory: the job user reads and writes here.
  d=$(mktemp -d /tmp/dcc-daemon.XXXXXX)
  # shellcheck disable=SC2034 # teardown (dcc_stop_distccd) removes it
  DAEMON_DIR=$d
  mkdir -p "$d/wl" "$d/tmp"
  chmod 0755 "$d" "$d/wl"
  chmod 1777 "$d/tmp"
  for name in gcc cc "$(gcc -dumpmachine)-gcc"; do ln -s /usr/bin/distcc "$d/wl/$name"; done
  port=$(dcc_free_port)
  KRB5_KTNAME="FILE:$KRB_DIR/helper.keytab" DISTCCD_PRINCIPAL=host/localhost TMPDIR="$d/tmp" \
    timeout 120 python3 "$DCC_TOP/tests/bats/inetd_once.py" 127.0.0.1 "$port" "$DCC_BIN/distccd" --inetd --auth \
    --log-file "$d/distccd.log" --log-level info --whitelist-dir "$d/wl" 2>"$d/distccd.err" &
  pid=$!
  dcc_wait_port "$port" 10
  ticket_for bob
  HOSTS="127.0.0.1:$port,auth" DISTCC_FALLBACK=0 run our_distcc
  wait "$pid"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ -s hello.o ]
  grep -q "notice: job from 127.0.0.1 as bob@$REALM: .*hello\.c: compiled, exit 0" "$d/distccd.log"
  run grep -cE 'Sanitizer|runtime error' "$d/distccd.err"
  [ "$output" = 0 ]
}

@test "/stats.json counts jobs per principal and failed authentications" {
  local stats_port
  stats_port=$(dcc_free_port)
  start_auth_distccd --stats --stats-port "$stats_port"
  dcc_wait_port "$stats_port" 10
  ticket_for alice
  run our_distcc
  [ -z "$output" ]
  run our_distcc
  [ -z "$output" ]
  kdestroy
  HOSTS="127.0.0.1:$DAEMON_PORT" run our_distcc
  # The parent counts a job once its process has reported.
  local i auth=
  for ((i = 0; i < 100; i++)); do
    auth=$(dcc_http_get "$stats_port" /stats.json | sed -n 's/.*"auth":\({[^}]*}[^}]*}\).*/\1/p')
    [ "$auth" = "{\"ok\":2,\"failed\":1,\"principals\":{\"alice@$REALM\":2},\"other_principals\":0}" ] && break
    sleep 0.1
  done
  [ "$auth" = "{\"ok\":2,\"failed\":1,\"principals\":{\"alice@$REALM\":2},\"other_principals\":0}" ]
}

@test "--show-principal prints DISTCCD_PRINCIPAL / DISTCC_PRINCIPAL as stock does" {
  run "$DCC_BIN/distccd" --show-principal
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'Principal\t: Not Set')" ]
  DISTCCD_PRINCIPAL=host/box run "$DCC_BIN/distccd" --show-principal
  [ "$output" = "$(printf 'Principal is\t: host/box')" ]
  run "$DCC_BIN/distcc" --show-principal
  [ "$output" = "$(printf 'Principal\t: Not Set.')" ]
  DISTCC_PRINCIPAL=distccd run "$DCC_BIN/distcc" --show-principal
  [ "$output" = "$(printf 'Principal is\t: distccd')" ]
  # Stock's own output, for the record.
  mkdir -p "$DISTCC_DIR"
  DISTCC_PRINCIPAL=distccd run /usr/bin/distcc --show-principal
  [ "$output" = "$(printf 'Principal is\t: distccd')" ]
}

@test "--auth does not start without a key for DISTCCD_PRINCIPAL, or with an unreadable list" {
  run timeout 20 env KRB5_KTNAME="FILE:$KRB_DIR/helper.keytab" DISTCCD_PRINCIPAL=host/otherhost \
    "$DCC_BIN/distccd" --no-detach --daemon --port "$(dcc_free_port)" --log-stderr --auth --lifetime 5
  [ "$status" -eq 119 ]
  [[ "$output" == *"--auth: the keytab FILE:$KRB_DIR/helper.keytab holds no key for host/otherhost@$REALM (DISTCCD_PRINCIPAL host/otherhost; klist -k lists its keys)" ]]
  run timeout 20 env KRB5_KTNAME="FILE:$KRB_DIR/helper.keytab" "$DCC_BIN/distccd" --no-detach --daemon \
    --port "$(dcc_free_port)" --log-stderr --auth --whitelist "$BATS_TEST_TMPDIR/missing" --lifetime 5
  [ "$status" -eq 119 ]
  [[ "$output" == *"--whitelist: cannot open $BATS_TEST_TMPDIR/missing: No such file or directory"* ]]
  run "$DCC_BIN/distccd" --whitelist a --blacklist b
  [ "$status" -eq 101 ]
  [[ "$output" == *"--whitelist and --blacklist cannot be given together"* ]]
}

@test "the keytab may stay readable by root alone: keys are read before dropping root" {
  dcc_need_root
  [ "$(stat -c %a "$KRB_DIR/helper.keytab")" = 600 ]
  start_auth_distccd
  grep -q "info: running jobs as user" "$DAEMON_LOG"
  ticket_for alice
  run our_distcc
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  wait_until 10 compiled_is 1
}

@test "stock distcc 3.4's client authenticates to our --auth helper" {
  start_auth_distccd
  ticket_for alice
  run stock_client_auth
  [ "$status" -eq 0 ]
  [ -s hello.o ]
  wait_until 10 compiled_is 1
  grep -q "as alice@$REALM: .*hello\.c: compiled, exit 0" "$DAEMON_LOG"
  # and is refused, with fallbacks off, when its principal is blacklisted
  dcc_stop_distccd
  printf 'alice\n' >"$BATS_TEST_TMPDIR/blacklist"
  start_auth_distccd --blacklist "$BATS_TEST_TMPDIR/blacklist"
  rm hello.o
  run stock_client_auth
  [ "$status" -ne 0 ]
  [ "$status" -ne 124 ]
  [ ! -e hello.o ]
  [[ "$output" == *"Access denied by server."* ]]
  refusal_in_log " as alice@$REALM: principal alice@$REALM is on the --blacklist"
}

@test "our client authenticates to stock distccd 3.4 --auth and compiles there" {
  # Stock reads the keytab after dropping root to nobody.
  install -m 0644 "$KRB_DIR/helper.keytab" "$KRB_DIR/stock.keytab"
  KRB5_KTNAME="FILE:$KRB_DIR/stock.keytab" DISTCCD_PRINCIPAL=host/localhost dcc_start_stock_distccd --auth
  ticket_for alice
  HOSTS="127.0.0.1:$STOCK_PORT,auth" DISTCC_FALLBACK=0 run our_distcc
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ -s hello.o ]
  grep -q "Successfully authenticated alice@$REALM" "$STOCK_LOG"
  wait_until 10 grep -q "COMPILE_OK exit:0" "$STOCK_LOG"
  # Without a ticket: nothing is sent, and DISTCC_FALLBACK=0 makes it fail.
  kdestroy
  rm hello.o
  HOSTS="127.0.0.1:$STOCK_PORT,auth" DISTCC_FALLBACK=0 run our_distcc
  [ "$status" -eq 119 ]
  [[ "$output" == *"GSS-API: cannot get a ticket for host/localhost@$REALM: No Kerberos credentials available"* ]]
  [ ! -e hello.o ]
}
