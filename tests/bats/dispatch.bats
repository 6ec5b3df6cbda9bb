#!/usr/bin/env bats
# Jobs go only to helpers whose toolchain fits this machine's
# (DISTCC_TOOLCHAIN_MATCH): our helpers say theirs in the CAPS answer, stock
# 3.4 helpers are probed once; a skipped helper is named once.
# shellcheck disable=SC2154 # output, lines, status come from bats' run
# shellcheck disable=SC2030,SC2031 # each @test is a subshell on purpose

load common
bats_require_minimum_version 1.5.0

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DISTCC_TOOLCHAIN_MATCH DISTCC_HELPER_TTL DISTCCD_PATH
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  printf 'int main(void) { return 0; }\n' >x.c
  printf 'int y(void) { return 1; }\n' >y.c
  MACHINE=$(gcc -dumpmachine)
  VERSION=$(gcc -dumpfullversion)
  CC_NAME="$MACHINE-gcc"
}

teardown() {
  dcc_stop_first_distccd
  dcc_stop_distccd
  dcc_stop_pid "${STOCK_PID:-}"
  STOCK_PID=
  [ -n "${STOCK_DIR:-}" ] && rm -rf "$STOCK_DIR"
  [ -n "${WRAP_DIR:-}" ] && rm -rf "$WRAP_DIR"
  WRAP_DIR=
}

# A directory (WRAP_DIR) with gcc and CHOST-gcc that compile with this
# machine's gcc but say they are version $1: -dumpversion,
# -dumpfullversion and the "gcc version" line of -v. Readable by nobody, who
# runs stock's jobs.
make_wrapper() { # FAKE_VERSION
  WRAP_DIR=$(mktemp -d /tmp/dcc-wrap.XXXXXX)
  chmod 0755 "$WRAP_DIR"
  cat >"$WRAP_DIR/gcc" <<EOF
#!/bin/sh
for a in "\$@"; do
  case \$a in
    -dumpversion|-dumpfullversion) echo $1; exit 0 ;;
  esac
done
err=\$(mktemp) || exit 1
/usr/bin/gcc "\$@" 2>"\$err"
rc=\$?
sed 's/^gcc version $VERSION /gcc version $1 /' "\$err" >&2
rm -f "\$err"
exit \$rc
EOF
  chmod 0755 "$WRAP_DIR/gcc"
  cp "$WRAP_DIR/gcc" "$WRAP_DIR/$CC_NAME"
}

# Our helper whose gcc says it is $1 (FIRST_*), and one with this machine's
# gcc (DAEMON_*). The wrapper is a shell script: no job sandbox for it.
start_two_helpers() { # FAKE_VERSION
  make_wrapper "$1"
  DISTCCD_PATH="$WRAP_DIR:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  dcc_keep_first_distccd
  dcc_start_distccd
}

skip_line() { # PORT FAKE_VERSION POLICY
  echo "distcc: warning: helper 127.0.0.1:$1 has $CC_NAME $2, this machine $VERSION: skipping it for $CC_NAME jobs (DISTCC_TOOLCHAIN_MATCH=$3)"
}

@test "a job skips the helper whose gcc is another version, named once for two jobs" {
  start_two_helpers 13.2.1
  export DISTCC_HOSTS="127.0.0.1:$FIRST_PORT 127.0.0.1:$DAEMON_PORT"
  run --separate-stderr "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$stderr")" = "$(skip_line "$FIRST_PORT" 13.2.1 exact)" ]
  run --separate-stderr "$DCC_BIN/distcc" gcc -c y.c -o y.o
  [ "$status" -eq 0 ]
  [ "$stderr" = "" ]
  [ "$(compiled_jobs "$FIRST_LOG")" -eq 0 ]
  [ "$(compiled_jobs)" -eq 2 ]
  [ -s x.o ] && [ -s y.o ]
}

@test "DISTCC_VERBOSE names the skipped helper for every job, after the first warning" {
  start_two_helpers 13.2.1
  export DISTCC_HOSTS="127.0.0.1:$FIRST_PORT 127.0.0.1:$DAEMON_PORT"
  "$DCC_BIN/distcc" gcc -c x.c -o x.o 2>/dev/null
  run --separate-stderr env DISTCC_VERBOSE=1 "$DCC_BIN/distcc" gcc -c y.c -o y.o
  [ "$status" -eq 0 ]
  grep -qxF "distcc: debug: helper 127.0.0.1:$FIRST_PORT has $CC_NAME 13.2.1, this machine $VERSION: skipping it (DISTCC_TOOLCHAIN_MATCH=exact)" <<<"$(without_pids <<<"$stderr")"
  grep -qxF "distcc: info: job y.c: compiled on 127.0.0.1:$DAEMON_PORT/4" <<<"$(without_pids <<<"$stderr")"
}

@test "when no helper fits, the job builds here and the verbose log says why" {
  make_wrapper 13.2.1
  DISTCCD_PATH="$WRAP_DIR:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT"
  run --separate-stderr env DISTCC_VERBOSE=1 "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$status" -eq 0 ]
  local why="no helper's toolchain fits: helper 127.0.0.1:$DAEMON_PORT has $CC_NAME 13.2.1, this machine $VERSION"
  grep -qxF "distcc: info: x.c is built here: $why" <<<"$(without_pids <<<"$stderr")"
  grep -qxF "distcc: info: job x.c: built locally ($why), exit 0" <<<"$(without_pids <<<"$stderr")"
  [ "$(compiled_jobs)" -eq 0 ]
  [ -s x.o ]
}

@test "DISTCC_TOOLCHAIN_MATCH=off sends the job to a helper with another gcc" {
  make_wrapper 13.2.1
  DISTCCD_PATH="$WRAP_DIR:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_TOOLCHAIN_MATCH=off DISTCC_FALLBACK=0
  run --separate-stderr "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$status" -eq 0 ]
  [ "$stderr" = "" ]
  [ "$(compiled_jobs)" -eq 1 ]
}

@test "a patch level apart: exact skips the helper, minor sends it the job" {
  local major_minor=${VERSION%.*}
  local patch=${VERSION##*.}
  local other="$major_minor.$((patch + 1))"
  make_wrapper "$other"
  DISTCCD_PATH="$WRAP_DIR:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT"
  run --separate-stderr "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$stderr")" = "$(skip_line "$DAEMON_PORT" "$other" exact)" ]
  [ "$(compiled_jobs)" -eq 0 ]
  run --separate-stderr env DISTCC_TOOLCHAIN_MATCH=minor DISTCC_FALLBACK=0 "$DCC_BIN/distcc" gcc -c y.c -o y.o
  [ "$status" -eq 0 ]
  [ "$stderr" = "" ]
  [ "$(compiled_jobs)" -eq 1 ]
}

@test "minor still skips a helper whose gcc is another minor version" {
  make_wrapper 13.2.1
  DISTCCD_PATH="$WRAP_DIR:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_TOOLCHAIN_MATCH=minor
  run --separate-stderr "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$stderr")" = "$(skip_line "$DAEMON_PORT" 13.2.1 minor)" ]
  [ "$(compiled_jobs)" -eq 0 ]
}

@test "a bad DISTCC_TOOLCHAIN_MATCH is named and counts as exact" {
  start_two_helpers 13.2.1
  export DISTCC_HOSTS="127.0.0.1:$FIRST_PORT 127.0.0.1:$DAEMON_PORT" DISTCC_TOOLCHAIN_MATCH=patch
  run --separate-stderr "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$stderr")" = "distcc: warning: DISTCC_TOOLCHAIN_MATCH=patch is not exact, minor or off: using exact
$(skip_line "$FIRST_PORT" 13.2.1 exact)" ]
  [ "$(compiled_jobs)" -eq 1 ]
}

@test "a stock 3.4 helper with another gcc is probed once and skipped; one with this gcc gets the jobs" {
  make_wrapper 13.2.1
  PATH="$WRAP_DIR:$PATH" dcc_start_stock_distccd
  dcc_start_distccd
  export DISTCC_HOSTS="127.0.0.1:$STOCK_PORT 127.0.0.1:$DAEMON_PORT"
  run --separate-stderr "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$stderr")" = "$(skip_line "$STOCK_PORT" 13.2.1 exact)" ]
  run --separate-stderr "$DCC_BIN/distcc" gcc -c y.c -o y.o
  [ "$status" -eq 0 ]
  [ "$stderr" = "" ]
  # The probe is stock's one compile; the jobs went to ours.
  [ "$(grep -c "COMPILE_OK exit:0" "$STOCK_LOG")" -eq 1 ]
  [ "$(compiled_jobs)" -eq 2 ]
}

@test "a stock 3.4 helper with this machine's gcc is probed once and gets the jobs" {
  dcc_start_stock_distccd
  export DISTCC_HOSTS="127.0.0.1:$STOCK_PORT" DISTCC_FALLBACK=0
  run --separate-stderr "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$status" -eq 0 ]
  [ "$stderr" = "" ]
  run --separate-stderr "$DCC_BIN/distcc" gcc -c y.c -o y.o
  [ "$status" -eq 0 ]
  # probe, x.c, y.c
  [ "$(grep -c "COMPILE_OK exit:0" "$STOCK_LOG")" -eq 3 ]
}

@test "eight jobs that start together probe a stock helper once" {
  dcc_start_stock_distccd
  export DISTCC_HOSTS="127.0.0.1:$STOCK_PORT/8" DISTCC_FALLBACK=0
  local i pids=()
  for i in 1 2 3 4 5 6 7 8; do
    printf 'int f%d(void) { return %d; }\n' "$i" "$i" >"u$i.c"
    "$DCC_BIN/distcc" gcc -c "u$i.c" -o "u$i.o" 2>>errors &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  [ ! -s errors ]
  # One probe and the eight jobs.
  [ "$(grep -c "COMPILE_OK exit:0" "$STOCK_LOG")" -eq 9 ]
}

@test "a real second gcc (gcc-11) on a helper is skipped by its version" {
  [ -x /usr/bin/gcc-11 ] || skip "skipped: needs gcc-11 (apt-get install gcc-11)"
  WRAP_DIR=$(mktemp -d /tmp/dcc-wrap.XXXXXX)
  chmod 0755 "$WRAP_DIR"
  ln -s /usr/bin/gcc-11 "$WRAP_DIR/gcc"
  ln -s /usr/bin/gcc-11 "$WRAP_DIR/$CC_NAME"
  local v11
  v11=$(gcc-11 -dumpfullversion)
  DISTCCD_PATH="$WRAP_DIR:/usr/bin:/bin" dcc_start_distccd
  dcc_keep_first_distccd
  dcc_start_distccd
  export DISTCC_HOSTS="127.0.0.1:$FIRST_PORT 127.0.0.1:$DAEMON_PORT"
  run --separate-stderr "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$stderr")" = "$(skip_line "$FIRST_PORT" "$v11" exact)" ]
  [ "$(compiled_jobs "$FIRST_LOG")" -eq 0 ]
  [ "$(compiled_jobs)" -eq 1 ]
}

# ---------------------------------------------------------------------------
# -march=native and -mtune=native

# A unit with SSE/AVX intrinsics: which path it takes depends on the flags.
write_simd() {
  cat >simd.c <<'C'
#include <immintrin.h>
#include <stddef.h>
float dot(const float *a, const float *b, size_t n)
{
    size_t i = 0;
    float s = 0;
#ifdef __AVX__
    __m256 acc = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8)
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    float t[8];
    _mm256_storeu_ps(t, acc);
    for (int k = 0; k < 8; k++)
        s += t[k];
#else
    __m128 acc = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4)
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
    float t[4];
    _mm_storeu_ps(t, acc);
    for (int k = 0; k < 4; k++)
        s += t[k];
#endif
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}
void scale(float *v, size_t n, float k)
{
    for (size_t i = 0; i < n; i++)
        v[i] *= k;
}
C
}

@test "-march=native goes to a fitting helper as explicit flags; objects match a local -march=native build" {
  gcc -march=native -Q --help=target 2>/dev/null | grep -q '^  -march=  *native' && skip "skipped: gcc does not detect this CPU"
  write_simd
  dcc_start_distccd
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0
  local units=(simd.c "$DCC_TOP/engine/lib/base/dcc_util.c" "$DCC_TOP/engine/lib/proto/dcc_hosts.c" "$DCC_TOP/engine/lib/proto/dcc_march.c")
  local n=0 u
  for u in "${units[@]}"; do
    n=$((n + 1))
    run --separate-stderr env DISTCC_VERBOSE=1 "$DCC_BIN/distcc" gcc -std=gnu11 -O2 -D_GNU_SOURCE -I"$DCC_TOP/engine/lib" -march=native -c "$u" -o "r$n.o"
    [ "$status" -eq 0 ]
    grep -q "debug: expanded -march=native/-mtune=native: $CC_NAME -std=gnu11 -O2 -D_GNU_SOURCE -I$DCC_TOP/engine/lib -march=[a-z0-9-]* " <<<"$stderr"
    grep -q "info: job $(basename "$u"): compiled on 127.0.0.1:$DAEMON_PORT/4" <<<"$stderr"
    gcc -std=gnu11 -O2 -D_GNU_SOURCE -I"$DCC_TOP/engine/lib" -march=native -c "$u" -o "l$n.o"
    cmp "r$n.o" "l$n.o"
  done
  [ "$(compiled_jobs)" -eq 4 ]
  # Expanded once for the build: kept per compiler and CPU.
  [ "$(ls "$DISTCC_DIR/march")" = "usr_bin_gcc.json" ]
}

@test "-mtune=native alone is expanded too, and the object matches" {
  write_simd
  dcc_start_distccd
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0
  run --separate-stderr env DISTCC_VERBOSE=1 "$DCC_BIN/distcc" gcc -O2 -mtune=native -c simd.c -o r.o
  [ "$status" -eq 0 ]
  grep -q "debug: expanded -march=native/-mtune=native: $CC_NAME -O2 -mtune=" <<<"$stderr"
  gcc -O2 -mtune=native -c simd.c -o l.o
  cmp r.o l.o
  [ "$(compiled_jobs)" -eq 1 ]
}

@test "-march=native goes only to a helper known to fit, even with DISTCC_TOOLCHAIN_MATCH=off" {
  write_simd
  start_two_helpers 13.2.1
  export DISTCC_HOSTS="127.0.0.1:$FIRST_PORT" DISTCC_TOOLCHAIN_MATCH=off
  run --separate-stderr "$DCC_BIN/distcc" gcc -O2 -march=native -c simd.c -o r.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$stderr")" = "$(skip_line "$FIRST_PORT" 13.2.1 exact)" ]
  [ "$(compiled_jobs "$FIRST_LOG")" -eq 0 ]
  # A plain job still goes there (off).
  run --separate-stderr "$DCC_BIN/distcc" gcc -O2 -c simd.c -o p.o
  [ "$status" -eq 0 ]
  [ "$(compiled_jobs "$FIRST_LOG")" -eq 1 ]
  # The fitting helper gets the -march=native job.
  DISTCC_HOSTS="127.0.0.1:$FIRST_PORT 127.0.0.1:$DAEMON_PORT" run --separate-stderr "$DCC_BIN/distcc" gcc -O2 -march=native -c simd.c -o r2.o
  [ "$status" -eq 0 ]
  [ "$(compiled_jobs)" -eq 1 ]
  [ "$(compiled_jobs "$FIRST_LOG")" -eq 1 ]
}

@test "clang's -march=native stays here, and the verbose log says why" {
  dcc_need_tool clang
  write_simd
  dcc_start_distccd
  export DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT"
  run --separate-stderr env DISTCC_VERBOSE=1 "$DCC_BIN/distcc" clang -O2 -march=native -c simd.c -o c.o
  [ "$status" -eq 0 ]
  grep -qxF "distcc: debug: simd.c must be built locally: -march=native is not expanded: clang is not supported: its -march=native is a CPU name plus a -target-feature list that -m flags do not reproduce exactly; use gcc" <<<"$(without_pids <<<"$stderr")"
  [ "$(compiled_jobs)" -eq 0 ]
  [ -s c.o ]
}

@test "a helper that does not answer the CAPS question is backed off like a failed job; the next job does not ask it" {
  local port
  port=$(dcc_free_port)
  timeout 60 python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
n = 0
while True:
    c, _ = s.accept()
    n += 1
    open("accepted", "w").write(str(n))
    time.sleep(30)
' "$port" &
  local listener=$!
  dcc_wait_port "$port"
  run --separate-stderr env DISTCC_HOSTS="127.0.0.1:$port" DISTCC_IO_TIMEOUT=2 "$DCC_BIN/distcc" gcc -c x.c -o x.o
  [ "$status" -eq 0 ]
  [ "$(without_pids <<<"$stderr")" = "distcc: warning: failed to distribute x.c to 127.0.0.1:$port/4 (asking 127.0.0.1 what it can do: while waiting for CAPS: timed out after 2 s waiting to read from peer), running locally instead" ]
  [ -e "$DISTCC_DIR/lock/backoff_tcp_127.0.0.1_${port}_0" ]
  run --separate-stderr env DISTCC_HOSTS="127.0.0.1:$port" DISTCC_IO_TIMEOUT=2 "$DCC_BIN/distcc" gcc -c y.c -o y.o
  [ "$status" -eq 0 ]
  [ "$stderr" = "" ]
  [ "$(cat accepted)" -eq 1 ]
  dcc_stop_pid "$listener"
}
