#!/usr/bin/env bats
# The man pages agree with the settings table (engine/lib/proto/dcc_settings.c): every variable a program reads is in its page's ENVIRONMENT, with the table's default.
# shellcheck disable=SC2154 # output, lines, status come from bats' run
# shellcheck disable=SC2030,SC2031 # each @test is a subshell on purpose

load common
bats_require_minimum_version 1.5.0

# settings-dump.c prints the table as the library has it.
setup_file() {
  DUMP="$BATS_FILE_TMPDIR/settings-dump"
  export DUMP
  dcc_cc_with_libdcc "$DUMP" "$DCC_TOP/tests/bats/settings-dump.c"
}

setup() {
  dcc_need_tool groff col
  cd "$BATS_TEST_TMPDIR" || return
}

# One line per tagged paragraph (.TP) of a man page's section, "TAG<tab>TEXT",
# as groff lays it out (one very long line per paragraph, no hyphenation).
# A plain paragraph starts at the tags' indent too but has no indented text
# under it: it is left out, so the variables it names are not taken for tags.
man_section() { # PAGE SECTION
  groff -man -Tutf8 -rLL=4000n -rHY=0 "$1" 2>/dev/null | col -bx | awk -v sec="$2" '
    $0 == sec { p = 1; next }
    !p { next }
    /^[^ ]/ { exit }
    /^       [^ ]/ {
      if (tag != "" && body != "") print tag "\t" body
      tag = substr($0, 8); body = ""
      # A tag narrower than the indent has its text on the same line.
      if (length($0) > 14 && substr($0, 8, 7) ~ / $/) { tag = substr($0, 8, 7); sub(/ +$/, "", tag); body = " " substr($0, 15) }
      next
    }
    { sub(/^ +/, ""); if ($0 != "") body = body " " $0 }
    END { if (tag != "" && body != "") print tag "\t" body }'
}

# Names each variable the table gives to READER (a letter of settings-dump)
# that PAGE's SECTION lacks, or whose paragraph does not say "default X".
check_page() { # PAGE SECTION READER
  local page=$1 section=$2 reader=$3 paras name readers def text bad=0
  paras=$(man_section "$page" "$section")
  while IFS=$'\t' read -r name readers def; do
    [[ $readers == *"$reader"* ]] || continue
    text=$(awk -F '\t' -v n="$name" '{ t = " " $1 " "; gsub(/,/, " ", t) } index(t, " " n " ") { print $2; exit }' <<<"$paras")
    if [ "$(awk -F '\t' -v n="$name" '{ t = " " $1 " "; gsub(/,/, " ", t) } index(t, " " n " ") { c++ } END { print c + 0 }' <<<"$paras")" -gt 1 ]; then
      echo "$(basename "$page"): $name has more than one paragraph in $section"
      bad=1
    fi
    if [ -z "$text" ]; then
      echo "$(basename "$page"): $name is missing from $section"
      bad=1
    elif [ -n "$def" ] && [[ "$text " != *"default $def"[\ ,.\;\)]* ]]; then
      echo "$(basename "$page"): $name does not say \"default $def\""
      bad=1
    fi
  done < <("$DUMP")
  return "$bad"
}

@test "the table names every variable once, with its readers" {
  run "$DUMP"
  [ "$status" -eq 0 ]
  [ "$(cut -f1 <<<"$output" | sort | uniq -d)" = "" ]
  [[ "$output" == *$'DISTCC_IO_TIMEOUT\tCDE\t300'* ]]
  [[ "$output" == *$'DISTCC_BACKOFF_PERIOD\tCE\t60'* ]]
}

# The page agrees: check_page names nothing.
page_agrees() { # PAGE SECTION READER
  run check_page "$DCC_TOP/man/$1" "$2" "$3"
  [ "$output" = "" ]
  [ "$status" -eq 0 ]
}

@test "distcc(1) lists every variable the client reads, with its default" {
  page_agrees distcc.1 ENVIRONMENT C
}

@test "distccd(1) lists the variables of the table the daemon reads, with their defaults" {
  page_agrees distccd.1 ENVIRONMENT D
}

@test "pump(1) lists the variables pump reads, with their defaults" {
  page_agrees pump.1 ENVIRONMENT P
}

@test "distccmon-text(1) and distccmon-gui(1) list the variables the monitors read" {
  page_agrees distccmon-text.1 ENVIRONMENT M
  page_agrees distccmon-gui.1 ENVIRONMENT M
}

@test "distcc-config(1) lists every variable --set-env accepts, with its default" {
  page_agrees distcc-config.1 VARIABLES E
}

@test "a page with another default or without a variable is named" {
  sed -e 's/(default 300)/(default 600)/' -e 's/^\.B DISTCC_TCP_CORK$/.B DISTCC_TCP_KORK/' \
    "$DCC_TOP/man/distcc.1" >distcc.1
  run check_page distcc.1 ENVIRONMENT C
  [ "$status" -eq 1 ]
  [ "$output" = 'distcc.1: DISTCC_IO_TIMEOUT does not say "default 300"
distcc.1: DISTCC_TCP_CORK is missing from ENVIRONMENT' ]
}

@test "a variable with two paragraphs is named; a plain paragraph naming variables is no tag" {
  # A second DISTCC_IO_TIMEOUT paragraph after DISTCC_HOSTS', and a plain
  # paragraph naming DISTCC_TCP_CORK after the section heading.
  awk '{ print }
    /^\.SH ENVIRONMENT$/ { print "Of DISTCC_TCP_CORK and DISTCC_VERBOSE, see below." }
    /^\.B DISTCC_HOSTS$/ { print "The host list.\n.TP\n.B DISTCC_IO_TIMEOUT\nAgain (default 300)." }' \
    "$DCC_TOP/man/distcc.1" >distcc.1
  run check_page distcc.1 ENVIRONMENT C
  [ "$status" -eq 1 ]
  [ "$output" = 'distcc.1: DISTCC_IO_TIMEOUT has more than one paragraph in ENVIRONMENT' ]
}

@test "distcc --help lists every variable the client reads, with its default, from the same table" {
  run "$DCC_BIN/distcc" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *$'\n  DISTCC_IO_TIMEOUT        seconds a network read or write may stall (default 300)\n'* ]]
  [[ "$output" == *$'\n  DISTCC_SKIP_LOCAL_RETRY  set: a compile that failed on a helper is not retried locally\n'* ]]
  local name readers def
  while IFS=$'\t' read -r name readers def; do
    if [[ $readers == *C* ]]; then
      grep -qE "^  $name +[^ ].*${def:+\(default $def\)}\$" <<<"$output" || { echo "--help lacks $name ${def:+(default $def)}"; false; }
    else
      ! grep -qE "^  $name " <<<"$output" || { echo "--help lists $name, which the client does not read"; false; }
    fi
  done < <("$DUMP")
}
