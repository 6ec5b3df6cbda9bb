#!/usr/bin/env bash
# Prints "N passed, N failed" over every TAP file in the given directories and
# exits non-zero when anything failed (or when no test ran at all).
set -euo pipefail
passed=0 failed=0 skipped=0
for dir in "$@"; do
  for f in "$dir"/*.tap; do
    [ -e "$f" ] || continue
    while IFS= read -r line; do
      case "$line" in
        "not ok "*"# skip"*|"not ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
        "not ok "*) failed=$((failed + 1)) ;;
        "ok "*"# skip"*|"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
        "ok "*) passed=$((passed + 1)) ;;
      esac
    done <"$f"
  done
done
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed ($skipped skipped)"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
