#!/usr/bin/env bash
# Prints "N passed, N failed" over every TAP file in the given directories and
# exits non-zero when anything failed (or when no test ran at all). Tests a
# file's plan ("1..N") announced but that never reported (bats stopping a
# file early, a crashed unit test) count as failed, each file with a line.
set -euo pipefail
passed=0 failed=0 skipped=0
for dir in "$@"; do
  for f in "$dir"/*.tap; do
    [ -e "$f" ] || continue
    planned=0 reported=0
    while IFS= read -r line; do
      case "$line" in
        "not ok "*"# skip"*|"not ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
        "not ok "*) failed=$((failed + 1)) ;;
        "ok "*"# skip"*|"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
        "ok "*) passed=$((passed + 1)) ;;
        1..*) [[ ${line#1..} =~ ^[0-9]+$ ]] && planned=$((planned + ${line#1..})) ;;
      esac
      case "$line" in "ok "*|"not ok "*) reported=$((reported + 1)) ;; esac
    done <"$f"
    if [ "$reported" -lt "$planned" ]; then
      echo "tap-summary: $f: $((planned - reported)) of $planned planned tests never ran"
      failed=$((failed + planned - reported))
    fi
  done
done
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
