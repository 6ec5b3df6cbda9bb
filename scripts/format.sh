#!/usr/bin/env bash
# Formats the C sources with clang-format and the .clang-format at the top of the tree.
#   scripts/format.sh [FILE...]          rewrites the files clang-format would change
#   scripts/format.sh --check [FILE...]  lists them instead, and exits 1 if there are any
# Without FILEs: every .c and .h under engine/, distcc-config/, flags/,
# tests/unit/ and tests/fuzz/, and bench/*.c. CLANG_FORMAT names the
# program (default clang-format; the config is written for version 14, as in
# Debian 12). Exit 2: clang-format is missing or fails on a file.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

check=0
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null 2>&1; then
  echo "format.sh: $cf not found: install clang-format (Debian) or llvm-core/clang (Gentoo), or set CLANG_FORMAT" >&2
  exit 2
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find engine distcc-config flags tests/unit tests/fuzz -name '*.[ch]' -type f; find bench -maxdepth 1 -name '*.c' -type f)
  mapfile -t files < <(printf '%s\n' "${files[@]}" | LC_ALL=C sort)
fi
[ ${#files[@]} -gt 0 ] || exit 0

if [ "$check" = 0 ]; then
  "$cf" -i --style=file "${files[@]}"
  exit 0
fi

tmp=$(mktemp "${TMPDIR:-/tmp}/format.XXXXXX")
trap 'rm -f "$tmp"' EXIT
bad=0
for f in "${files[@]}"; do
  if ! "$cf" --style=file "$f" >"$tmp"; then
    echo "format.sh: $cf failed on $f" >&2
    exit 2
  fi
  if ! cmp -s "$tmp" "$f"; then
    echo "$f"
    bad=1
  fi
done
exit "$bad"
