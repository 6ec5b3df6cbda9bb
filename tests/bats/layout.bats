#!/usr/bin/env bats
# The layout of engine/lib holds: scripts/check-layers.sh passes on this
# checkout and names each include that crosses from a shared folder (base/,
# proto/) into one side's, or from one side into another's.
# shellcheck disable=SC2154 # output, lines, status come from bats' run

load common
bats_require_minimum_version 1.5.0

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  # A copy of the parts the check reads, to break on purpose.
  mkdir top
  cp -r "$DCC_TOP/engine" "$DCC_TOP/distcc-config" "$DCC_TOP/flags" top/
}

@test "this checkout keeps every include on its side" {
  run "$DCC_TOP/scripts/check-layers.sh"
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
}

@test "a shared folder that includes a side's header is named, with the line" {
  printf '#include "daemon/dcc_acl.h"\n' >>top/engine/lib/proto/dcc_wire.c
  n=$(wc -l <top/engine/lib/proto/dcc_wire.c)
  printf '#include "client/dcc_state.h"\n' >>top/engine/lib/base/dcc_util.h
  m=$(wc -l <top/engine/lib/base/dcc_util.h)
  run "$DCC_TOP/scripts/check-layers.sh" "$PWD/top"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 2 ]
  [ "${lines[0]}" = "engine/lib/base/dcc_util.h:$m: includes client/dcc_state.h, but engine/lib/base may include only base/" ]
  [ "${lines[1]}" = "engine/lib/proto/dcc_wire.c:$n: includes daemon/dcc_acl.h, but engine/lib/proto may include only base/, proto/" ]
}

@test "one side reaching into another's folder is named, in the library and in a program" {
  printf '#include "admin/dcc_envd.h"\n' >>top/engine/lib/client/dcc_remote.c
  n=$(wc -l <top/engine/lib/client/dcc_remote.c)
  printf '#include "client/dcc_remote.h"\n' >>top/engine/daemon/serve.c
  m=$(wc -l <top/engine/daemon/serve.c)
  run "$DCC_TOP/scripts/check-layers.sh" "$PWD/top"
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = "engine/lib/client/dcc_remote.c:$n: includes admin/dcc_envd.h, but engine/lib/client may include only base/, proto/, client/" ]
  [ "${lines[1]}" = "engine/daemon/serve.c:$m: includes client/dcc_remote.h, but engine/daemon may include only base/, proto/, daemon/" ]
}

@test "an include without its folder, and a folder without a rule, are refused" {
  printf '#include "dcc_util.h"\n' >>top/engine/lib/proto/dcc_hosts.c
  n=$(wc -l <top/engine/lib/proto/dcc_hosts.c)
  mkdir top/engine/lib/extra
  run "$DCC_TOP/scripts/check-layers.sh" "$PWD/top"
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = "engine/lib/proto/dcc_hosts.c:$n: includes dcc_util.h without its folder (write base/, proto/, client/, daemon/ or admin/)" ]
  [ "${lines[1]}" = "engine/lib/extra: a folder of engine/lib that scripts/check-layers.sh has no rule for" ]
}
