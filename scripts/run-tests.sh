#!/usr/bin/env bash
# Runs one test suite against one build tree and leaves TAP in BUILD/tap.
#   run-tests.sh unit|bats|bats-daemon BUILD
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
*)
  echo "run-tests.sh: unknown suite '$suite'" >&2; exit 2 ;;
esac
