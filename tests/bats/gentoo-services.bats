#!/usr/bin/env bats
# The service files as installed: conf.d read by sh, the OpenRC script
# (syntax, its start_pre with stubs, and a real start under openrc-run), the
# systemd unit and drop-in (systemd-analyze verify, the ALLOWED_SERVERS
# expansion run for real), tmpfiles.d, and the distccd man page.
# shellcheck disable=SC2016 # single-quoted code runs in another shell, on purpose

bats_require_minimum_version 1.5.0

# One install per file; each test gets its own copy to change.
setup_file() {
  load common
  "$DCC_TOP/scripts/install.sh" install "$BATS_FILE_TMPDIR/root" "$DCC_BUILD" /usr/bin /usr/sbin \
    /usr/lib /usr/share/man /etc /usr >/dev/null
}

setup() {
  load common
  D="$BATS_TEST_TMPDIR/root"
  cp -a "$BATS_FILE_TMPDIR/root" "$D"
  CONFD="$D/etc/conf.d/distccd"
  INITD="$D/etc/init.d/distccd"
  UNIT="$D/usr/lib/systemd/system/distccd.service"
  DROPIN="$D/etc/systemd/system/distccd.service.d/00gentoo.conf"
}

teardown() {
  dcc_stop_pid "${SERVICE_PID:-}"
  [ -n "${SERVICE_DIR:-}" ] && rm -rf "$SERVICE_DIR"
  return 0
}

# --- conf.d ---------------------------------------------------------------

@test "conf.d builds DISTCCD_OPTS line by line, as Gentoo's does" {
  run sh -c '. "$1"; printf "[%s]\n[%s]\n" "$DISTCCD_OPTS" "$DISTCCD_EXEC"' sh "$CONFD"
  [ "$status" -eq 0 ]
  [ "$output" = "[ --port 3632 --log-level notice --allow 192.168.0.0/24 -N 15]
[/usr/bin/distccd]" ]
  # The commented examples are there to uncomment.
  grep -qx '#DISTCCD_OPTS="${DISTCCD_OPTS} --listen 192.168.0.2"' "$CONFD"
  grep -qx '#DISTCCD_OPTS="${DISTCCD_OPTS} --log-file /var/log/distccd/distccd.log"' "$CONFD"
}

# --- OpenRC ---------------------------------------------------------------

@test "the OpenRC script is openrc-run sh: sh -n, dash -n and shellcheck pass" {
  [ "$(head -n 1 "$INITD")" = "#!/sbin/openrc-run" ]
  sh -n "$INITD"
  dcc_need_tool dash shellcheck
  dash -n "$INITD"
  run shellcheck "$INITD"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
}

# Sources conf.d and the init script in sh the way openrc-run does, with
# OpenRC's helpers replaced by stubs that print what they were asked, then
# runs the given shell code.
openrc_sh() {
  sh -c '
    need() { echo "need $*"; }
    use() { echo "use $*"; }
    eerror() { echo "eerror: $*"; }
    checkpath() { echo "checkpath $*"; [ -z "${CHECKPATH_FAILS:-}" ]; }
    RC_SVCNAME=distccd
    . "$1"
    . "$2"
    eval "$3"' sh "$CONFD" "$INITD" "$1"
}

@test "the OpenRC script runs distccd --user distcc --daemon --no-detach \$DISTCCD_OPTS in the background" {
  run openrc_sh 'printf "%s\n" "command=$command" "command_args=$command_args" \
    "command_background=$command_background" "pidfile=$pidfile"; depend'
  [ "$status" -eq 0 ]
  [ "$output" = "command=/usr/bin/distccd
command_args=--user distcc --daemon --no-detach  --port 3632 --log-level notice --allow 192.168.0.0/24 -N 15
command_background=true
pidfile=/run/distccd.pid
need net
use avahi-daemon ypbind" ]
}

@test "start_pre: no --log-file, only the header cache's directory is made; TMPDIR defaults to /tmp" {
  run openrc_sh 'unset TMPDIR; start_pre; echo "rc=$? TMPDIR=$TMPDIR"; env | grep "^TMPDIR="'
  [ "$output" = "checkpath --directory --owner distcc:distcc --mode 0700 /var/cache/distccd
rc=0 TMPDIR=/tmp
TMPDIR=/tmp" ]
  run openrc_sh 'TMPDIR=/var/tmp/distccd; start_pre; echo "TMPDIR=$TMPDIR"'
  [ "$output" = "checkpath --directory --owner distcc:distcc --mode 0700 /var/cache/distccd
TMPDIR=/var/tmp/distccd" ]
}

@test "start_pre: the log file is created for distcc before the start (bug 477630)" {
  echo 'DISTCCD_OPTS="${DISTCCD_OPTS} --log-file /var/log/distccd.log"' >>"$CONFD"
  run openrc_sh 'start_pre; echo "rc=$?"'
  [ "$output" = "checkpath --file --owner distcc:distcc --mode 0640 /var/log/distccd.log
checkpath --directory --owner distcc:distcc --mode 0700 /var/cache/distccd
rc=0" ]
}

@test "start_pre: --log-file=FILE in a missing directory makes the directory for distcc first; the last --log-file counts" {
  echo "DISTCCD_OPTS=\"\${DISTCCD_OPTS} --log-file /var/log/old.log --log-file=$BATS_TEST_TMPDIR/new/distccd.log\"" >>"$CONFD"
  run openrc_sh 'start_pre; echo "rc=$?"'
  [ "$output" = "checkpath --directory --owner distcc:distcc --mode 0755 $BATS_TEST_TMPDIR/new
checkpath --file --owner distcc:distcc --mode 0640 $BATS_TEST_TMPDIR/new/distccd.log
checkpath --directory --owner distcc:distcc --mode 0700 /var/cache/distccd
rc=0" ]
}

@test "start_pre: a relative --log-file or a failing checkpath stops the start" {
  echo 'DISTCCD_OPTS="${DISTCCD_OPTS} --log-file distccd.log"' >>"$CONFD"
  run openrc_sh 'start_pre; echo "rc=$?"'
  [ "$output" = "eerror: --log-file distccd.log in DISTCCD_OPTS (/etc/conf.d/distccd) must be an absolute path
rc=1" ]
  sed -i '$d' "$CONFD"
  echo 'DISTCCD_OPTS="${DISTCCD_OPTS} --log-file /var/log/distccd.log"' >>"$CONFD"
  run openrc_sh 'CHECKPATH_FAILS=1; start_pre; echo "rc=$?"'
  [ "$output" = "checkpath --file --owner distcc:distcc --mode 0640 /var/log/distccd.log
rc=1" ]
}

# The real start runs in a private mount namespace: its own /run (OpenRC's
# state and the pid file), /var/log, /var/cache, an empty /sys/fs/cgroup (OpenRC leaves
# the real cgroups alone), and a passwd/group with the distcc user (uid 240,
# as acct-user/distcc) when this machine has none.
@test "openrc-run starts distccd as user distcc with its log file, a stock client compiles through it, stop ends it" {
  dcc_need_root
  dcc_need_tool openrc-run unshare /usr/bin/distcc
  unshare -m --propagation private true 2>/dev/null || skip "skipped: cannot create a mount namespace here"
  SERVICE_DIR=$(mktemp -d /tmp/dcc-openrc.XXXXXX)
  chmod 0755 "$SERVICE_DIR"
  mkdir "$SERVICE_DIR/whitelist" "$SERVICE_DIR/src" "$SERVICE_DIR/distcc-dir"
  local name
  for name in gcc cc "$(gcc -dumpmachine)-gcc"; do ln -s /usr/bin/distcc "$SERVICE_DIR/whitelist/$name"; done
  printf 'int answer(void) { return 42; }\n' >"$SERVICE_DIR/src/job.c"
  local port
  port=$(dcc_free_port)
  cat >>"$CONFD" <<EOF
DISTCCD_EXEC="$DCC_BIN/distccd"
DISTCCD_OPTS="\${DISTCCD_OPTS} --port $port --allow 127.0.0.1 --whitelist-dir $SERVICE_DIR/whitelist --log-file /var/log/distccd.log --lifetime 120"
EOF
  cat >"$SERVICE_DIR/ns.sh" <<'EOF'
set -u
D=$1 dir=$2 port=$3
mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/log && mount -t tmpfs tmpfs /sys/fs/cgroup || exit 90
# The service makes /var/cache/distccd (the header cache): in this namespace only.
mount -t tmpfs tmpfs /var/cache || exit 90
mkdir -p /run/openrc/{daemons,exclusive,failed,hotplugged,inactive,options,scheduled,started,starting,stopping,tmp,wasinactive}
touch /run/openrc/softlevel
cp /etc/passwd /etc/group "$dir/"
grep -q '^distcc:' "$dir/passwd" || echo 'distcc:x:240:240:distcc:/dev/null:/sbin/nologin' >>"$dir/passwd"
grep -q '^distcc:' "$dir/group" || echo 'distcc:x:240:' >>"$dir/group"
printf 'rc_cgroup_mode="legacy"\n' >"$dir/rc.conf"
mount --bind "$dir/passwd" /etc/passwd && mount --bind "$dir/group" /etc/group &&
  mount --bind "$dir/rc.conf" /etc/rc.conf || exit 91
stop() {
  openrc-run "$D/etc/init.d/distccd" stop >"$dir/stop.out" 2>&1
  echo "stop=$?"
  if [ -s /run/distccd.pid ]; then kill "$(cat /run/distccd.pid)" 2>/dev/null; fi
  sed -E 's/^[0-9-]+ [0-9:]+ distccd\[[0-9]+\] //' /var/log/distccd.log >"$dir/distccd.log"
}
trap stop EXIT
openrc-run "$D/etc/init.d/distccd" --nodeps start >"$dir/start.out" 2>&1
echo "start=$?"
pid=$(cat /run/distccd.pid)
for i in $(seq 50); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
echo "user=$(ps -o user= -p "$pid")"
echo "args=$(tr '\0' ' ' </proc/"$pid"/cmdline)"
echo "log=$(stat -c '%U:%G %a' /var/log/distccd.log)"
openrc-run "$D/etc/init.d/distccd" status >/dev/null 2>&1
echo "status=$?"
(cd "$dir/src" && DISTCC_HOSTS="127.0.0.1:$port" DISTCC_DIR="$dir/distcc-dir" DISTCC_FALLBACK=0 \
  DISTCC_SKIP_LOCAL_RETRY=1 /usr/bin/distcc gcc -c job.c -o job.o)
echo "compile=$?"
echo "pid=$pid"
EOF
  run unshare -m --propagation private bash "$SERVICE_DIR/ns.sh" "$D" "$SERVICE_DIR" "$port"
  echo "$output"
  cat "$SERVICE_DIR/start.out" "$SERVICE_DIR/stop.out" "$SERVICE_DIR/distccd.log" || true
  [ "$status" -eq 0 ]
  [[ "$output" == *$'start=0\n'* ]]
  [[ "$output" == *$'user=distcc\n'* ]]
  [[ "$output" == *"args=$DCC_BIN/distccd --user distcc --daemon --no-detach --port 3632 --log-level notice --allow 192.168.0.0/24 -N 15 --port $port --allow 127.0.0.1 "* ]]
  [[ "$output" == *$'log=distcc:distcc 640\n'* ]]
  [[ "$output" == *$'status=0\n'* ]]
  [[ "$output" == *$'compile=0\n'* ]]
  [[ "$output" == *"stop=0" ]]
  [ -s "$SERVICE_DIR/src/job.o" ]
  grep -q "^notice: distccd .* listening on all addresses port $port, .* allowing 192.168.0.0/24 127.0.0.1/32$" "$SERVICE_DIR/distccd.log"
  grep -q "^notice: job from 127.0.0.1: .*gcc job.c: compiled, exit 0" "$SERVICE_DIR/distccd.log"
  grep -qx "notice: distccd exiting" "$SERVICE_DIR/distccd.log"
  local pid=${output##*pid=}
  pid=${pid%%$'\n'*}
  # Gone (or a zombie waiting for this container's init to reap it).
  local state
  state=$(ps -o stat= -p "$pid" || true)
  [ -z "$state" ] || [[ "$state" == Z* ]] || { echo "distccd $pid still runs after stop: $state"; false; }
}

# --- systemd --------------------------------------------------------------

# systemd-analyze on the installed tree: units from DESTDIR first, then the
# machine's own (for sysinit.target and friends), man pages from DESTDIR.
analyze() {
  SYSTEMD_UNIT_PATH="$D/etc/systemd/system:$D/usr/lib/systemd/system:" \
    MANPATH="$D/usr/share/man" "$@"
}

@test "systemd-analyze verify passes on the installed unit, drop-in and man page" {
  # verify looks the unit's Documentation= man page up with man.
  dcc_need_tool systemd-analyze man
  run analyze systemd-analyze verify distccd.service
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ -z "$output" ]
  # The same check fails without the man page, and for a unit that cannot run.
  rm "$D/usr/share/man/man1/distccd.1"
  run analyze systemd-analyze verify distccd.service
  [ "$status" -ne 0 ]
  [[ "$output" == *"man distccd(1)"* ]]
  sed -i 's|^ExecStart=/bin/sh |ExecStart=/nonexistent/sh |' "$UNIT"
  run analyze systemd-analyze verify --man=no distccd.service
  [ "$status" -ne 0 ]
  [[ "$output" == *"/nonexistent/sh is not executable"* ]]
}

# The unit as systemd loaded it (systemd-analyze's debug dump).
unit_dump() {
  analyze env SYSTEMD_LOG_LEVEL=debug systemd-analyze verify --man=no distccd.service 2>/dev/null
}

@test "systemd loads the 00gentoo.conf drop-in: ALLOWED_SERVERS defaults to 127.0.0.1" {
  dcc_need_tool systemd-analyze
  run unit_dump
  [[ "$output" == *$'\tDropIn Path: '"$DROPIN"$'\n'* ]]
  [[ "$output" == *$'\tEnvironment: ALLOWED_SERVERS=127.0.0.1\n'* ]]
  [[ "$output" == *$'\tEnvironment: DISTCCD_OPTS=--log-level notice\n'* ]]
  [[ "$output" == *$'\tUser: distcc\n'* ]]
  [[ "$output" == *$'\tLogsDirectory: distccd\n'* ]]
  grep -q '^# ALLOWED_SERVERS lists the CLIENTS that may send jobs' "$DROPIN"
}

# Runs the unit's ExecStart the way systemd does: the words from systemd's own
# parse (the dump), "$$" turned into "$" at exec time, the environment of the
# unit plus $1, $2 as ALLOWED_SERVERS, DISTCCD_OPTS. The program it execs is
# $3 (the path in the unit is replaced).
run_execstart() {
  local line args=() a program=$3
  line=$(unit_dump | sed -n 's/^\t*Command Line: //p')
  [ -n "$line" ] || { echo "no ExecStart in systemd-analyze's dump" >&2; return 1; }
  eval "args=( $line )"
  for a in "${!args[@]}"; do
    args[a]=${args[a]//\$\$/\$}
    args[a]=${args[a]//\/usr\/bin\/distccd/$program}
  done
  env -i PATH=/usr/bin:/bin TMPDIR=/tmp ALLOWED_SERVERS="$1" DISTCCD_OPTS="$2" "${args[@]}"
}

@test "ExecStart: each word of ALLOWED_SERVERS becomes one --allow (the older \"A --allow B\" works too)" {
  dcc_need_tool systemd-analyze
  printf '#!/bin/sh\nfor a; do printf "[%%s]" "$a"; done; echo\n' >"$BATS_TEST_TMPDIR/show-args"
  chmod +x "$BATS_TEST_TMPDIR/show-args"
  local fixed='[--no-detach][--daemon][--port][3632][-N][15]'
  run run_execstart "127.0.0.1" "--log-level notice" "$BATS_TEST_TMPDIR/show-args"
  [ "$output" = "${fixed}[--allow][127.0.0.1][--log-level][notice]" ]
  run run_execstart "192.168.0.0/24 10.0.0.0/8  fd00::/8" "" "$BATS_TEST_TMPDIR/show-args"
  [ "$output" = "${fixed}[--allow][192.168.0.0/24][--allow][10.0.0.0/8][--allow][fd00::/8]" ]
  run run_execstart "192.168.0.0/24 --allow 10.0.0.0/8" "" "$BATS_TEST_TMPDIR/show-args"
  [ "$output" = "${fixed}[--allow][192.168.0.0/24][--allow][10.0.0.0/8]" ]
  run run_execstart "" "--stats --listen 10.0.0.1" "$BATS_TEST_TMPDIR/show-args"
  [ "$output" = "${fixed}[--stats][--listen][10.0.0.1]" ]
  # Shell patterns are not expanded.
  run run_execstart "*" "" "$BATS_TEST_TMPDIR/show-args"
  [ "$output" = "${fixed}[--allow][*]" ]
}

@test "ExecStart with two networks starts the real distccd allowing both" {
  dcc_need_tool systemd-analyze
  SERVICE_DIR=$(mktemp -d /tmp/dcc-unit.XXXXXX)
  chmod 0755 "$SERVICE_DIR"
  mkdir "$SERVICE_DIR/whitelist"
  ln -s /usr/bin/distcc "$SERVICE_DIR/whitelist/gcc"
  local port
  port=$(dcc_free_port)
  run run_execstart "10.1.0.0/16 192.168.7.0/24" \
    "--port $port --whitelist-dir $SERVICE_DIR/whitelist --log-stderr --lifetime 1" "$DCC_BIN/distccd"
  [ "$status" -eq 0 ]
  [[ "$output" == *"listening on all addresses port $port, "*" allowing 10.1.0.0/16 192.168.7.0/24"* ]] ||
    { echo "$output"; false; }
}

@test "the unit's hardening leaves compiling alone; its log directory matches tmpfiles.d" {
  [ "$(sed -n '/^# Hardening/,/^$/{/^[A-Z]/p}' "$UNIT")" = "NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=user mnt pid net ipc
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
CapabilityBoundingSet=" ]
  # The only writable places under ProtectSystem=strict: the private /tmp
  # for jobs and /var/log/distccd.
  grep -qx 'Environment=TMPDIR=/tmp' "$UNIT"
  grep -qx 'LogsDirectory=distccd' "$UNIT"
  run ! grep -q 'ReadWritePaths' "$UNIT"
  [ "$(grep -v '^#' "$D/usr/lib/tmpfiles.d/distccd.conf")" = "d /var/log/distccd 0755 distcc distcc -" ]
}

@test "systemd-tmpfiles creates /var/log/distccd for distcc" {
  dcc_need_tool systemd-tmpfiles
  mkdir -p "$D/etc"
  echo 'distcc:x:240:240::/dev/null:/sbin/nologin' >"$D/etc/passwd"
  echo 'distcc:x:240:' >"$D/etc/group"
  run systemd-tmpfiles --root="$D" --create
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(stat -c '%a %u:%g' "$D/var/log/distccd")" = "755 240:240" ]
}

# --- distccd(1) -----------------------------------------------------------

@test "distccd(1) documents every option of distccd --help, its exit codes, whitelist and stats endpoints" {
  local page="$DCC_TOP/man/distccd.1" opt code
  run "$DCC_BIN/distccd" --help
  [ "$status" -eq 0 ]
  local help=$output
  [ "$(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u | wc -l)" -ge 25 ]
  while read -r opt; do
    grep -qF -- "${opt//-/\\-}" "$page" || { echo "distccd.1 lacks $opt"; false; }
  done < <(grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z-]+' <<<"$help" | grep -oE -- '--[a-z][a-z-]+')
  while read -r opt; do
    grep -qE "^\.BR \\\\$opt \", \"" "$page" || { echo "distccd.1 lacks the short option $opt"; false; }
  done < <(grep -oE -- '^ +-[a-zA-Z],' <<<"$help" | grep -oE -- '-[a-zA-Z]')
  [ "$(sed -n 's/.*Exit codes: //p' <<<"$help")" != "" ]
  while read -r code; do
    sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$page" | grep -qx "\.B $code" || { echo "distccd.1 lacks exit $code"; false; }
  done < <(sed -n '/Exit codes:/,$p' <<<"$help" | grep -oE '\b1[0-9]{2} [a-z]' | cut -c1-3 | sort -u)
  for section in SECURITY WHITELIST "STATISTICS PORT" ENVIRONMENT "EXIT STATUS" FILES; do
    grep -qx "\.SH $section" "$page" || { echo "distccd.1 lacks $section"; false; }
  done
  for endpoint in / /stats.json /metrics /toolchain; do
    sed -n '/^\.SH STATISTICS PORT/,/^\.SH /p' "$page" | grep -qx "\.B $endpoint" || { echo "distccd.1 lacks $endpoint"; false; }
  done
  dcc_need_tool groff
  run groff -man -ww -z "$page"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}
