#!/usr/bin/env bats
# make check's last line: scripts/tap-summary.sh adds up every TAP file, and
# a test that never ran (bats stopping a file early, a unit test crashing)
# is a failure, never a test that quietly disappears from the count.
# shellcheck disable=SC2154 # output, lines, stderr come from bats' run

load common
bats_require_minimum_version 1.5.0

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  mkdir tap other
}

@test "every planned test reported: passed, failed and skipped are counted" {
  printf '1..3\nok 1 a\nnot ok 2 b\nok 3 c # skip skipped: needs root\n' >tap/bats.tap
  printf '1..2\nok 1 - test_one\nok 2 - test_two\n' >other/unit-test_x.tap
  run --separate-stderr "$DCC_TOP/scripts/tap-summary.sh" tap other
  [ "$status" -eq 1 ]
  [ "$output" = "3 passed, 1 failed, 1 skipped" ]
  [ "$stderr" = "" ]
  printf '1..1\nok 1 a\n' >tap/bats.tap
  run "$DCC_TOP/scripts/tap-summary.sh" tap other
  [ "$status" -eq 0 ]
  [ "$output" = "3 passed, 0 failed" ]
}

@test "a file that stopped early: the tests its plan announced but never reported count as failed" {
  printf '1..5\nok 1 a\nok 2 b\n' >tap/bats.tap
  printf '1..2\nok 1 - test_one\nnot ok - test_x exited with status 139\n' >tap/unit-test_x.tap
  run --separate-stderr "$DCC_TOP/scripts/tap-summary.sh" tap
  [ "$status" -eq 1 ]
  [ "$output" = "tap-summary: tap/bats.tap: 3 of 5 planned tests never ran
3 passed, 4 failed" ]
}

@test "no test at all is a failure" {
  run "$DCC_TOP/scripts/tap-summary.sh" tap
  [ "$status" -eq 1 ]
  [ "$output" = "0 passed, 0 failed" ]
}
