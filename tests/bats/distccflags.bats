#!/usr/bin/env bats
# distccflags: -march=native expanded, proven on this machine's gcc, and every error path.
# shellcheck disable=SC2154 # stderr and stderr_lines come from run --separate-stderr

load common
bats_require_minimum_version 1.5.0

DATA="$DCC_TOP/tests/data/march"

# What the recorded gcc 12 output of this machine expands to.
RECORDED_FLAGS="-march=znver3 -mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx512cd -mavx512vbmi -mavx512ifma -mavx512vpopcntdq -mavx512vbmi2 -mgfni -mavx512vnni -mavx512bitalg -mavx512bf16 -mavx512vp2intersect -mmovdir64b -mmovdiri -mno-mwaitx -mno-pku -mno-rdpid -mno-rdseed -mno-wbnoinvd -mno-xsaves -mavxvnni"
RECORDED_PARAMS="--param=l1-cache-size=48 --param=l1-cache-line-size=64 --param=l2-cache-size=1024"

setup() {
  TMP="$BATS_TEST_TMPDIR"
  FLAGS="$DCC_BIN/distccflags"
  unset CC
}

# A gcc that replays recorded output: `-v` gives the cc1 line, and
# `-Q --help=target -march=znver3` the listing for the plain arch.
fake_gcc() {
  cat >"$TMP/fake-gcc" <<EOF
#!/usr/bin/env bash
for a in "\$@"; do
  if [ "\$a" = -v ]; then cat '$DATA/gcc12-debian-znver3-v.txt' >&2; exit 0; fi
done
if [ "\$*" = "-Q --help=target -march=znver3" ]; then
  cat '$DATA/gcc12-debian-help-target-znver3.txt'; exit 0
fi
echo "fake-gcc: unexpected arguments: \$*" >&2
exit 1
EOF
  chmod +x "$TMP/fake-gcc"
}

# A compiler that runs the given shell body.
script_gcc() {
  printf '#!/usr/bin/env bash\n%s\n' "$1" >"$TMP/script-gcc"
  chmod +x "$TMP/script-gcc"
}

need_native_gcc() {
  command -v gcc >/dev/null || skip "no gcc"
  gcc -march=native -E -x c - </dev/null >/dev/null 2>&1 || skip "gcc here cannot do -march=native"
}

@test "--help lists every option and the exit codes" {
  run "$FLAGS" --help
  [ "$status" -eq 0 ]
  [[ "$output" == "Usage: distccflags [OPTION...] [COMPILER FLAGS...]"* ]]
  for opt in --cc= --make-conf --vertical --drop-cache-params --check --timeout= --version; do
    [[ "$output" == *"$opt"* ]] || { echo "missing $opt"; false; }
  done
  [[ "$output" == *"Exit status: 0 done, 1 --check found a difference, 2 the compiler is"* ]]
  run "$FLAGS" "-?"
  [ "$status" -eq 0 ]
  [[ "$output" == "Usage: distccflags"* ]]
}

@test "--version prints the version" {
  run "$FLAGS" --version
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^distccflags\ [0-9]+\.[0-9]+ ]]
}

@test "recorded gcc 12 output expands to exactly the flags -march=znver3 lacks" {
  fake_gcc
  run "$FLAGS" --cc "$TMP/fake-gcc" -march=native
  [ "$status" -eq 0 ]
  [ "$output" = "$RECORDED_FLAGS $RECORDED_PARAMS" ]
}

@test "no arguments means -march=native" {
  fake_gcc
  run "$FLAGS" --cc "$TMP/fake-gcc"
  [ "$status" -eq 0 ]
  [ "$output" = "$RECORDED_FLAGS $RECORDED_PARAMS" ]
}

@test "the expansion has no derived GCC 12-only flags and no -mtune equal to the arch" {
  fake_gcc
  run "$FLAGS" --cc "$TMP/fake-gcc" --vertical
  [ "$status" -eq 0 ]
  if grep -E -- '^-m(move|store)-max=|^-mno-amx-tile$|^-mno-avx512fp16$|^-mno-uintr$|^-mtune=' <<<"$output"; then
    false
  fi
  [ "${lines[0]}" = "-march=znver3" ]
}

@test "other arguments pass through around the expansion" {
  fake_gcc
  run "$FLAGS" --cc "$TMP/fake-gcc" -O2 -pipe -march=native -fno-plt
  [ "$status" -eq 0 ]
  [ "$output" = "-O2 -pipe $RECORDED_FLAGS $RECORDED_PARAMS -fno-plt" ]
}

@test "-mtune=native next to -march=native adds nothing" {
  fake_gcc
  run "$FLAGS" --cc "$TMP/fake-gcc" -O2 -march=native -mtune=native
  [ "$status" -eq 0 ]
  [ "$output" = "-O2 $RECORDED_FLAGS $RECORDED_PARAMS" ]
}

@test "-mtune=native alone becomes the tune and the cache params" {
  fake_gcc
  run "$FLAGS" --cc "$TMP/fake-gcc" -O2 -mtune=native
  [ "$status" -eq 0 ]
  [ "$output" = "-O2 -mtune=znver3 $RECORDED_PARAMS" ]
}

@test "an explicit -mtune stays and drops the cache params gcc would not detect" {
  fake_gcc
  run "$FLAGS" --cc "$TMP/fake-gcc" -march=native -mtune=generic
  [ "$status" -eq 0 ]
  [ "$output" = "$RECORDED_FLAGS -mtune=generic" ]
}

@test "without native everything passes through and no compiler runs" {
  run "$FLAGS" --cc /nonexistent/gcc -O2 -pipe -march=x86-64-v3 --param=l1-cache-size=32
  [ "$status" -eq 0 ]
  [ "$output" = "-O2 -pipe -march=x86-64-v3 --param=l1-cache-size=32" ]
}

@test "-- passes our own option names through to the compiler words" {
  run "$FLAGS" -O2 -- --check --vertical
  [ "$status" -eq 0 ]
  [ "$output" = "-O2 --check --vertical" ]
}

@test "--make-conf prints lines ready for make.conf" {
  fake_gcc
  run "$FLAGS" --cc "$TMP/fake-gcc" --make-conf -O2 -pipe -march=native
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 5 ]
  [ "${lines[0]}" = "COMMON_FLAGS=\"-O2 -pipe $RECORDED_FLAGS $RECORDED_PARAMS\"" ]
  # shellcheck disable=SC2016 # the literal ${COMMON_FLAGS} is what make.conf needs
  [ "${lines[1]}" = 'CFLAGS="${COMMON_FLAGS}"' ]
  # shellcheck disable=SC2016
  [ "${lines[2]}" = 'CXXFLAGS="${COMMON_FLAGS}"' ]
  # shellcheck disable=SC2016
  [ "${lines[3]}" = 'FCFLAGS="${COMMON_FLAGS}"' ]
  # shellcheck disable=SC2016
  [ "${lines[4]}" = 'FFLAGS="${COMMON_FLAGS}"' ]
  # And bash reads it back to the same words.
  printf '%s\n' "$output" >"$TMP/make.conf"
  # shellcheck disable=SC1091
  (source "$TMP/make.conf" && [ "$CXXFLAGS" = "-O2 -pipe $RECORDED_FLAGS $RECORDED_PARAMS" ])
}

@test "--vertical prints one flag per line" {
  fake_gcc
  run "$FLAGS" --cc "$TMP/fake-gcc" --vertical -O2 -march=native
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 28 ]
  [ "${lines[0]}" = "-O2" ]
  [ "${lines[1]}" = "-march=znver3" ]
  [ "${lines[2]}" = "-mavx512f" ]
  [ "${lines[27]}" = "--param=l2-cache-size=1024" ]
}

@test "--drop-cache-params leaves the --params out" {
  fake_gcc
  run "$FLAGS" --cc "$TMP/fake-gcc" --drop-cache-params
  [ "$status" -eq 0 ]
  [ "$output" = "$RECORDED_FLAGS" ]
}

@test "\$CC picks the compiler and --cc overrides it" {
  fake_gcc
  CC="$TMP/fake-gcc" run "$FLAGS"
  [ "$status" -eq 0 ]
  [ "$output" = "$RECORDED_FLAGS $RECORDED_PARAMS" ]
  CC=/nonexistent/gcc run "$FLAGS" --cc "$TMP/fake-gcc"
  [ "$status" -eq 0 ]
  [ "$output" = "$RECORDED_FLAGS $RECORDED_PARAMS" ]
}

@test "a missing compiler is one clear error, exit 2 and no output" {
  run --separate-stderr "$FLAGS" --cc /nonexistent/gcc -O2 -march=native
  [ "$status" -eq 2 ]
  [ "$output" = "" ]
  [[ "$stderr" =~ ^distccflags\[[0-9]+\]\ error:\ cannot\ run\ the\ compiler\ \'/nonexistent/gcc\':\ No\ such\ file\ or\ directory$ ]]
}

@test "a failing compiler is reported with its own error line" {
  script_gcc "echo 'Using built-in specs.' >&2
echo \"gcc: error: unrecognized argument in option '-march=native'\" >&2
exit 1"
  run --separate-stderr "$FLAGS" --cc "$TMP/script-gcc" -march=native
  [ "$status" -eq 2 ]
  [ "$output" = "" ]
  [ "${#stderr_lines[@]}" -eq 1 ]
  [[ "$stderr" == *"failed with exit status 1: gcc: error: unrecognized argument in option '-march=native'" ]]
}

@test "a compiler printing no cc1 line is an error, not a half-expanded line" {
  script_gcc 'echo "gcc version 12.2.0" >&2'
  run --separate-stderr "$FLAGS" --cc "$TMP/script-gcc" -O2 -march=native
  [ "$status" -eq 2 ]
  [ "$output" = "" ]
  [[ "$stderr" == *"error: no cc1 or cc1plus line in the compiler's output (tried -v and -###)" ]]
}

@test "a cc1 line that still says native is refused" {
  script_gcc "echo ' /usr/libexec/gcc/x86_64-pc-linux-gnu/13/cc1 -E -quiet - -march=native -mtune=native' >&2"
  run --separate-stderr "$FLAGS" --cc "$TMP/script-gcc"
  [ "$status" -eq 2 ]
  [ "$output" = "" ]
  [[ "$stderr" == *"error: the compiler passed native on to cc1 unexpanded; it cannot detect this CPU (tried -v and -###)" ]]
}

@test "a hanging compiler times out" {
  script_gcc 'sleep 30'
  SECONDS=0
  run --separate-stderr "$FLAGS" --cc "$TMP/script-gcc" --timeout 1
  [ "$status" -eq 2 ]
  [ "$SECONDS" -lt 10 ]
  [[ "$stderr" == *"did not finish within 1 s" ]]
}

@test "the -### output is used when -v gives no readable cc1 line" {
  script_gcc "case \"\$1\" in
-v) echo 'gcc version 4.8.5' >&2 ;;
-###) cat '$DATA/gcc48-gentoo-k8-hash.txt' >&2 ;;
-Q) printf 'The following options are target specific:\n  -mmmx \t\t[enabled]\n  -msse3 \t\t[enabled]\n' ;;
esac"
  run "$FLAGS" --cc "$TMP/script-gcc" --vertical
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "-march=k8-sse3" ]
  [ "${lines[1]}" = "-m3dnow" ]
  [ "${lines[-4]}" = "-mtune=k8" ]
  [ "${lines[-1]}" = "--param=l2-cache-size=512" ]
  # Implied by the listing of -march=k8-sse3, so left out.
  if grep -x -e -mmmx -e -msse3 <<<"$output"; then false; fi
}

@test "bad arguments exit 101" {
  run "$FLAGS" --make-conf --vertical
  [ "$status" -eq 101 ]
  [[ "$output" == *"--make-conf and --vertical exclude each other; choose one" ]]
  run "$FLAGS" --timeout abc
  [ "$status" -eq 101 ]
  [[ "$output" == *"error: bad argument 'abc': invalid numeric value (see distccflags --help)" ]]
  run "$FLAGS" --timeout 0
  [ "$status" -eq 101 ]
  [[ "$output" == *"error: --timeout 0 is out of range: give seconds from 1 to 86400" ]]
  run "$FLAGS" --cc
  [ "$status" -eq 101 ]
  [[ "$output" == *"error: bad argument '--cc': missing argument (see distccflags --help)" ]]
  run "$FLAGS" --cc ' '
  [ "$status" -eq 101 ]
  [[ "$output" == *"error: --cc is empty"* ]]
}

@test "--check fails with the first differing line when the expansion is not exact" {
  # -Q answers differently for -march=native than for anything else.
  script_gcc "case \"\$1\" in
-v) cat '$DATA/gcc12-debian-znver3-v.txt' >&2 ;;
-Q) if [[ \" \$* \" == *' -march=native '* ]]; then
      cat '$DATA/gcc12-debian-help-target-native.txt'
    else
      cat '$DATA/gcc12-debian-help-target-znver3.txt'
    fi ;;
esac"
  run --separate-stderr "$FLAGS" --cc "$TMP/script-gcc" --check -O2 -march=native
  [ "$status" -eq 1 ]
  [ "$output" = "" ]
  [[ "$stderr" == *"error: check failed: -Q --help=target differs at line 35: native gives '-mavx512bf16 [enabled]', the expansion gives '-mavx512bf16 [disabled]'" ]]
}

@test "write errors are reported, exit 100" {
  [ -w /dev/full ] || skip "no /dev/full"
  run bash -c '"$1" -O2 >/dev/full' _ "$FLAGS"
  [ "$status" -eq 100 ]
  [[ "$output" == *"error: cannot write the result to standard output" ]]
}

# ---- this machine's real compiler ----

@test "real gcc: --check proves the expansion" {
  need_native_gcc
  run --separate-stderr "$FLAGS" --cc gcc --check -O2 -march=native
  [ "$status" -eq 0 ]
  [[ "$output" == "-O2 -march="* ]]
  [[ "$output" != *native* ]]
  [ "$stderr" = "distccflags: check passed: -Q --help=target and -Q --help=params are identical" ]
}

@test "real gcc: -Q --help=target and --help=params match -march=native" {
  need_native_gcc
  run "$FLAGS" --cc gcc
  [ "$status" -eq 0 ]
  read -ra words <<<"$output"
  LC_ALL=C gcc -Q --help=target -march=native >"$TMP/native-target"
  LC_ALL=C gcc -Q --help=target "${words[@]}" >"$TMP/expanded-target"
  diff "$TMP/native-target" "$TMP/expanded-target"
  LC_ALL=C gcc -Q --help=params -march=native >"$TMP/native-params"
  LC_ALL=C gcc -Q --help=params "${words[@]}" >"$TMP/expanded-params"
  diff "$TMP/native-params" "$TMP/expanded-params"
  # The comparison can fail: the bare arch does not match native here.
  LC_ALL=C gcc -Q --help=target "${words[0]}" >"$TMP/arch-target"
  if diff -q "$TMP/native-target" "$TMP/arch-target" >/dev/null; then
    skip "this CPU is exactly ${words[0]}; nothing to prove"
  fi
}

@test "real gcc: vector code compiles to byte-identical objects" {
  need_native_gcc
  cat >"$TMP/vec.c" <<'EOF'
#include <immintrin.h>
#include <stddef.h>
void saxpy(float *restrict y, const float *restrict x, float a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += a * x[i];
}
#ifdef __AVX2__
__m256i mix(__m256i a, __m256i b) { return _mm256_add_epi32(_mm256_mullo_epi32(a, b), a); }
#endif
#ifdef __AVX512F__
__m512 fma512(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
#endif
#ifdef __SSE4_2__
unsigned crc(unsigned c, unsigned v) { return _mm_crc32_u32(c, v); }
#endif
EOF
  run "$FLAGS" --cc gcc -O2 -march=native
  [ "$status" -eq 0 ]
  read -ra words <<<"$output"
  (cd "$TMP" && gcc -O2 -march=native -c vec.c -o native.o)
  (cd "$TMP" && gcc "${words[@]}" -c vec.c -o expanded.o)
  cmp "$TMP/native.o" "$TMP/expanded.o"
  # The objects do depend on the flags: plain -O2 gives another one.
  (cd "$TMP" && gcc -O2 -c vec.c -o plain.o)
  if cmp -s "$TMP/native.o" "$TMP/plain.o"; then false; fi
}

@test "real g++: expands the same as gcc and passes --check" {
  need_native_gcc
  dcc_need_tool g++
  run "$FLAGS" --cc gcc
  gcc_out=$output
  run --separate-stderr "$FLAGS" --cc g++ --check
  [ "$status" -eq 0 ]
  [ "$output" = "$gcc_out" ]
}

@test "real clang is refused with an explanation" {
  dcc_need_tool clang
  run --separate-stderr "$FLAGS" --cc clang
  [ "$status" -eq 2 ]
  [ "$output" = "" ]
  [[ "$stderr" == *"error: clang is not supported: its -march=native is a CPU name plus a -target-feature list that -m flags do not reproduce exactly; use gcc" ]]
}
