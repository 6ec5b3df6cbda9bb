#!/usr/bin/env bash
# Runs one test suite against one build tree and leaves TAP in BUILD/tap.
#   run-tests.sh unit|bats|bats-daemon BUILD
#   run-tests.sh fuzz FUZZBUILD    (each fuzz_* there for FUZZ_SECONDS, default 12)
set -euo pipefail
suite=$1 build=$2
top=$(cd "$(dirname "$0")/.." && pwd)
tap="$top/$build/tap"
mkdir -p "$tap"
export DCC_BUILD="$top/$build"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

case "$suite" in
unit)
  for t in "$top/$build"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    out="$tap/unit-$name.tap"
    echo "== unit $name ($build)"
    rc=0
    CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out" 2>"$tap/unit-$name.err" || rc=$?
    grep -E '^(not )?ok ' "$out" || true
    # cmocka reports failures in its TAP; an exit without them is a crash.
    if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$out"; then
      echo "not ok - $name exited with status $rc" | tee -a "$out"
      cat "$tap/unit-$name.err" >&2
    elif [ "$rc" -ne 0 ]; then
      cat "$tap/unit-$name.err" >&2
    fi
  done
  ;;
bats|bats-daemon)
  if [ "$suite" = bats ]; then
    files=("$top"/tests/bats/*.bats)
  else
    files=("$top"/tests/bats/distccd*.bats)
  fi
  [ -e "${files[0]}" ] || exit 0
  # Every test tool is here, or this stops with one line naming each missing
  # tool and its package, before any test can skip or fail for it.
  if ! "$top/scripts/deps.sh" --check; then
    echo "run-tests.sh: test tools are missing; scripts/deps.sh installs them (make check runs it as root)" >&2
    exit 1
  fi
  echo "== bats $suite ($build)"
  bats --tap "${files[@]}" | tee "$tap/$suite.tap" || true
  ;;
fuzz)
  # One TAP line per target: it ran its time from tests/fuzz/corpus/NAME
  # (with the tokens in tests/fuzz/NAME.dict) without a crash, leak or
  # sanitizer report. New inputs go to a scratch corpus that is thrown
  # away; a crash is kept as $build/crash-NAME-*.
  seconds=${FUZZ_SECONDS:-12}
  targets=("$top/$build"/fuzz_*)
  [ -x "${targets[0]}" ] || { echo "run-tests.sh: no fuzz targets in $build" >&2; exit 1; }
  out="$tap/fuzz.tap"
  echo "1..${#targets[@]}" >"$out"
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/dcc-fuzz.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  i=0
  for t in "${targets[@]}"; do
    i=$((i + 1))
    name=$(basename "$t")
    name=${name#fuzz_}
    echo "== fuzz $name (${seconds} s)"
    mkdir -p "$scratch/$name"
    log="$tap/fuzz-$name.log"
    dict=()
    [ -e "$top/tests/fuzz/$name.dict" ] && dict=(-dict="$top/tests/fuzz/$name.dict")
    rc=0
    # TMPDIR: a target's own files (the pump target's job root) stay in
    # the scratch directory. -timeout: one input taking 10 s is a hang.
    (cd "$scratch" && TMPDIR="$scratch" "$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$top/$build/crash-$name-" "${dict[@]}" \
        "$scratch/$name" "$top/tests/fuzz/corpus/$name") >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    if [ "$rc" -eq 0 ]; then
      echo "ok $i - fuzz_$name: ${runs:-?} runs in ${seconds} s, ${speed:-?}/s" | tee -a "$out"
    else
      echo "not ok $i - fuzz_$name exited with status $rc (log: $build/tap/fuzz-$name.log)" | tee -a "$out"
      grep -E '^(==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -20 >&2 || true
    fi
  done
  ;;
*)
  echo "run-tests.sh: unknown suite '$suite'" >&2; exit 2 ;;
esac
