#!/usr/bin/env bats
# distccmon-gui: the GTK monitor under a virtual X server, its --dump of what the window drew, its screenshots, a real build.
# shellcheck disable=SC2154 # output, lines, stderr, stderr_lines come from bats' run
# shellcheck disable=SC2030,SC2031 # each @test is a subshell on purpose

load common
bats_require_minimum_version 1.5.0

# One Xvfb for the file, on a display number it picks itself (-displayfd),
# bounded by timeout and stopped by pid. state-writer.c records jobs with
# the library's state writer; xwd-check.c reads screenshots.
setup_file() {
  GUI="$DCC_BIN/distccmon-gui"
  WRITER="$BATS_FILE_TMPDIR/state-writer"
  XWD_CHECK="$BATS_FILE_TMPDIR/xwd-check"
  export GUI WRITER XWD_CHECK
  [ -x "$GUI" ] || return 0
  dcc_cc_with_libdcc "$WRITER" "$DCC_TOP/tests/bats/state-writer.c"
  # shellcheck disable=SC2046 # pkg-config's words are separate flags
  cc -std=gnu11 -O2 -o "$XWD_CHECK" "$DCC_TOP/tests/bats/xwd-check.c" $(pkg-config --cflags --libs gdk-pixbuf-2.0)
  dcc_need_tool Xvfb xwd
  timeout 1200 Xvfb -displayfd 3 -nolisten tcp -screen 0 2000x1400x24 \
    3>"$BATS_FILE_TMPDIR/display" 2>"$BATS_FILE_TMPDIR/xvfb.log" &
  XVFB_PID=$!
  export XVFB_PID
  local i
  for ((i = 0; i < 100; i++)); do
    [ -s "$BATS_FILE_TMPDIR/display" ] && break
    sleep 0.1
  done
  [ -s "$BATS_FILE_TMPDIR/display" ] || { cat "$BATS_FILE_TMPDIR/xvfb.log" >&2; return 1; }
  DISPLAY=":$(cat "$BATS_FILE_TMPDIR/display")"
  export DISPLAY
}

teardown_file() {
  dcc_stop_pid "${XVFB_PID:-}"
}

setup() {
  [ -x "$GUI" ] || skip "distccmon-gui is not built (no gtk+-3.0)"
  export HOME="$BATS_TEST_TMPDIR/home"
  mkdir -p "$HOME"
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  STATE="$DISTCC_DIR/state"
  export DISTCC_HOSTS=""
  # No accessibility bus here; GTK would warn about it on stderr.
  export NO_AT_BRIDGE=1 GDK_BACKEND=x11
  unset GDK_SCALE GDK_DPI_SCALE
  WRITERS=()
  GUI_PID=
}

teardown() {
  # Every writer at once (hundreds in one test), then each is waited for.
  local p
  [ "${#WRITERS[@]}" -eq 0 ] || kill "${WRITERS[@]}" 2>/dev/null || true
  for p in "${WRITERS[@]}"; do dcc_stop_pid "$p"; done
  dcc_stop_pid "${GUI_PID:-}"
  dcc_stop_pid "${BUILD_PID:-}"
  dcc_stop_distccd
}

# Starts a writer and waits until its state file is in place; sets LAST_PID.
start_writer() {
  "$WRITER" "$@" &
  LAST_PID=$!
  WRITERS+=("$LAST_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    [ -f "$STATE/binstate_$LAST_PID" ] && return 0
    sleep 0.05
  done
  echo "state-writer $* wrote no $STATE/binstate_$LAST_PID" >&2
  return 1
}

# Five live jobs on four hosts, plus a crashed client and a finished job
# that must not show.
make_scene() {
  start_writer 2 u.c 10.9.9.9 0
  P_U=$LAST_PID
  start_writer 5 /src/big.c 127.0.0.1 0
  P_BIG=$LAST_PID
  start_writer 4 small.c 127.0.0.1 1
  P_SMALL=$LAST_PID
  start_writer 6 r.c box 1
  P_R=$LAST_PID
  start_writer 3 a_very_long_source_file_name_indeed.cpp localhost 0
  P_LONG=$LAST_PID
  start_writer 5 dead.c 127.0.0.1 2
  kill -9 "$LAST_PID"
  wait "$LAST_PID" 2>/dev/null || true
  start_writer 7 done.c 127.0.0.1 3
  export DISTCC_HOSTS="127.0.0.1/4 localhost/2 box:3700/2 --localslots=3"
}

# The durations depend on when the test ran; everything else is exact.
mask_durations() {
  sed -E 's/in phase [0-9.]+[smh][0-9]*[smh]?, running [0-9.]+[smh][0-9]*[smh]?$/in phase T, running T/'
}

# Waits (bounded) until xwd finds the window titled $1, then keeps taking
# screenshots into $2 until at least $4 pixels (default 1) near colour $3 are
# on it (the window has drawn the jobs). Prints xwd-check's report of the
# last one.
screenshot_showing() {
  local title=$1 out=$2 colour=$3 least=${4:-1} report n end=$((SECONDS + 60))
  # Bounded by time, not tries: on a loaded machine (make check -j with
  # other builds) one round of xwd and xwd-check can take a second.
  while [ "$SECONDS" -lt "$end" ]; do
    if xwd -display "$DISPLAY" -name "$title" -out "$out" 2>/dev/null; then
      report=$("$XWD_CHECK" "$out" --near "$colour")
      n=$(sed -n "s/^near $colour //p" <<<"$report")
      if [ "${n:-0}" -ge "$least" ]; then
        echo "$report"
        return 0
      fi
    fi
    sleep 0.1
  done
  echo "no screenshot of \"$title\" showing $least pixels of #$colour; last: ${report:-none}" >&2
  return 1
}

# ---- arguments ------------------------------------------------------------

@test "--help and --version work without a display" {
  run --separate-stderr env -u DISPLAY "$GUI" --help
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Usage: distccmon-gui [OPTION...]" ]
  [[ "$output" == *"Exit status: 0 closed, 100 no display, 101 bad arguments, 105 out of memory,"* ]]
  [ -z "$stderr" ]
  run --separate-stderr env -u DISPLAY "$GUI" --version
  [ "$status" -eq 0 ]
  [ "$output" = "distccmon-gui $(cat "$DCC_TOP/VERSION")" ]
}

@test "the man page documents every option --help lists and renders without warnings" {
  local page="$DCC_TOP/man/distccmon-gui.1" opt
  run -0 env -u DISPLAY "$GUI" --help
  local opts
  opts=$(grep -oE '^ +(-\?, )?--[a-z-]+' <<<"$output" | grep -oE -- '--[a-z-]+')
  [ -n "$opts" ]
  for opt in $opts; do
    grep -qF -- "${opt//-/\\-}" "$page" || { echo "man page lacks $opt"; false; }
  done
  dcc_need_tool man
  run -0 --separate-stderr env MANWIDTH=80 man --warnings -l "$page"
  [ -z "$stderr" ]
  [[ "$(tr -s " \n" "  " <<<"$output")" == *"distccmon-gui, distccmon-gnome - watch the distcc jobs of this machine in a window"* ]]
}

@test "bad arguments are one error line and exit 101" {
  local bad
  for bad in --bogus "--polls 0" "--interval 0" "--interval nan" "--stats-port 70000" extra; do
    # shellcheck disable=SC2086 # each case is several words on purpose
    run --separate-stderr env -u DISPLAY "$GUI" $bad
    [ "$status" -eq 101 ]
    [ -z "$output" ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "${stderr_lines[0]}" =~ ^distccmon-gui\[[0-9]+\]\ error:\ (bad|unexpected) ]]
  done
}

@test "without a display it says so and exits 100" {
  run --separate-stderr env -u DISPLAY -u WAYLAND_DISPLAY "$GUI" --dump --no-stats
  [ "$status" -eq 100 ]
  [ -z "$output" ]
  [[ "$stderr" == *'error: cannot open the display "": run it in an X or Wayland session, or give --display' ]]
}

# ---- what the window shows --------------------------------------------------

@test "--dump prints the hosts, slot rows with history and jobs the window drew" {
  make_scene
  run --separate-stderr "$GUI" --dump --polls 2 --interval 0.1 --no-stats
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  local got
  got=$(printf '%s\n' "${lines[@]}" | grep -v -e '^scale: ' -e '^row height: ' -e '^window: ' | mask_durations)
  local want
  want=$(
    cat <<EOF
directory: $DISTCC_DIR
  * $DISTCC_DIR (\$DISTCC_DIR)
    $HOME/.distcc (yours)
    /var/tmp/portage/.distcc (Portage)
status: 5 jobs running on 4 hosts, 0 finished
hosts: 4
  127.0.0.1:3632  2/4 running  0 done
  localhost  1/3 running  0 done
  box:3700  1/2 running  0 done
  10.9.9.9  1 running  0 done
slots: 10
  10.9.9.9[0]              Connect    u.c                            |NN|
  127.0.0.1[0]             Compile    big.c                          |CC|
  127.0.0.1[1]             Send       small.c                        |SS|
  127.0.0.1[2]             idle                                      |..|
  127.0.0.1[3]             idle                                      |..|
  box[0]                   idle                                      |..|
  box[1]                   Receive    r.c                            |RR|
  localhost[0]             Preprocess a_very_long_source_file_name_indeed.cpp |PP|
  localhost[1]             idle                                      |..|
  localhost[2]             idle                                      |..|
jobs: 5
  $(printf '%6d' "$P_U")  10.9.9.9[0]              Connect    u.c  in phase T, running T
  $(printf '%6d' "$P_BIG")  127.0.0.1[0]             Compile    big.c  in phase T, running T
  $(printf '%6d' "$P_SMALL")  127.0.0.1[1]             Send       small.c  in phase T, running T
  $(printf '%6d' "$P_R")  box[1]                   Receive    r.c  in phase T, running T
  $(printf '%6d' "$P_LONG")  localhost[0]             Preprocess a_very_long_source_file_name_indeed.cpp  in phase T, running T
EOF
  )
  diff <(echo "$want") <(echo "$got")
  [ "${lines[5]}" = "scale: 1" ]
  [[ "${lines[6]}" =~ ^row\ height:\ ([0-9]+)\ \(([0-9]+)\ pixels\)$ ]]
  [ "${BASH_REMATCH[1]}" -ge 12 ]
  [ "${BASH_REMATCH[1]}" -eq "${BASH_REMATCH[2]}" ]
  [ "${lines[7]}" = "window: 820x600 (820x600 pixels)" ]
}

@test "the text monitor and the window show the same jobs and load" {
  make_scene
  local text
  text=$("$DCC_BIN/distccmon-text")
  run --separate-stderr "$GUI" --dump --no-stats
  [ "$status" -eq 0 ]
  # Every host line of the text monitor, "  NAME  R/S running", is in the dump.
  local line
  while IFS= read -r line; do
    [[ "$line" == "  "*" running" ]] || continue
    [[ "$output" == *"$line  0 done"* ]]
  done <<<"$text"
  [ "$(grep -c ' running$' <<<"$text")" -eq 4 ]
}

@test "no activity: the window says there are no jobs" {
  mkdir -p "$STATE"
  run --separate-stderr "$GUI" --dump --no-stats
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "${lines[4]}" = "status: No distcc jobs running (0 finished since this monitor started)" ]
  [[ "$output" == *$'\nhosts: 0\nslots: 0\njobs: 0' ]]
}

@test "a missing state directory is a message in the window, and is not created" {
  run --separate-stderr "$GUI" --dump --no-stats
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "${lines[4]}" = "status: No state directory $STATE yet: no distcc job has run with DISTCC_DIR=$DISTCC_DIR" ]
  [ ! -e "$DISTCC_DIR" ]
}

@test "an unreadable state directory is a message in the window, not a crash" {
  mkdir -p "$DISTCC_DIR"
  : >"$STATE"
  run --separate-stderr "$GUI" --dump --no-stats
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "${lines[4]}" = "status: cannot read state directory $STATE: Not a directory" ]
  [[ "$output" == *$'\njobs: 0' ]]
}

@test "the directory switch offers yours and Portage's, starting with the one asked for" {
  unset DISTCC_DIR
  run --separate-stderr "$GUI" --dump --no-stats
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "directory: $HOME/.distcc" ]
  [ "${lines[1]}" = "  * $HOME/.distcc (yours)" ]
  [ "${lines[2]}" = "    /var/tmp/portage/.distcc (Portage)" ]
  [ "${lines[3]}" = "status: No state directory $HOME/.distcc/state yet: no distcc job has run with DISTCC_DIR=$HOME/.distcc" ]
  # The wiki's line for Portage, trailing slash and all.
  DISTCC_DIR=/var/tmp/portage/.distcc/ run --separate-stderr "$GUI" --dump --no-stats
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "directory: /var/tmp/portage/.distcc" ]
  [ "${lines[1]}" = "  * /var/tmp/portage/.distcc (\$DISTCC_DIR)" ]
  [ "${lines[2]}" = "    $HOME/.distcc (yours)" ]
  [ "${#lines[@]}" -ge 4 ]
  [[ "${lines[3]}" == "status: "* ]]
  run --separate-stderr "$GUI" --dump --no-stats --distcc-dir "$BATS_TEST_TMPDIR/other"
  [ "${lines[0]}" = "directory: $BATS_TEST_TMPDIR/other" ]
  [ "${lines[1]}" = "  * $BATS_TEST_TMPDIR/other (--distcc-dir)" ]
}

@test "switching the directory in the window shows that directory's jobs" {
  dcc_need_tool xdotool
  # A job in ~/.distcc; none in $DISTCC_DIR, where the window starts.
  local start=$DISTCC_DIR yours="$HOME/.distcc"
  DISTCC_DIR=$yours STATE="$yours/state" start_writer 5 yours.c 127.0.0.1 0
  "$GUI" --no-stats --interval 0.05 2>"$BATS_TEST_TMPDIR/gui.err" &
  GUI_PID=$!
  run screenshot_showing "distcc monitor: $start" "$BATS_TEST_TMPDIR/before.xwd" 33b340
  [ "$status" -eq 0 ]
  [[ "${lines[2]}" =~ ^near\ 33b340\ ([0-9]+)$ ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ] # the legend's swatch only
  # One notch of the mouse wheel over the list picks its next entry, as a
  # user would; the window then watches ~/.distcc and draws its job.
  local wid
  wid=$(xdotool search --name "^distcc monitor: $start\$" | head -n 1)
  xdotool mousemove --window "$wid" 200 24 click 5
  run screenshot_showing "distcc monitor: $yours" "$BATS_TEST_TMPDIR/after.xwd" 33b340 2000
  [ "$status" -eq 0 ]
  dcc_stop_pid "$GUI_PID"
  GUI_PID=
  [ ! -s "$BATS_TEST_TMPDIR/gui.err" ]
}

@test "hundreds of jobs: every job listed, slot rows bounded" {
  local i
  for ((i = 0; i < 520; i++)); do
    "$WRITER" 5 "f$i.c" "h$((i % 10))" "$((i / 10))" &
    WRITERS+=("$!")
  done
  for ((i = 0; i < 200; i++)); do
    [ "$(find "$STATE" -name 'binstate_*' 2>/dev/null | wc -l)" -eq 520 ] && break
    sleep 0.1
  done
  run --separate-stderr "$GUI" --dump --polls 2 --interval 0.1 --no-stats
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "${lines[4]}" = "status: 520 jobs running on 10 hosts, 0 finished" ]
  [[ "$output" == *$'\nhosts: 10\n'* ]]
  [[ "$output" == *$'\nslots: 512\n'* ]]
  [[ "$output" == *$'\njobs: 520\n'* ]]
  [ "$(grep -c ' Compile    f[0-9]*\.c  in phase ' <<<"$output")" -eq 520 ]
  [[ "$output" == *'  h0  52 running  0 done'* ]]
}

# ---- screenshots ----------------------------------------------------------------

@test "a screenshot of the window shows the hosts' rows in their phase colours" {
  make_scene
  "$GUI" --no-stats --interval 0.05 2>"$BATS_TEST_TMPDIR/gui.err" &
  GUI_PID=$!
  # More Compile green than the legend's swatch holds: big.c's strip.
  run screenshot_showing "distcc monitor: $DISTCC_DIR" "$BATS_TEST_TMPDIR/shot.xwd" 33b340 2000
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "size 820x600" ]
  [[ "${lines[1]}" =~ ^colours\ ([0-9]+)$ ]]
  [ "${BASH_REMATCH[1]}" -gt 50 ] # text, rows and colours, not a blank window
  # Send, Receive and Preprocess are drawn in their colours too.
  run "$XWD_CHECK" "$BATS_TEST_TMPDIR/shot.xwd" --near 3373d9 --near 1ab3bf --near f2bf1a --png "$BATS_TEST_TMPDIR/shot.png"
  [ "$status" -eq 0 ]
  [[ "${lines[2]}" =~ ^near\ 3373d9\ [1-9][0-9]*$ ]]
  [[ "${lines[3]}" =~ ^near\ 1ab3bf\ [1-9][0-9]*$ ]]
  [[ "${lines[4]}" =~ ^near\ f2bf1a\ [1-9][0-9]*$ ]]
  [ -s "$BATS_TEST_TMPDIR/shot.png" ]
  dcc_stop_pid "$GUI_PID"
  GUI_PID=
  [ ! -s "$BATS_TEST_TMPDIR/gui.err" ]
}

@test "HiDPI: with GDK_SCALE=2 rows and window are drawn at twice the pixels" {
  make_scene
  run --separate-stderr "$GUI" --dump --no-stats
  [[ "${lines[6]}" =~ ^row\ height:\ ([0-9]+)\  ]]
  local rh=${BASH_REMATCH[1]}
  GDK_SCALE=2 run --separate-stderr "$GUI" --dump --no-stats
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "${lines[5]}" = "scale: 2" ]
  [ "${lines[6]}" = "row height: $rh ($((rh * 2)) pixels)" ]
  [ "${lines[7]}" = "window: 820x600 (1640x1200 pixels)" ]
  # The screen agrees: the window is twice as large, and still shows the rows.
  GDK_SCALE=2 "$GUI" --no-stats --interval 0.2 2>/dev/null &
  GUI_PID=$!
  run screenshot_showing "distcc monitor: $DISTCC_DIR" "$BATS_TEST_TMPDIR/shot2.xwd" 33b340
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "size 1640x1200" ]
}

# ---- helpers' figures ------------------------------------------------------------------

@test "a helper without --stats, and stock distccd's stats page, each say why there are no figures" {
  dcc_start_stock_distccd --listen 127.0.0.1 --stats --stats-port "$(dcc_free_port)"
  local stock_stats
  stock_stats=$(tr '\0' ' ' <"/proc/$STOCK_PID/cmdline" | sed -n 's/.*--stats-port \([0-9]*\).*/\1/p')
  dcc_wait_port "$stock_stats" 10
  # One stats port for all helpers: the closed one on 127.0.0.2, stock's on 127.0.0.1.
  export DISTCC_HOSTS="127.0.0.1:$STOCK_PORT/2 127.0.0.2:$STOCK_PORT/2 @sshbox/2"
  run --separate-stderr "$GUI" --dump --stats-port "$stock_stats"
  dcc_stop_pid "$STOCK_PID"
  rm -rf "$STOCK_DIR"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [[ "$output" == *$'\n'"  127.0.0.1:$STOCK_PORT  0/2 running  0 done  helper: no stats: stock distcc's stats page, no /stats.json; load -; -"$'\n'* ]]
  [[ "$output" =~ $'\n'"  127.0.0.2:$STOCK_PORT  0/2 running  0 done  helper: no stats: "[^$'\n']*"onnect"[^$'\n']*"; load -; -"$'\n' ]]
  # An ssh host has no stats port to ask.
  [[ "$output" == *$'\n'"  @sshbox  0/2 running  0 done"$'\n'* ]]
}

# ---- a real build ------------------------------------------------------------------

# Sources that keep the compiler busy for a moment each, so the build is
# still running while the monitor looks at it.
make_sources() {
  local dir=$1 n=$2 f i
  for ((f = 0; f < n; f++)); do
    {
      for ((i = 0; i < 250; i++)); do
        echo "int f${f}_$i(int x) { int s = 0; for (int k = 0; k < x; k++) s += k * $i ^ (s >> 3); return s; }"
      done
    } >"$dir/unit$f.c"
  done
}

@test "a real build through a local daemon: jobs, history, and the helper's own figures" {
  local sport
  sport=$(dcc_free_port)
  dcc_start_distccd --stats --stats-port "$sport"
  dcc_wait_port "$sport" 10
  local src="$BATS_TEST_TMPDIR/src"
  mkdir -p "$src" "$STATE"
  make_sources "$src" 8
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT/4"
  (
    cd "$src"
    for f in unit*.c; do
      DISTCC_FALLBACK=0 "$DCC_BIN/distcc" gcc -O2 -c "$f" -o "${f%.c}.o" &
      # Four at a time, like make -j4.
      while [ "$(jobs -rp | wc -l)" -ge 4 ]; do wait -n; done
    done
    wait
  ) >"$BATS_TEST_TMPDIR/build.log" 2>&1 &
  BUILD_PID=$!
  local i
  for ((i = 0; i < 200; i++)); do
    "$DCC_BIN/distccmon-text" | grep -q ' Compile ' && break
    sleep 0.05
  done
  "$GUI" --interval 0.25 --stats-port "$sport" 2>/dev/null &
  GUI_PID=$!
  run --separate-stderr "$GUI" --dump --polls 4 --interval 0.25 --stats-port "$sport"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  local dump=$output
  [[ "$dump" =~ $'\n'"  127.0.0.1:$DAEMON_PORT  "[0-4]"/4 running  "[0-9]+" done  helper: "[0-9]+" ok, 0 failed, "[0-9]+/[0-9]+" running; load "[0-9.]+"; "[^$'\n']*"gcc "[0-9]+\. ]]
  # A slot's history holds the Compile phase the client was seen in; the
  # build may have moved on by the last poll, so its current phase is free.
  local row_re=$'\n''  127\.0\.0\.1\[[0-3]\] +[A-Za-z]+ +(unit[0-7]\.c +)?\|[.UBNPSCR]*C[.UBNPSCR]*\|'
  [[ "$dump" =~ $row_re ]]
  [[ "$dump" == *"status: "*" finished"* ]]
  [[ "$dump" =~ $'\n'"jobs: "[0-4]$'\n' ]]
  # Screenshot while it builds: the rows in Compile green.
  run screenshot_showing "distcc monitor: $DISTCC_DIR" "$BATS_TEST_TMPDIR/build.xwd" 33b340
  [ "$status" -eq 0 ]
  "$XWD_CHECK" "$BATS_TEST_TMPDIR/build.xwd" --png "$BATS_TEST_TMPDIR/build.png" >/dev/null
  if [ -n "${DCC_GUI_SCREENSHOT:-}" ]; then cp "$BATS_TEST_TMPDIR/build.png" "$DCC_GUI_SCREENSHOT"; fi
  local rc=0
  wait "$BUILD_PID" || rc=$?
  BUILD_PID=
  [ "$rc" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/build.log" >&2; false; }
  for ((i = 0; i < 8; i++)); do [ -s "$src/unit$i.o" ]; done
  # Once the build is over the monitor counts its jobs as done on the host.
  run --separate-stderr "$GUI" --dump --stats-port "$sport"
  [[ "$output" == *"status: No distcc jobs running (0 finished since this monitor started)"* ]]
  [[ "$output" =~ "helper: 8 ok, 0 failed, 0/"[0-9]+" running" ]]
}
