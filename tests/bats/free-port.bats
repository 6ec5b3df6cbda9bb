#!/usr/bin/env bats
# scripts/free-port.sh, the free ports of make demo and of every test: a
# port some socket uses is never handed out, and one call's ports differ.
# shellcheck disable=SC2154 # output, lines, stderr come from bats' run

load common
bats_require_minimum_version 1.5.0

setup() {
  cd "$BATS_TEST_TMPDIR" || return
}

teardown() {
  dcc_stop_distccd
}

@test "the port a daemon listens on is not handed out; once the daemon is gone, it is" {
  dcc_start_distccd
  port=$DAEMON_PORT
  run --separate-stderr "$DCC_TOP/scripts/free-port.sh" 1 "$port-$port"
  [ "$status" -eq 1 ]
  [ "$output" = "" ]
  [ "$stderr" = "free-port.sh: only 0 of the 1 ports asked for are free" ]
  dcc_stop_distccd
  run --separate-stderr "$DCC_TOP/scripts/free-port.sh" 1 "$port-$port"
  [ "$status" -eq 0 ]
  [ "$output" = "$port" ]
}

@test "ten ports from a range of ten free ones: each of them once" {
  local first
  # A range of ten ports no socket uses (another test may hold one).
  for _ in 1 2 3 4 5; do
    first=$("$DCC_TOP/scripts/free-port.sh")
    run --separate-stderr "$DCC_TOP/scripts/free-port.sh" 10 "$first-$((first + 9))"
    [ "$status" -ne 0 ] || break
  done
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "${lines[@]}" | sort -n)" = "$(seq "$first" $((first + 9)))" ]
}

@test "fifty ports from one call: below the kernel's ephemeral range" {
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  [ "$low" -gt 11024 ]
  run --separate-stderr "$DCC_TOP/scripts/free-port.sh" 50
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 50 ]
  for port in "${lines[@]}"; do
    [ "$port" -ge $((low - 10000)) ] && [ "$port" -lt "$low" ] || { echo "port $port out of range"; false; }
  done
}

@test "a bad count or range: one line and exit 2" {
  run --separate-stderr "$DCC_TOP/scripts/free-port.sh" 0
  [ "$status" -eq 2 ]
  [ "$stderr" = 'free-port.sh: COUNT must be a number from 1 to 99, not "0"' ]
  run --separate-stderr "$DCC_TOP/scripts/free-port.sh" 1 9-8
  [ "$status" -eq 2 ]
  [ "$stderr" = 'free-port.sh: the range must be FIRST-LAST within 1-65535, not "9-8"' ]
  run --separate-stderr "$DCC_TOP/scripts/free-port.sh" 1 08-9
  [ "$status" -eq 2 ]
  [ "$stderr" = 'free-port.sh: the range must be FIRST-LAST within 1-65535, not "08-9"' ]
}
