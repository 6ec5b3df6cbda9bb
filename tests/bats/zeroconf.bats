#!/usr/bin/env bats
# Zeroconf between real programs: network namespaces with their own system
# bus (dbus-daemon) and mDNS responder (avahi-daemon), a client, our
# distccd --zeroconf and stock 3.4's distccd --zeroconf, both ways.
#
# The network (made once for the file): three namespaces, a bridge in the
# client's joining the two helpers' veths, 10.55.0.0/24 (client .1, stock
# helper .2, our helper .3). mDNS is multicast on that bridge and nowhere
# else. Each namespace's programs run in a mount namespace with a directory
# of the test bound over /run, so each has its own /run/dbus and
# /run/avahi-daemon (the system bus socket and avahi's pid file), and a UTS
# namespace with its own host name, which names its service (distcc@NAME).

load common
bats_require_minimum_version 1.5.0

ZC_NET=10.55.0

# Runs a command in namespace $1 (c, h1, h2) with that namespace's /run and
# host name. Every step execs the next: with ZC_EXEC=exec, the pid of a
# backgrounded zc_run is the command's own.
zc_run() {
  local ns=$1
  shift
  # shellcheck disable=SC2016 # the inner bash's arguments
  ${ZC_EXEC:-} ip netns exec "$ZC_TAG-$ns" unshare -m -u --propagation private -- \
    bash -c 'hostname "$1" && mount --bind "$2" /run && shift 2 && exec "$@"' \
    _ "$(zc_hostname "$ns")" "$ZC_DIR/$ns/run" "$@"
}

# The helpers' names sort ours first, so the first job goes to ours.
zc_hostname() {
  case "$1" in c) echo zc-client ;; h1) echo zc-b-stock ;; h2) echo zc-a-ours ;; esac
}

# Waits up to $3 seconds for file $1 to contain $2.
zc_wait_for_line() {
  local file=$1 text=$2 limit=${3:-10} i
  for ((i = 0; i < limit * 10; i++)); do
    grep -qF -- "$text" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "\"$text\" did not appear in $file within ${limit}s:" >&2
  cat "$file" >&2 || true
  return 1
}

# Starts a background program by pid in a namespace, bounded to 300 s.
# $1 namespace, $2 a name for its log and pid file, then the command.
zc_start() {
  local ns=$1 name=$2
  shift 2
  ZC_EXEC="exec" zc_run "$ns" timeout 300 "$@" >"$ZC_DIR/$ns/$name.log" 2>&1 &
  echo $! >"$ZC_DIR/$ns/$name.pid"
}

zc_pid() { cat "$ZC_DIR/$1/$2.pid"; }

# Avahi is loaded when first used (not linked): a build with it names the
# library it loads.
zc_built_with_avahi() {
  grep -qa 'libavahi-client\.so\.' "$DCC_BIN/distcc"
}

# Our client in the client namespace with its own DISTCC_DIR ($CLIENT_DIR,
# default one for the file) and host list ($HOSTS, default +zeroconf), and
# no silent local build.
zc_distcc() {
  zc_run c env DISTCC_DIR="${CLIENT_DIR:-$ZC_DIR/c/distcc-dir}" DISTCC_HOSTS="${HOSTS:-+zeroconf}" \
    DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 DISTCC_BACKOFF_PERIOD=0 "$DCC_BIN/distcc" "$@"
}

setup_file() {
  [ "$(id -u)" -eq 0 ] && zc_built_with_avahi || return 0
  export ZC_TAG="zc$$"
  ZC_DIR=$(mktemp -d /tmp/dcc-zeroconf.XXXXXX)
  export ZC_DIR
  chmod 0755 "$ZC_DIR"
  local ns i
  for ns in c h1 h2; do
    ip netns add "$ZC_TAG-$ns"
    ip -n "$ZC_TAG-$ns" link set lo up
    mkdir -p "$ZC_DIR/$ns/run/dbus" "$ZC_DIR/$ns/run/avahi-daemon"
  done
  ip -n "$ZC_TAG-c" link add br0 type bridge mcast_snooping 0
  ip -n "$ZC_TAG-c" addr add "$ZC_NET.1/24" dev br0
  ip -n "$ZC_TAG-c" link set br0 up
  i=2
  for ns in h1 h2; do
    # Both ends are made inside their namespaces: nothing lands in ours.
    ip link add "$ns" netns "$ZC_TAG-c" type veth peer name eth0 netns "$ZC_TAG-$ns"
    ip -n "$ZC_TAG-c" link set "$ns" master br0 up
    ip -n "$ZC_TAG-$ns" addr add "$ZC_NET.$i/24" dev eth0
    ip -n "$ZC_TAG-$ns" link set eth0 up
    i=$((i + 1))
  done
  # IPv4 only, no wide-area (unicast DNS) browsing, no rlimits (a
  # container refuses some), and no privilege drop or chroot (the bound
  # /run belongs to root).
  cat >"$ZC_DIR/avahi-daemon.conf" <<'EOF'
[server]
use-ipv4=yes
use-ipv6=no
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
EOF
  for ns in c h1 h2; do
    zc_start "$ns" dbus dbus-daemon --system --nofork --nopidfile
  done
  for ns in c h1 h2; do
    for ((i = 0; i < 100; i++)); do
      [ -S "$ZC_DIR/$ns/run/dbus/system_bus_socket" ] && break
      sleep 0.1
    done
  done
  for ns in c h1 h2; do
    zc_start "$ns" avahi avahi-daemon -f "$ZC_DIR/avahi-daemon.conf" --no-drop-root --no-chroot --no-rlimits \
      --no-proc-title
  done
  for ns in c h1 h2; do
    zc_wait_for_line "$ZC_DIR/$ns/avahi.log" "Server startup complete" 15
  done

  # Stock 3.4 on h1, 3 jobs; its whitelist is the package's /usr/lib/distcc.
  mkdir -p "$ZC_DIR/h1/tmp"
  chmod 1777 "$ZC_DIR/h1/tmp"
  : >"$ZC_DIR/h1/stock.log"
  chmod 0666 "$ZC_DIR/h1/stock.log"
  TMPDIR="$ZC_DIR/h1/tmp" zc_start h1 distccd /usr/bin/distccd --no-detach --daemon --zeroconf -j 3 \
    --listen "$ZC_NET.2" --allow "$ZC_NET.0/24" --user nobody --log-file "$ZC_DIR/h1/stock.log" \
    --log-level info --lifetime 300

  # Ours on h2, 5 jobs.
  zc_start_ours h2 distccd 3632 -j 5
  zc_wait_for_line "$ZC_DIR/h2/distccd.log" 'announced as "distcc@zc-a-ours"' 15

  # Both are seen from the client (a scratch DISTCC_DIR, browsed anew each
  # round).
  for ((i = 0; i < 30; i++)); do
    rm -rf "$ZC_DIR/c/scratch"
    [ "$(CLIENT_DIR="$ZC_DIR/c/scratch" zc_distcc --show-hosts 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.5
  done
  rm -rf "$ZC_DIR/c/scratch"
}

# Our distccd in namespace $1 (log and pid named $2) on port $3, with a
# whitelist of the usual compiler names; extra arguments go to distccd.
zc_start_ours() {
  local ns=$1 name=$2 port=$3 cc
  shift 3
  mkdir -p "$ZC_DIR/$ns/$name-wl" "$ZC_DIR/$ns/$name-tmp"
  chmod 1777 "$ZC_DIR/$ns/$name-tmp"
  for cc in gcc g++ cc c++ "$(gcc -dumpmachine)-gcc" "$(gcc -dumpmachine)-g++"; do
    ln -sf /usr/bin/distcc "$ZC_DIR/$ns/$name-wl/$cc"
  done
  ln -sfn . "$ZC_DIR/$ns/$name-wl/bin"
  TMPDIR="$ZC_DIR/$ns/$name-tmp" zc_start "$ns" "$name" "$DCC_BIN/distccd" --no-detach --daemon --zeroconf \
    --port "$port" --listen "$ZC_NET.3" --allow "$ZC_NET.0/24" --whitelist-dir "$ZC_DIR/$ns/$name-wl" \
    --log-stderr --log-level info --lifetime 300 "$@"
}

teardown_file() {
  [ -n "${ZC_TAG:-}" ] || return 0
  local ns name pid
  # What the test started, by pid, helpers first (they withdraw their
  # services), then the responders and buses.
  for name in distccd odd avahi dbus; do
    for ns in h1 h2 c; do
      [ -f "$ZC_DIR/$ns/$name.pid" ] && dcc_stop_pid "$(cat "$ZC_DIR/$ns/$name.pid")"
    done
  done
  # What those started in the namespaces (stock's client leaves a
  # browsing process behind for 20 s, stock's distccd its job processes):
  # every process in a namespace of ours is one of ours.
  for ns in c h1 h2; do
    for pid in $(ip netns pids "$ZC_TAG-$ns" 2>/dev/null); do
      dcc_stop_pid "$pid"
    done
    ip netns del "$ZC_TAG-$ns" 2>/dev/null || true
  done
  rm -rf "$ZC_DIR"
}

# Shown when a test fails: the lists the client kept.
teardown() {
  local f
  for f in "$ZC_DIR/c/distcc-dir/zeroconf/list" "$BATS_TEST_TMPDIR/dd/zeroconf/list"; do
    [ -f "$f" ] && printf '== %s\n%s\n' "$f" "$(cat "$f")"
  done
  return 0
}

setup() {
  dcc_need_root
  dcc_need_tool avahi-daemon dbus-daemon /usr/bin/distccd ip unshare
  zc_built_with_avahi || skip "skipped: this build has no Zeroconf (WITH_ZEROCONF=0 or no libavahi-client)"
  cd "$BATS_TEST_TMPDIR" || return 1
  printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >hello.c
}

@test "our client finds our helper and stock's through Avahi, each with the slots its TXT record gives" {
  run zc_distcc --show-hosts
  [ "$status" -eq 0 ]
  # Ours announces jobs=5 (-j 5), stock jobs=3 (-j 3); sorted by name.
  [ "$output" = "$ZC_NET.3:3632/5
$ZC_NET.2:3632/3" ]
  # The list is kept, with the helpers named.
  grep -q "^$ZC_NET.3:3632/5 .*distcc@zc-a-ours: $(cc -dumpmachine) $(cc -dumpversion)" "$ZC_DIR/c/distcc-dir/zeroconf/list"
  grep -q "^$ZC_NET.2:3632/3 .*distcc@zc-b-stock: $(cc -dumpmachine) $(cc -dumpversion), distcc 3.4" \
    "$ZC_DIR/c/distcc-dir/zeroconf/list"
}

@test "a job with +zeroconf compiles on the helper found first" {
  run zc_distcc gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  [ -s hello.o ]
  grep -q ": compiled, exit 0" "$ZC_DIR/h2/distccd.log"
  gcc -c hello.c -o local.o
  cmp hello.o local.o
}

@test "a fresh list is used as it is, without browsing" {
  CLIENT_DIR="$BATS_TEST_TMPDIR/dd"
  mkdir -p "$CLIENT_DIR/zeroconf"
  echo "10.55.0.77:3632/9" >"$CLIENT_DIR/zeroconf/list"
  CLIENT_DIR=$CLIENT_DIR run zc_distcc --show-hosts
  [ "$status" -eq 0 ]
  [ "$output" = "10.55.0.77:3632/9" ]
}

@test "clients that start together without a list browse once, and all use what it found" {
  local d="$BATS_TEST_TMPDIR/dd" i pids=()
  for i in 1 2 3 4; do
    CLIENT_DIR=$d DISTCC_VERBOSE=1 zc_distcc --show-hosts >"out$i" 2>&1 &
    pids+=($!)
  done
  for i in 0 1 2 3; do wait "${pids[$i]}"; done
  for i in 1 2 3 4; do
    [ "$(grep -v ' debug: ' "out$i")" = "$ZC_NET.3:3632/5
$ZC_NET.2:3632/3" ] || { cat "out$i"; false; }
  done
  [ "$(cat out1 out2 out3 out4 | grep -c 'no list of helpers yet; browsing')" -eq 1 ]
}

@test "without an avahi-daemon to ask, +zeroconf says so and the other hosts are used" {
  mkdir -p "$BATS_TEST_TMPDIR/empty-run"
  # The client namespace with a /run that has no system bus.
  # shellcheck disable=SC2016 # the inner bash's arguments
  run ip netns exec "$ZC_TAG-c" unshare -m --propagation private -- \
    bash -c 'mount --bind "$1" /run && shift && exec "$@"' _ "$BATS_TEST_TMPDIR/empty-run" \
    env DISTCC_DIR="$BATS_TEST_TMPDIR/dd" DISTCC_HOSTS="localhost/1 +zeroconf" "$DCC_BIN/distcc" --show-hosts
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: +zeroconf: cannot reach avahi-daemon over the system bus: Daemon not running
localhost/1" ]
}

@test "stock 3.4's client finds our helper (and stock's) by stock's compiler subtype" {
  mkdir -p "$BATS_TEST_TMPDIR/stock-dir"
  run zc_run c env DISTCC_DIR="$BATS_TEST_TMPDIR/stock-dir" DISTCC_HOSTS=+zeroconf /usr/bin/distcc --show-hosts
  [ "$status" -eq 0 ]
  [[ "$output" == *"$ZC_NET.3:3632/5"* ]]
  [[ "$output" == *"$ZC_NET.2:3632/3"* ]]
}

@test "a helper whose compiler is another version is left out, and the list says why" {
  # A cc that says version 99 on the helper's compiler PATH.
  mkdir -p "$ZC_DIR/h2/odd-bin"
  cat >"$ZC_DIR/h2/odd-bin/cc" <<EOF
#!/bin/sh
case "\$1" in -dumpversion) echo 99 ;; *) exec /usr/bin/cc "\$@" ;; esac
EOF
  chmod 0755 "$ZC_DIR/h2/odd-bin/cc"
  DISTCCD_PATH="$ZC_DIR/h2/odd-bin:/usr/bin:/bin" zc_start_ours h2 odd 3634 -j 2
  # Its host name is taken by the first helper there: avahi's next name.
  zc_wait_for_line "$ZC_DIR/h2/odd.log" 'announced as "distcc@zc-a-ours #2"' 15
  CLIENT_DIR="$BATS_TEST_TMPDIR/dd"
  CLIENT_DIR=$CLIENT_DIR run zc_distcc --show-hosts
  [ "$status" -eq 0 ]
  [ "$output" = "$ZC_NET.3:3632/5
$ZC_NET.2:3632/3" ]
  grep -qF "# left out distcc@zc-a-ours #2 at $ZC_NET.3: compiler $(cc -dumpmachine) 99, not $(cc -dumpversion)" \
    "$CLIENT_DIR/zeroconf/list"
  dcc_stop_pid "$(zc_pid h2 odd)"
  zc_wait_for_line "$ZC_DIR/h2/odd.log" "announcement withdrawn" 5
  # Under ASan (DCC_BUILD=build-asan): a clean exit, no leak.
  run ! grep -q Sanitizer "$ZC_DIR/h2/odd.log"
}

@test "a helper announces itself again when avahi-daemon restarts" {
  dcc_stop_pid "$(zc_pid h2 avahi)"
  zc_wait_for_line "$ZC_DIR/h2/distccd.log" "avahi-daemon went away; announcing again when it is back" 5
  zc_start h2 avahi avahi-daemon -f "$ZC_DIR/avahi-daemon.conf" --no-drop-root --no-chroot --no-rlimits \
    --no-proc-title
  local i
  for ((i = 0; i < 150; i++)); do
    [ "$(grep -c 'announced as "distcc@zc-a-ours"' "$ZC_DIR/h2/distccd.log")" -ge 2 ] && break
    sleep 0.1
  done
  [ "$(grep -c 'announced as "distcc@zc-a-ours"' "$ZC_DIR/h2/distccd.log")" -eq 2 ]
  CLIENT_DIR="$BATS_TEST_TMPDIR/dd" run zc_distcc --show-hosts
  [ "$status" -eq 0 ]
  [ "$output" = "$ZC_NET.3:3632/5
$ZC_NET.2:3632/3" ]
}

@test "a helper that stops is gone from the list after the refresh, and jobs go to the one left" {
  CLIENT_DIR="$BATS_TEST_TMPDIR/dd"
  CLIENT_DIR=$CLIENT_DIR run zc_distcc --show-hosts
  [ "$status" -eq 0 ]
  [[ "$output" == *"$ZC_NET.3:3632/5"* ]]

  dcc_stop_pid "$(zc_pid h2 distccd)"
  zc_wait_for_line "$ZC_DIR/h2/distccd.log" "announcement withdrawn" 5
  zc_wait_for_line "$ZC_DIR/h2/distccd.log" "distccd exiting" 5
  run ! grep -q Sanitizer "$ZC_DIR/h2/distccd.log"
  # The list is fresh: still used as it is.
  CLIENT_DIR=$CLIENT_DIR run zc_distcc --show-hosts
  [[ "$output" == *"$ZC_NET.3:3632/5"* ]]

  # Once it is older than the refresh period, the next job still uses it
  # at once and leaves a refresh running in the background...
  touch -d '1 minute ago' "$CLIENT_DIR/zeroconf/list"
  CLIENT_DIR=$CLIENT_DIR run zc_distcc --show-hosts
  [ "$status" -eq 0 ]
  [[ "$output" == *"$ZC_NET.3:3632/5"* ]]
  # ...which writes the new list.
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q "^# helpers found" "$CLIENT_DIR/zeroconf/list" && ! grep -q "^$ZC_NET.3:" "$CLIENT_DIR/zeroconf/list" &&
      break
    sleep 0.1
  done
  CLIENT_DIR=$CLIENT_DIR run zc_distcc --show-hosts
  [ "$status" -eq 0 ]
  [ "$output" = "$ZC_NET.2:3632/3" ]

  CLIENT_DIR=$CLIENT_DIR run zc_distcc gcc -c hello.c -o hello.o
  [ "$status" -eq 0 ]
  grep -q "COMPILE_OK exit:0 .*hello.c" "$ZC_DIR/h1/stock.log"
}

@test "a build without Avahi says so for +zeroconf and --zeroconf, and builds on" {
  local b="$BATS_TEST_TMPDIR/build"
  run -0 make -C "$DCC_TOP" -s -j2 BUILD="$b" WITH_ZEROCONF=0 "$b/bin/distcc" "$b/bin/distccd"
  [[ "$output" == *"distcc, distccd: built without Zeroconf (+zeroconf, --zeroconf) (WITH_ZEROCONF=0)"* ]]
  run ! grep -q libavahi < <(ldd "$b/bin/distcc" "$b/bin/distccd")
  run ! grep -qa 'libavahi-client\.so\.' "$b/bin/distcc" "$b/bin/distccd"
  DISTCC_DIR="$BATS_TEST_TMPDIR/dd" DISTCC_HOSTS="+zeroconf localhost/1" run "$b/bin/distcc" --show-hosts
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$output")" = "distcc: warning: +zeroconf: this distcc was built without Zeroconf (no Avahi: build with WITH_ZEROCONF=1, USE=zeroconf on Gentoo); it finds no helpers
localhost/1" ]
  run "$b/bin/distccd" --no-detach --daemon --zeroconf --port "$(dcc_free_port)" --lifetime 1 --log-stderr \
    --whitelist-dir "$BATS_TEST_TMPDIR" --enable-tcp-insecure
  [[ "$output" == *"warning: --zeroconf: this distccd was built without Zeroconf (no Avahi: build with WITH_ZEROCONF=1, USE=zeroconf on Gentoo); not announcing"* ]]
}
