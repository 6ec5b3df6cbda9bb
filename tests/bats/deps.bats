#!/usr/bin/env bats
# A machine without a test tool: scripts/deps.sh names each missing tool with
# its Debian package and Gentoo atom, and the test run stops before any test
# instead of tests skipping or failing for it one by one.
# shellcheck disable=SC2154 # output, stderr come from bats' run

load common
bats_require_minimum_version 1.5.0

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  export LC_ALL=C
}

teardown() {
  dcc_remove_path_without
  [ -z "${TAP_BUILD:-}" ] || rm -rf "$TAP_BUILD"
}

@test "deps.sh --check without column and pgrep: one line for each, with its packages, and exit 1" {
  dcc_path_without column pgrep
  run --separate-stderr env PATH="$PATH_WITHOUT" "$DCC_TOP/scripts/deps.sh" --check
  [ "$status" -eq 1 ]
  [ "$output" = "" ]
  [ "$stderr" = "deps: missing pgrep (Debian package procps, Gentoo sys-process/procps)
deps: missing column (Debian package bsdextrautils, Gentoo sys-apps/util-linux)" ]
}

@test "deps.sh --check --build: the build needs no test tool" {
  dcc_path_without column pgrep python3 bats
  run --separate-stderr env PATH="$PATH_WITHOUT" "$DCC_TOP/scripts/deps.sh" --check --build
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$stderr" = "" ]
}

@test "run-tests.sh bats without bats and column: it names both and runs no test" {
  dcc_path_without bats column
  # Its TAP goes to a build tree of its own, under the top like make check's.
  TAP_BUILD=$(mktemp -d "$DCC_TOP/build/deps-test.XXXXXX")
  run --separate-stderr env PATH="$PATH_WITHOUT" timeout 60 "$DCC_TOP/scripts/run-tests.sh" bats \
    "build/${TAP_BUILD##*/}"
  [ "$status" -eq 1 ]
  [ "$output" = "" ]
  [ "$stderr" = "deps: missing bats (Debian package bats, Gentoo dev-util/bats)
deps: missing column (Debian package bsdextrautils, Gentoo sys-apps/util-linux)
run-tests.sh: test tools are missing; scripts/deps.sh installs them (make check runs it as root)" ]
}

@test "a test that needs a missing tool fails and names it, instead of skipping" {
  dcc_path_without groff
  # shellcheck disable=SC2016 # $1 is the inner bash's
  run --separate-stderr env PATH="$PATH_WITHOUT" bash -c 'source "$1"; dcc_need_tool gcc groff' _ \
    "$DCC_TOP/tests/bats/common.bash"
  [ "$status" -eq 1 ]
  [ "$stderr" = "test tool groff is not installed: scripts/deps.sh installs it (make check runs it first)" ]
  run --separate-stderr dcc_need_tool /nonexistent/distccd
  [ "$status" -eq 1 ]
  [ "$stderr" = "test tool /nonexistent/distccd is not installed: scripts/deps.sh installs it (make check runs it first)" ]
  run dcc_need_tool gcc /usr/bin/env
  [ "$status" -eq 0 ]
}
