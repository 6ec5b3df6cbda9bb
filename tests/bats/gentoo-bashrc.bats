#!/usr/bin/env bats
# portage/bashrc run the way Portage runs it: one bash per phase that
# restores the environment the previous phase saved, sources the bashrc, runs
# pre_<func>, the phase function and post_<func>, and saves the environment;
# stdout and stderr are the build log. Most phases call a stand-in client
# that follows the log-line contract written at the top of portage/bashrc;
# the last tests hold the real client to that contract, with our distccd on
# loopback and, where installed, ccache in front of it.

bats_require_minimum_version 1.5.0

setup() {
  load common
  BASHRC="$DCC_TOP/portage/bashrc"
  T="$BATS_TEST_TMPDIR/portage/app-misc/foo-1.0/temp"
  OUT="$BATS_TEST_TMPDIR/out"
  BODY="$BATS_TEST_TMPDIR/body.sh"
  DRIVER="$BATS_TEST_TMPDIR/ebuild.sh"
  mkdir -p "$T" "$OUT" "$BATS_TEST_TMPDIR/bin"
  write_driver
  write_body
}

teardown() {
  dcc_stop_distccd
  [ -n "${FAKEBIN:-}" ] && rm -rf "$FAKEBIN"
  FAKEBIN=
}

# A small stand-in for Portage's ebuild.sh running one phase.
#   ebuild.sh PHASE BASHRC|none BODY
write_driver() {
  cat >"$DRIVER" <<'EOF'
ebuild_sh_phase=$1 ebuild_sh_bashrc=$2 ebuild_sh_body=$3
# Bash's own variables and the driver's are neither saved nor compared.
ebuild_sh_internal='^(BASH.*|COLUMNS|COMP_WORDBREAKS|DIRSTACK|EPOCH.*|EUID|FUNCNAME|GROUPS|HISTCMD|HOSTNAME|HOSTTYPE|IFS|LINENO|LINES|MACHTYPE|OPTERR|OPTIND|OSTYPE|PIPESTATUS|PPID|PS4|PWD|RANDOM|SECONDS|SHELLOPTS|SHLVL|SRANDOM|UID|_|ebuild_sh_.*)$'
if [[ -f ${T}/environment ]]; then
  # shellcheck disable=SC1091
  source "${T}/environment"
fi
EBUILD_PHASE=$ebuild_sh_phase
case $EBUILD_PHASE in
  setup) ebuild_sh_func=pkg_setup ;;
  *) ebuild_sh_func=src_$EBUILD_PHASE ;;
esac
einfo() { printf ' * %s\n' "$*" >&2; }
ewarn() { printf ' * WARNING: %s\n' "$*" >&2; }
# Portage's die runs the EBUILD_DEATH_HOOKS first.
die() {
  local ebuild_sh_hook
  for ebuild_sh_hook in ${EBUILD_DEATH_HOOKS-}; do "$ebuild_sh_hook" "$@"; done >&2
  printf ' * ERROR: %s\n' "$*" >&2
  exit 1
}
# shellcheck disable=SC1090
source "$ebuild_sh_body"
if [[ $ebuild_sh_bashrc != none ]]; then
  # shellcheck disable=SC1090
  source "$ebuild_sh_bashrc"
fi
if declare -F "pre_$ebuild_sh_func" >/dev/null; then "pre_$ebuild_sh_func"; fi
"$ebuild_sh_func"
if declare -F "post_$ebuild_sh_func" >/dev/null; then "post_$ebuild_sh_func"; fi
# What the phase leaves behind: every variable and function name.
{
  for ebuild_sh_v in $(compgen -v | grep -vE "$ebuild_sh_internal"); do declare -p "$ebuild_sh_v"; done
  declare -F
} >"$OUT/after.$EBUILD_PHASE"
# Saved for the next phase, without Portage's (here: the driver's) helpers.
{
  for ebuild_sh_v in $(compgen -v | grep -vE "$ebuild_sh_internal"); do declare -p "$ebuild_sh_v" 2>/dev/null; done
  for ebuild_sh_v in $(compgen -A function); do
    case $ebuild_sh_v in einfo|ewarn|die|fake_distcc|record|src_*|pkg_setup) ;; *) declare -f "$ebuild_sh_v" ;; esac
  done
} >"${T}/environment"
EOF
}

# The phase functions: each records the distcc variables it sees, then
# runs the jobs named in JOBS_<phase> ("PID FILE OUTCOME" per line).
write_body() {
  cat >"$BODY" <<'EOF'
# fake_distcc PID FILE OUTCOME: one job as our client reports it.
fake_distcc() {
  local line="distcc[$1] info: job $2: $3"
  if [[ $DISTCC_VERBOSE == 1 ]]; then
    if [[ -n $DISTCC_LOG ]]; then
      printf '2024-05-01 10:00:00 %s\n' "$line" >>"$DISTCC_LOG"
    else
      printf '%s\n' "$line" >&2
    fi
  fi
  if [[ $DISTCC_SAVE_TEMPS == 1 ]]; then
    : >"$TMPDIR/distcc_${2%.*}.i"
    : >"$TMPDIR/distcc_server_stderr_${2%.*}.txt"
  fi
}
record() {
  env | grep '^DISTCC_' | LC_ALL=C sort >"$OUT/during.$EBUILD_PHASE"
  local jobs_var="JOBS_$EBUILD_PHASE" pid file outcome
  while read -r pid file outcome; do
    [[ -n $pid ]] && fake_distcc "$pid" "$file" "$outcome"
  done <<<"${!jobs_var:-}"
  if [[ -n ${EXTRA_WORK:-} ]]; then eval "$EXTRA_WORK"; fi
}
pkg_setup() { record; }
src_unpack() { record; }
src_prepare() { record; }
src_configure() { record; }
src_compile() { record; }
src_test() { record; }
src_install() { record; }
EOF
}

# run_phase PHASE [VAR=VALUE...]: one phase with a clean environment like
# Portage's (the env.d defaults, FEATURES=distcc), the build log in ${T}.
run_phase() {
  local phase=$1
  shift
  env -i PATH="$BATS_TEST_TMPDIR/bin:/usr/bin:/bin" HOME="$BATS_TEST_TMPDIR" OUT="$OUT" \
    T="$T" TMPDIR="$T" PORTAGE_TMPDIR="$BATS_TEST_TMPDIR/var-tmp" CATEGORY=app-misc PF=foo-1.0 FEATURES="sandbox distcc userpriv" \
    PORTAGE_LOG_FILE="$T/build.log" DISTCC_VERBOSE=0 DISTCC_FALLBACK=1 DISTCC_SAVE_TEMPS=0 DISTCC_LOG= \
    "$@" bash "$DRIVER" "$phase" "${RC:-$BASHRC}" "$BODY" >>"$T/build.log" 2>&1
}

# Every phase Portage runs for a source build, in order.
PHASES="setup unpack prepare configure compile test install"

run_all_phases() {
  local phase
  for phase in $PHASES; do
    run_phase "$phase" "$@" || return 1
  done
}

# The files in ${T}, one relative path a line.
t_files() {
  (cd "$T" && find . -mindepth 1 | LC_ALL=C sort)
}

summary_lines() {
  grep -F ' * distcc app-misc/foo-1.0 ' "$T/build.log" || true
}

JOBS_TWO_SENT_ONE_LOCAL="101 main.c compiled on box1
102 util.c compiled on box2
103 conftest.c built locally (conftest files stay local), exit 0"

@test "the bashrc is shellcheck clean" {
  dcc_need_tool shellcheck
  run shellcheck -s bash "$BASHRC"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "nothing asked for: every phase runs exactly as without the bashrc" {
  RC=none run_all_phases JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  mkdir "$BATS_TEST_TMPDIR/plain"
  cp -r "$OUT" "$BATS_TEST_TMPDIR/plain/out"
  cp "$T/build.log" "$BATS_TEST_TMPDIR/plain/build.log"
  t_files >"$BATS_TEST_TMPDIR/plain/files"
  rm -rf "$T" "$OUT"
  mkdir -p "$T" "$OUT"

  run_all_phases JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  for phase in $PHASES; do
    diff -u "$BATS_TEST_TMPDIR/plain/out/during.$phase" "$OUT/during.$phase"
    diff -u "$BATS_TEST_TMPDIR/plain/out/after.$phase" "$OUT/after.$phase"
  done
  diff -u "$BATS_TEST_TMPDIR/plain/build.log" "$T/build.log"
  diff -u "$BATS_TEST_TMPDIR/plain/files" <(t_files)
  [ "$(t_files)" = "$(printf './build.log\n./environment')" ]
  # The comparison can fail: the client settings are visible to it.
  grep -qx 'DISTCC_VERBOSE=0' "$OUT/during.compile"
}

@test "asked for, but FEATURES has no distcc (package.env opt-out): nothing changes" {
  local asks=(DISTCC_PORTAGE_VERBOSE=1 DISTCC_PORTAGE_SUMMARY=1 DISTCC_PORTAGE_SAVE_TEMPS=1
    DISTCC_PORTAGE_PREFLIGHT=strict "FEATURES=sandbox -distcc userpriv")
  printf '#!/bin/sh\necho preflight ran\n' >"$BATS_TEST_TMPDIR/bin/distcc-preflight"
  chmod +x "$BATS_TEST_TMPDIR/bin/distcc-preflight"
  RC=none run_all_phases "${asks[@]}" JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  cp -r "$OUT" "$BATS_TEST_TMPDIR/plain"
  cp "$T/build.log" "$BATS_TEST_TMPDIR/plain.log"
  rm -rf "$T" "$OUT"
  mkdir -p "$T" "$OUT"

  run_all_phases "${asks[@]}" JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  diff -ru "$BATS_TEST_TMPDIR/plain" "$OUT"
  diff -u "$BATS_TEST_TMPDIR/plain.log" "$T/build.log"
  [ "$(t_files)" = "$(printf './build.log\n./environment')" ]
}

@test "DISTCC_PORTAGE_VERBOSE: verbose client in configure/compile/test only, put back after, its log and the summary in the build log" {
  run_all_phases DISTCC_PORTAGE_VERBOSE=1 JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  [ "$(cat "$OUT/during.compile")" = "$(printf '%s\n' DISTCC_FALLBACK=1 "DISTCC_LOG=$T/distcc/client.log" \
    DISTCC_PORTAGE_VERBOSE=1 DISTCC_SAVE_TEMPS=0 DISTCC_VERBOSE=1)" ]
  cmp "$OUT/during.compile" "$OUT/during.configure"
  cmp "$OUT/during.compile" "$OUT/during.test"
  for phase in setup unpack prepare install; do
    grep -qx 'DISTCC_VERBOSE=0' "$OUT/during.$phase" || { echo "$phase saw a changed DISTCC_VERBOSE"; false; }
  done
  # After the phase: the env.d value again, and no state of the hook left.
  grep -qx 'declare -x DISTCC_VERBOSE="0"' "$OUT/after.compile"
  grep -qx 'declare -x DISTCC_LOG=""' "$OUT/after.compile"
  run ! grep -q 'DISTCC_HOOK_\| EBUILD_DEATH_HOOKS=' "$OUT/after.compile"
  # The client's lines of the phase went to the build log, then the summary.
  [ "$(cat "$T/build.log")" = " * distcc app-misc/foo-1.0 configure: 0 sent, 0 run locally, 0 failed
2024-05-01 10:00:00 distcc[101] info: job main.c: compiled on box1
2024-05-01 10:00:00 distcc[102] info: job util.c: compiled on box2
2024-05-01 10:00:00 distcc[103] info: job conftest.c: built locally (conftest files stay local), exit 0
 * distcc app-misc/foo-1.0 compile: 2 sent, 1 run locally, 0 failed; box1: 1 sent; box2: 1 sent
 * distcc app-misc/foo-1.0 test: 0 sent, 0 run locally, 0 failed" ]
  [ "$(t_files)" = "$(printf './build.log\n./distcc\n./distcc/client.log\n./environment')" ]
}

@test "each phase's summary counts only the jobs of that phase" {
  run_all_phases DISTCC_PORTAGE_VERBOSE=yes \
    JOBS_configure="11 conftest.c built locally (conftest files stay local), exit 0" \
    JOBS_compile="21 a.c compiled on box1
22 b.c compiled on box1
23 c.c failed on box2, exit 1" \
    JOBS_test="31 t.c compiled on box2"
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 configure: 0 sent, 1 run locally, 0 failed
 * distcc app-misc/foo-1.0 compile: 2 sent, 0 run locally, 1 failed; box1: 2 sent; box2: 1 failed
 * distcc app-misc/foo-1.0 test: 1 sent, 0 run locally, 0 failed; box2: 1 sent" ]
}

@test "the sample compile log is summed up per host, each job once" {
  run_phase compile DISTCC_PORTAGE_VERBOSE=1 \
    EXTRA_WORK="cat '$DCC_TOP/tests/data/bashrc/compile-phase.log' >>\"\$DISTCC_LOG\""
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 compile: 4 sent, 2 run locally, 3 failed; 192.168.0.2: 2 sent, 1 failed; 192.168.0.3:3700: 1 sent, 1 failed; @build1: 1 sent; [fe80::1]:3632: 1 failed" ]
}

@test "DISTCC_PORTAGE_SUMMARY alone: the verbose log goes to \${T}/distcc/client.log, the build log gets the summary" {
  run_all_phases DISTCC_PORTAGE_SUMMARY=1 JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  [ "$(cat "$OUT/during.compile")" = "$(printf '%s\n' DISTCC_FALLBACK=1 "DISTCC_LOG=$T/distcc/client.log" \
    DISTCC_PORTAGE_SUMMARY=1 DISTCC_SAVE_TEMPS=0 DISTCC_VERBOSE=1)" ]
  grep -qx 'declare -x DISTCC_LOG=""' "$OUT/after.compile"
  grep -qx 'declare -x DISTCC_VERBOSE="0"' "$OUT/after.compile"
  grep -qx 'DISTCC_LOG=' "$OUT/during.install"
  run ! grep -q 'distcc\[' "$T/build.log"
  [ "$(cat "$T/distcc/client.log")" = "2024-05-01 10:00:00 distcc[101] info: job main.c: compiled on box1
2024-05-01 10:00:00 distcc[102] info: job util.c: compiled on box2
2024-05-01 10:00:00 distcc[103] info: job conftest.c: built locally (conftest files stay local), exit 0" ]
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 configure: 0 sent, 0 run locally, 0 failed
 * distcc app-misc/foo-1.0 compile: 2 sent, 1 run locally, 0 failed; box1: 1 sent; box2: 1 sent
 * distcc app-misc/foo-1.0 test: 0 sent, 0 run locally, 0 failed" ]
  [ "$(t_files)" = "$(printf './build.log\n./distcc\n./distcc/client.log\n./environment')" ]
}

@test "a DISTCC_LOG of the user's is kept, and only what this phase wrote is counted" {
  local user_log="$BATS_TEST_TMPDIR/distcc-client.log"
  printf '%s\n' '2024-04-30 09:00:00 distcc[7] info: job old.c: compiled on box9' >"$user_log"
  run_phase compile DISTCC_PORTAGE_SUMMARY=1 DISTCC_LOG="$user_log" JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  grep -qx "DISTCC_LOG=$user_log" "$OUT/during.compile"
  grep -qx "declare -x DISTCC_LOG=\"$user_log\"" "$OUT/after.compile"
  [ "$(wc -l <"$user_log")" -eq 4 ]
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 compile: 2 sent, 1 run locally, 0 failed; box1: 1 sent; box2: 1 sent" ]
  [ "$(t_files)" = "$(printf './build.log\n./environment')" ]
}

# Outside Portage (a shell that sources the file by hand) there is no ${T}:
# "${T}/distcc" would be /distcc. mkdir and mv are stand-ins that only
# record, so nothing is made outside the test's directory either way.
@test "without \${T} nothing is made under /: verbose goes to stderr as plain DISTCC_VERBOSE=1, and a warning says why there is no summary" {
  local verbose summary
  for verbose in 1 0; do
    summary=$((1 - verbose))
    # shellcheck disable=SC2016 # the script runs in the inner bash
    run env -i PATH=/usr/bin:/bin HOME="$BATS_TEST_TMPDIR" FEATURES=distcc EBUILD_PHASE=compile CATEGORY=app-misc \
      PF=foo-1.0 DISTCC_LOG= DISTCC_VERBOSE=0 DISTCC_SAVE_TEMPS=0 DISTCC_PORTAGE_VERBOSE=$verbose \
      DISTCC_PORTAGE_SUMMARY=$summary DISTCC_PORTAGE_SAVE_TEMPS=1 bash -c '
        mkdir() { echo "mkdir $*"; }
        mv() { echo "mv $*"; }
        source "$1"
        echo "during: DISTCC_LOG=[$DISTCC_LOG] DISTCC_VERBOSE=$DISTCC_VERBOSE DISTCC_SAVE_TEMPS=$DISTCC_SAVE_TEMPS"
        distcc_hook_phase_end
        echo "after: DISTCC_LOG=[$DISTCC_LOG] DISTCC_VERBOSE=$DISTCC_VERBOSE DISTCC_SAVE_TEMPS=$DISTCC_SAVE_TEMPS"' \
      - "$BASHRC"
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf '%s\n' \
      " * distcc bashrc: no \${T} to keep the client's log in; no distcc summary for this phase" \
      "during: DISTCC_LOG=[] DISTCC_VERBOSE=$verbose DISTCC_SAVE_TEMPS=1" \
      "after: DISTCC_LOG=[] DISTCC_VERBOSE=0 DISTCC_SAVE_TEMPS=0")" ]
  done
}

@test "DISTCC_PORTAGE_SAVE_TEMPS: the kept files are collected in \${T}/distcc/<phase>/" {
  : >"$T/unrelated.tmp"
  run_all_phases DISTCC_PORTAGE_SAVE_TEMPS=1 JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL" \
    JOBS_test="201 check.c compiled on box1"
  grep -qx 'DISTCC_SAVE_TEMPS=1' "$OUT/during.compile"
  grep -qx 'DISTCC_VERBOSE=0' "$OUT/during.compile"
  grep -qx 'DISTCC_SAVE_TEMPS=0' "$OUT/during.install"
  grep -qx 'declare -x DISTCC_SAVE_TEMPS="0"' "$OUT/after.compile"
  [ "$(t_files)" = "./build.log
./distcc
./distcc/compile
./distcc/compile/distcc_conftest.i
./distcc/compile/distcc_main.i
./distcc/compile/distcc_server_stderr_conftest.txt
./distcc/compile/distcc_server_stderr_main.txt
./distcc/compile/distcc_server_stderr_util.txt
./distcc/compile/distcc_util.i
./distcc/test
./distcc/test/distcc_check.i
./distcc/test/distcc_server_stderr_check.txt
./environment
./unrelated.tmp" ]
  # Keeping files prints nothing by itself.
  [ -z "$(summary_lines)" ]
}

@test "a post_src_compile defined elsewhere is kept, and told how to chain the hook" {
  printf '%s\n' 'post_src_compile() { echo "own post hook" >&2; }' >>"$BODY"
  run_phase compile DISTCC_PORTAGE_VERBOSE=1 JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  grep -qx ' \* WARNING: distcc bashrc: post_src_compile is defined elsewhere; call distcc_hook_phase_end in it for the summary' "$T/build.log"
  grep -qx 'own post hook' "$T/build.log"
  [ -z "$(summary_lines)" ]
  # The settings leaked to the end of this phase; the next phase starts clean.
  grep -qx 'declare -x DISTCC_VERBOSE="1"' "$OUT/after.compile"
  run_phase install DISTCC_PORTAGE_VERBOSE=1
  grep -qx 'DISTCC_VERBOSE=0' "$OUT/during.install"
  run ! grep -q 'DISTCC_HOOK_' "$OUT/after.install"
}

@test "a post_src_compile that calls distcc_hook_phase_end gets the summary" {
  printf '%s\n' 'post_src_compile() { echo "own post hook" >&2; distcc_hook_phase_end; }' >>"$BODY"
  run_phase compile DISTCC_PORTAGE_VERBOSE=1 JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  run ! grep -q 'WARNING' "$T/build.log"
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 compile: 2 sent, 1 run locally, 0 failed; box1: 1 sent; box2: 1 sent" ]
  grep -qx 'declare -x DISTCC_VERBOSE="0"' "$OUT/after.compile"
}

@test "verbose needs no readable build log: none, or a compressed one, still gets the summary" {
  run_phase compile DISTCC_PORTAGE_VERBOSE=1 PORTAGE_LOG_FILE= JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 compile: 2 sent, 1 run locally, 0 failed; box1: 1 sent; box2: 1 sent" ]
  # A new build of the package: no environment saved by an earlier phase.
  rm -r "$T/environment" "$T/distcc"
  : >"$T/build.log"
  run_phase compile DISTCC_PORTAGE_VERBOSE=1 PORTAGE_LOG_FILE="$T/build.log.gz" JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL"
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 compile: 2 sent, 1 run locally, 0 failed; box1: 1 sent; box2: 1 sent" ]
  run ! grep -q 'DISTCC_HOOK_' "$OUT/after.compile"
}

@test "a phase that dies still shows the client's log and its summary (EBUILD_DEATH_HOOKS)" {
  run run_phase compile DISTCC_PORTAGE_VERBOSE=1 EBUILD_DEATH_HOOKS=other_hook JOBS_compile="$JOBS_TWO_SENT_ONE_LOCAL" \
    EXTRA_WORK="other_hook() { echo 'other hook ran'; }; die 'make failed'"
  [ "$status" -eq 1 ]
  [ "$(cat "$T/build.log")" = "other hook ran
2024-05-01 10:00:00 distcc[101] info: job main.c: compiled on box1
2024-05-01 10:00:00 distcc[102] info: job util.c: compiled on box2
2024-05-01 10:00:00 distcc[103] info: job conftest.c: built locally (conftest files stay local), exit 0
 * distcc app-misc/foo-1.0 compile: 2 sent, 1 run locally, 0 failed; box1: 1 sent; box2: 1 sent
 * ERROR: make failed" ]
}

@test "the death hook is added for the phase only, after any the ebuild has, and taken out again" {
  # shellcheck disable=SC2016 # EXTRA_WORK is evaluated inside the phase
  run_phase compile DISTCC_PORTAGE_VERBOSE=1 EXTRA_WORK='echo "during: [$EBUILD_DEATH_HOOKS]" >&2'
  grep -qx 'during: \[distcc_hook_phase_died\]' "$T/build.log"
  run ! grep -q ' EBUILD_DEATH_HOOKS=' "$OUT/after.compile"
  rm "$T/environment"
  # shellcheck disable=SC2016 # EXTRA_WORK is evaluated inside the phase
  run_phase compile DISTCC_PORTAGE_SUMMARY=1 EBUILD_DEATH_HOOKS="a_hook b_hook" EXTRA_WORK='echo "during: [$EBUILD_DEATH_HOOKS]" >&2'
  grep -qx 'during: \[a_hook b_hook distcc_hook_phase_died\]' "$T/build.log"
  grep -qx 'declare -x EBUILD_DEATH_HOOKS="a_hook b_hook"' "$OUT/after.compile"
}

@test "preflight: skipped without a trace when distcc-preflight is not installed" {
  RC=none run_phase setup
  cp "$T/build.log" "$BATS_TEST_TMPDIR/plain.log"
  cp "$OUT/after.setup" "$BATS_TEST_TMPDIR/plain.after"
  rm -rf "$T"
  mkdir -p "$T"
  run_phase setup DISTCC_PORTAGE_PREFLIGHT=1
  diff -u "$BATS_TEST_TMPDIR/plain.log" "$T/build.log"
  diff -u <(grep -v DISTCC_PORTAGE_PREFLIGHT "$BATS_TEST_TMPDIR/plain.after") \
    <(grep -v DISTCC_PORTAGE_PREFLIGHT "$OUT/after.setup")
  [ "$(t_files)" = "$(printf './build.log\n./environment')" ]
}

# A distcc-preflight that logs its arguments and exits with $1.
fake_preflight() {
  cat >"$BATS_TEST_TMPDIR/bin/distcc-preflight" <<EOF
#!/bin/sh
echo "preflight called with [\$*]" >>"$BATS_TEST_TMPDIR/preflight.calls"
echo "host table"
exit $1
EOF
  chmod +x "$BATS_TEST_TMPDIR/bin/distcc-preflight"
}

@test "preflight: runs once, in pkg_setup, with no arguments; its table goes to the build log" {
  fake_preflight 0
  run_all_phases DISTCC_PORTAGE_PREFLIGHT=1
  [ "$(cat "$BATS_TEST_TMPDIR/preflight.calls")" = "preflight called with []" ]
  [ "$(grep -c '^host table$' "$T/build.log")" -eq 1 ]
  [ "$(sed -n '1p' "$T/build.log")" = "host table" ]
  run ! grep -q WARNING "$T/build.log"
}

@test "preflight: a mismatch warns and the build goes on" {
  fake_preflight 1
  run_phase setup DISTCC_PORTAGE_PREFLIGHT=1
  [ "$(cat "$T/build.log")" = "host table
 * WARNING: distcc-preflight found a problem (exit 1), see above; the build goes on" ]
}

@test "preflight: strict stops the build on a mismatch" {
  fake_preflight 3
  run run_phase setup DISTCC_PORTAGE_PREFLIGHT=strict
  [ "$status" -eq 1 ]
  [ "$(cat "$T/build.log")" = "host table
 * ERROR: distcc-preflight found a problem (exit 3), see above; DISTCC_PORTAGE_PREFLIGHT=1 only warns" ]
}

# The cached verdict files (one per host list and compilers).
verdicts() {
  find "$BATS_TEST_TMPDIR/var-tmp/portage/.distcc/preflight" -type f 2>/dev/null | LC_ALL=C sort
}

# Switches to a second package of the same emerge run: its own ${T}.
next_package() {
  T="$BATS_TEST_TMPDIR/portage/app-misc/$1/temp"
  mkdir -p "$T"
}

calls() {
  if [ -e "$BATS_TEST_TMPDIR/preflight.calls" ]; then wc -l <"$BATS_TEST_TMPDIR/preflight.calls"; else echo 0; fi
}

@test "preflight: one emerge run checks once; the next package reuses the verdict" {
  fake_preflight 0
  run_phase setup DISTCC_PORTAGE_PREFLIGHT=1 DISTCC_HOSTS="box1 box2"
  [ "$(calls)" -eq 1 ]
  [ "$(cat "$T/build.log")" = "host table" ]
  [ "$(verdicts | wc -l)" -eq 1 ]
  local verdict
  verdict=$(verdicts)
  [ "$(cat "$verdict")" = "0
host table" ]
  next_package bar-1.0
  run_phase setup DISTCC_PORTAGE_PREFLIGHT=1 DISTCC_HOSTS="box1 box2" PF=bar-1.0
  [ "$(calls)" -eq 1 ]
  [ "$(cat "$T/build.log")" = " * distcc-preflight: verdict of $(date -r "$verdict" +%H:%M:%S) reused (exit 0; same hosts and compilers, less than 10 min old):
host table" ]
  # Another host list is another question.
  next_package baz-1.0
  run_phase setup DISTCC_PORTAGE_PREFLIGHT=1 DISTCC_HOSTS="box1 box3" PF=baz-1.0
  [ "$(calls)" -eq 2 ]
  [ "$(verdicts | wc -l)" -eq 2 ]
  # An old verdict is not reused; a fresh one replaces it.
  touch -d '11 minutes ago' "$verdict"
  next_package qux-1.0
  run_phase setup DISTCC_PORTAGE_PREFLIGHT=1 DISTCC_HOSTS="box1 box2" PF=qux-1.0
  [ "$(calls)" -eq 3 ]
  [ "$(cat "$T/build.log")" = "host table" ]
  [ -n "$(find "$verdict" -mmin -1)" ]
}

@test "preflight: DISTCC_PORTAGE_PREFLIGHT_CACHE=0 checks for every package and keeps nothing" {
  fake_preflight 0
  run_phase setup DISTCC_PORTAGE_PREFLIGHT=1 DISTCC_PORTAGE_PREFLIGHT_CACHE=0
  next_package bar-1.0
  run_phase setup DISTCC_PORTAGE_PREFLIGHT=1 DISTCC_PORTAGE_PREFLIGHT_CACHE=0 PF=bar-1.0
  [ "$(calls)" -eq 2 ]
  [ -z "$(verdicts)" ]
}

@test "preflight: toolchains that disagree stop the build, and the next package from the cache" {
  fake_preflight 2
  run run_phase setup DISTCC_PORTAGE_PREFLIGHT=1
  [ "$status" -eq 1 ]
  local stop=" * ERROR: distcc-preflight: the distcc hosts' toolchains disagree (exit 2), see the table above; objects from them would not mix. Fix the hosts, drop them from the host list, or build this without distcc (FEATURES=-distcc)"
  [ "$(cat "$T/build.log")" = "host table
$stop" ]
  next_package bar-1.0
  run run_phase setup DISTCC_PORTAGE_PREFLIGHT=strict PF=bar-1.0
  [ "$status" -eq 1 ]
  [ "$(calls)" -eq 1 ]
  [ "$(cat "$T/build.log")" = " * distcc-preflight: verdict of $(date -r "$(verdicts)" +%H:%M:%S) reused (exit 2; same hosts and compilers, less than 10 min old):
host table
$stop" ]
  # The next phase never ran: no environment saved by this one.
  [ ! -e "$T/environment" ]
}

@test "preflight: not for binary packages" {
  fake_preflight 1
  run_phase setup DISTCC_PORTAGE_PREFLIGHT=1 MERGE_TYPE=binary
  [ ! -e "$BATS_TEST_TMPDIR/preflight.calls" ]
  [ ! -s "$T/build.log" ]
}

# ---------------------------------------------------------------------------
# The real client and a real daemon (log-line contract)

# Our distccd on loopback, whose "flakycc" fails every compile (a helper
# with a broken toolchain); on the client "flakycc" is gcc. Sets HELPER
# (host:port as the summary names it) and SRC with three sources.
start_helper_with_flakycc() {
  [ -x "$DCC_BIN/distcc" ] || skip "the distcc client is not built in $DCC_BIN"
  FAKEBIN=$(mktemp -d /tmp/dcc-bin.XXXXXX)
  chmod 755 "$FAKEBIN"
  mkdir -p "$FAKEBIN/daemon" "$FAKEBIN/client"
  printf '#!/bin/sh\necho "flakycc: remote failure" >&2\nexit 1\n' >"$FAKEBIN/daemon/flakycc"
  printf '#!/bin/sh\nexec gcc "$@"\n' >"$FAKEBIN/client/flakycc"
  chmod 755 "$FAKEBIN/daemon" "$FAKEBIN/client" "$FAKEBIN/daemon/flakycc" "$FAKEBIN/client/flakycc"
  DISTCCD_PATH="$FAKEBIN/daemon:/usr/bin:/bin" dcc_start_distccd --sandbox=off
  ln -s /usr/bin/distcc "$DAEMON_WL/flakycc"
  HELPER="127.0.0.1:$DAEMON_PORT"
  SRC="$BATS_TEST_TMPDIR/src"
  mkdir -p "$SRC" "$BATS_TEST_TMPDIR/distcc-dir"
  printf 'int answer(void) { return 42; }\n' >"$SRC/remote.c"
  printf 'int native(void) { return 1; }\n' >"$SRC/native.c"
  printf 'int flaky(void) { return 2; }\n' >"$SRC/flaky.c"
}

@test "the real client: a job compiled on the helper, one run here, one that failed there and was built here" {
  start_helper_with_flakycc
  local distcc="'$DCC_BIN/distcc'"
  run_phase compile DISTCC_PORTAGE_VERBOSE=1 DISTCC_HOSTS="$HELPER" DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir" \
    PATH="$FAKEBIN/client:/usr/bin:/bin" \
    EXTRA_WORK="cd '$SRC' && $distcc gcc -c remote.c -o remote.o && $distcc gcc -fprofile-arcs -c native.c -o native.o &&
      $distcc flakycc -c flaky.c -o flaky.o"
  [ -s "$SRC/remote.o" ] && [ -s "$SRC/native.o" ] && [ -s "$SRC/flaky.o" ]
  [ "$(compiled_jobs)" -eq 1 ]
  grep -q "job from 127.0.0.1: flakycc flaky.c: compile failed, exit 1" "$DAEMON_LOG"
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 compile: 1 sent, 1 run locally, 1 failed; $HELPER: 1 sent, 1 failed" ] ||
    { cat "$T/build.log"; false; }
  # The client's own lines are in the build log too, and say what the top of
  # portage/bashrc says they say (the reason a job stays local may vary).
  [ "$(sed -nE 's/^.*distcc\[[0-9]+\] info: (job .*)$/\1/p' "$T/build.log" | sed -E 's/^(job native\.c: built locally \().*(\), exit 0)$/\1...\2/')" = \
    "job remote.c: compiled on $HELPER/4
job native.c: built locally (...), exit 0
job flaky.c: failed on $HELPER/4, built locally
job flaky.c: built locally (failed on $HELPER/4), exit 0" ] || { cat "$T/build.log"; false; }
}

@test "DISTCC_PORTAGE_SAVE_TEMPS with the real client: the .i and the helper's own stderr land in \${T}/distcc/compile/" {
  start_helper_with_flakycc
  # Only the helper's compiler sees the unused variable (cpp has no say).
  printf 'int unused_here(void) { int unused; return 0; }\n' >"$SRC/warns.c"
  run_phase compile DISTCC_PORTAGE_SAVE_TEMPS=1 DISTCC_HOSTS="$HELPER" DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir" \
    EXTRA_WORK="cd '$SRC' && '$DCC_BIN/distcc' gcc -Wall -c warns.c -o warns.o"
  [ -s "$SRC/warns.o" ]
  [ "$(compiled_jobs)" -eq 1 ]
  local kept="$T/distcc/compile"
  [ "$(cd "$kept" && ls | sed -E 's/_[A-Za-z0-9]{6}\./_XXXXXX./')" = "distcc_XXXXXX.i
distcc_server_stderr_XXXXXX.txt" ]
  grep -q 'int unused_here(void)' "$kept"/distcc_*.i
  [ "$(head -1 "$kept"/distcc_server_stderr_*.txt)" = "# distcc: stderr of $HELPER/4 compiling warns.c (in $SRC), exit 0" ]
  grep -q "warns.c:1:.*warning: unused variable .unused." "$kept"/distcc_server_stderr_*.txt
  # Nothing is left in TMPDIR (the hook's T) beside what the hook collected.
  [ -z "$(find "$T" -maxdepth 1 -name 'distcc_*')" ]
}

# The ccache masquerade directory (Gentoo: /usr/lib/ccache/bin, Debian:
# /usr/lib/ccache), or skip.
ccache_dir() {
  dcc_need_tool ccache
  local d
  for d in /usr/lib/ccache/bin /usr/lib/ccache; do
    if [ -x "$d/gcc" ]; then
      echo "$d"
      return 0
    fi
  done
  skip "no ccache masquerade directory with gcc"
}

@test "FEATURES=ccache: a second build from the cache counts 0 sent, though ccache replays the first build's output" {
  local ccache_bin
  ccache_bin=$(ccache_dir)
  start_helper_with_flakycc
  # Portage's PATH with FEATURES="ccache distcc": ccache first, then distcc.
  mkdir -p "$BATS_TEST_TMPDIR/masq"
  ln -s "$DCC_BIN/distcc" "$BATS_TEST_TMPDIR/masq/gcc"
  local build=(DISTCC_PORTAGE_VERBOSE=1 DISTCC_HOSTS="$HELPER" DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
    PATH="$ccache_bin:$BATS_TEST_TMPDIR/masq:/usr/bin:/bin" CCACHE_DIR="$BATS_TEST_TMPDIR/ccache"
    EXTRA_WORK="cd '$SRC' && rm -f *.o && gcc -c remote.c -o remote.o && gcc -c flaky.c -o flaky.o")
  run_phase compile "${build[@]}"
  # On a miss ccache runs "gcc -E" through distcc too: run here, as it says.
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 compile: 2 sent, 2 run locally, 0 failed; $HELPER: 2 sent" ] ||
    { cat "$T/build.log"; false; }
  [ "$(compiled_jobs)" -eq 2 ]

  # The same package again, in a new ${T}: every object comes from ccache.
  next_package foo-1.0
  rm -rf "$T"
  mkdir -p "$T"
  run_phase compile "${build[@]}"
  [ -s "$SRC/remote.o" ] && [ -s "$SRC/flaky.o" ]
  [ "$(compiled_jobs)" -eq 2 ]
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 compile: 0 sent, 0 run locally, 0 failed" ] ||
    { cat "$T/build.log"; false; }
  [ "$(CCACHE_DIR="$BATS_TEST_TMPDIR/ccache" ccache --print-stats | awk '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { n += $2 } END { print n }')" -eq 2 ]
}

@test "a helper skipped for its toolchain is in the summary with the client's reason" {
  run_phase compile DISTCC_PORTAGE_VERBOSE=1 \
    EXTRA_WORK="printf '%s\n' 'distcc[41] warning: helper box2:3632 has x86_64-pc-linux-gnu-gcc 13.2.1, this machine 12.2.0: skipping it for x86_64-pc-linux-gnu-gcc jobs (DISTCC_TOOLCHAIN_MATCH=exact)' 'distcc[41] info: job a.c: compiled on box1' 'distcc[42] debug: helper box3'\"'\"'s x86_64-pc-linux-gnu-gcc targets aarch64-unknown-linux-gnu, this machine'\"'\"'s x86_64-pc-linux-gnu: skipping it (DISTCC_TOOLCHAIN_MATCH=minor)' >>\"\$DISTCC_LOG\""
  [ "$(summary_lines)" = " * distcc app-misc/foo-1.0 compile: 1 sent, 0 run locally, 0 failed; box1: 1 sent; box2:3632: skipped (has x86_64-pc-linux-gnu-gcc 13.2.1, this machine 12.2.0); box3: skipped (x86_64-pc-linux-gnu-gcc targets aarch64-unknown-linux-gnu, this machine's x86_64-pc-linux-gnu)" ]
}
