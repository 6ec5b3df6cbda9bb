#!/usr/bin/env bats
# The option catalogue (engine/lib/proto/dcc_optcat.c) against the real drivers:
# the helper reads a job's words as gcc 12 and clang 14 do only if every
# spelling it lists with a separate value takes one there, and every
# spelling it lists as a flag, or joined only, does not. A spelling the
# catalogue gets wrong would let a word it thinks is a value be an option
# to the compiler (or the other way round).

load common

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  printf 'int x;\n' >x.c
}

# "NAME<TAB>FORMS<TAB>TOOLS" for every line of the catalogue table.
catalogue_entries() {
  sed -n '/^static const struct dcc_opt dcc_optcat\[\] = {/,/^};/p' "$DCC_TOP/engine/lib/proto/dcc_optcat.c" |
    sed -nE 's/^ *\{"([^"]+)", ([A-Z| ()]+), ([A-Z0-9| ()]+), .*/\1\t\2\t\3/p'
}

# Whether DRIVER takes the word after NAME as NAME's value: "yes", "no", or
# "unknown" when this driver version does not know NAME at all. A second
# source with -c and -o is an error, so that error means absent.c was read
# as an input; so does clang's missing-file one, which clang also gives
# where the option allows several inputs (-fsyntax-only); "missing argument
# to NAME" means the bare NAME wants a joined value, and the next word is
# not it. absent.c is never created: as a value, -### reads no file.
takes_next() {
  local driver=$1 name=$2 out
  out=$("$driver" -### -c x.c -o x.o "$name" absent.c 2>&1)
  if [[ "$out" == *"option ‘$name’"* || "$out" == *"option '$name'"* || "$out" == *"unknown argument: '$name'"* ]]; then
    echo unknown
  elif [[ "$out" == *"cannot specify"* || "$out" == *"no such file or directory: 'absent.c'"* ||
    "$out" == *"missing argument to"* ]]; then
    echo no
  else
    echo yes
  fi
}

@test "the catalogue has entries for both drivers, the assembler and clang -cc1" {
  catalogue_entries >entries
  [ "$(wc -l <entries)" -gt 300 ]
  grep -qP '^-wrapper\tSP\tGC$' entries
  grep -qP '^--config\tSE\tCL$' entries
  grep -qP '^--MD\tSJ\tAS$' entries
  grep -qP '^-load\tSP\tC1$' entries
}

@test "every spelling the catalogue reads with a separate value takes one in gcc 12 and clang 14, and no other does" {
  local name forms tools driver want got bad=()
  while IFS=$'\t' read -r name forms tools; do
    case "$forms" in
      *SP* | *SJ* | *SE*) want=yes ;;
      *) want=no ;;
    esac
    for driver in gcc clang; do
      case "$driver:$tools" in
        gcc:*GC* | gcc:*BO* | clang:*CL* | clang:*BO*) ;;
        *) continue ;;
      esac
      got=$(takes_next "$driver" "$name")
      if [ "$got" != unknown ] && [ "$got" != "$want" ]; then
        bad+=("$driver $name: catalogue says $want, the driver says $got")
      fi
    done
  done < <(catalogue_entries | grep -vP '^[^\t]*[,-]\t')
  if [ "${#bad[@]}" -gt 0 ]; then
    printf '%s\n' "${bad[@]}" >&2
    return 1
  fi
}
