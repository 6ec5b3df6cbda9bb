#!/usr/bin/env bats
# Pump mode on real code: units of real code bases compiled through our
# distccd on loopback under pump, each object compared byte for byte with a
# local build (also with -g), and every unit must go in pump mode (the scan
# follows their conditionals, computed includes and system headers).

load common

setup() {
  cd "$BATS_TEST_TMPDIR"
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS INCLUDE_SERVER_DIR \
    INCLUDE_SERVER_PORT DISTCC_MAX_DISCREPANCY CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH \
    DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  export TMPDIR="$BATS_TEST_TMPDIR/tmp"
  mkdir -p "$TMPDIR"
}

teardown() {
  dcc_stop_distccd
}

# Builds every "DIR<TAB>SOURCE<TAB>ARGS" line of $1 locally into local/, then
# under pump through the daemon into pump/, and compares the objects.
# Prints pump's report (its last lines).
build_and_compare() {
  local list=$1 n=0
  mkdir -p local pump
  while IFS=$'\t' read -r dir src args; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    (cd "$dir" && gcc $args -c "$src" -o "$BATS_TEST_TMPDIR/local/$n.o") || return 1
  done <"$list"
  n=0
  {
    echo '#!/bin/sh'
    echo 'set -e'
    while IFS=$'\t' read -r dir src args; do
      n=$((n + 1))
      echo "cd '$dir' && '$DCC_BIN/distcc' gcc $args -c '$src' -o '$BATS_TEST_TMPDIR/pump/$n.o'"
    done <"$list"
  } >build.sh
  chmod 755 build.sh
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,cpp,lzo" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 \
    "$DCC_BIN/pump" ./build.sh 2>pump.err || { cat pump.err; return 1; }
  for i in $(seq "$n"); do
    cmp "local/$i.o" "pump/$i.o" || { echo "unit $i: $(sed -n "${i}p" "$list")"; return 1; }
  done
  [ "$(grep -c "compiled, exit 0, pump" "$DAEMON_LOG")" -eq "$n" ] || { cat pump.err; return 1; }
  echo "units: $n"
  cat pump.err
}

@test "binutils' zlib and the project's own sources in pump mode: every unit pumped, objects match local builds, with -g" {
  tarball=$(find /usr/src/binutils -maxdepth 1 -name 'binutils-*.tar.*' 2>/dev/null | sort | head -1)
  [ -n "$tarball" ] || skip "binutils-source is not installed (apt-get install binutils-source): no binutils units"
  tar xf "$tarball" --wildcards '*/zlib/*'
  zdir=$(echo "$BATS_TEST_TMPDIR"/binutils-*/zlib)
  chmod -R a+rX "$BATS_TEST_TMPDIR"
  dcc_start_distccd
  : >units
  for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate \
    inftrees trees uncompr zutil; do
    [ -f "$zdir/$f.c" ] && printf '%s\t%s\t%s\n' "$zdir" "$f.c" "-g -O2 -DHAVE_UNISTD_H -DHAVE_STDARG_H -I." >>units
  done
  for f in engine/lib/base/dcc_util.c engine/lib/base/dcc_run.c engine/lib/proto/dcc_wire.c \
    engine/lib/client/dcc_incscan.c engine/lib/client/dcc_ppexpr.c; do
    printf '%s\t%s\t%s\n' "$DCC_TOP" "$f" "-g -O2 -std=gnu11 -D_GNU_SOURCE -Iengine/lib" >>units
  done
  run build_and_compare units
  [ "$status" -eq 0 ]
  n=$(wc -l <units)
  [ "${lines[0]}" = "units: $n" ]
  printf '%s\n' "$output" | grep -qx "pump: $n of $n jobs (100.0%) went in pump mode"
}

@test "C++ with libstdc++'s headers in pump mode matches a local build" {
  mkdir -p cxx
  cat >cxx/main.cc <<'EOF2'
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>
int main()
{
    std::map<std::string, std::vector<int>> m{{"a", {3, 1, 2}}};
    std::sort(m["a"].begin(), m["a"].end());
    std::optional<std::variant<int, std::string>> o = std::string("x");
    std::regex r("[a-z]+");
    std::cout << m["a"][0] << std::regex_match("abc", r) << o.has_value() << std::endl;
    return 0;
}
EOF2
  chmod -R a+rX "$BATS_TEST_TMPDIR"
  dcc_start_distccd
  for std in c++17 c++20; do
    g++ -g -O2 -std=$std -c cxx/main.cc -o "local-$std.o"
    DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,cpp,lzo" DISTCC_FALLBACK=0 run "$DCC_BIN/pump" \
      "$DCC_BIN/distcc" g++ -g -O2 -std=$std -c cxx/main.cc -o "pump-$std.o"
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" | grep -qx "pump: 1 of 1 jobs (100.0%) went in pump mode"
    cmp "local-$std.o" "pump-$std.o"
  done
  [ "$(grep -c "compiled, exit 0, pump" "$DAEMON_LOG")" -eq 2 ]
}

@test "pump reports how many jobs went in pump mode and why the others did not" {
  mkdir -p p
  printf '#include "a.h"\nint x;\n' >p/ok.c
  printf '#if __has_attribute(x)\n#define H "a.h"\n#else\n#define H "b.h"\n#endif\n#include H\nint y;\n' >p/bad1.c
  cp p/bad1.c p/bad2.c
  : >p/a.h
  : >p/b.h
  chmod -R a+rX "$BATS_TEST_TMPDIR"
  dcc_start_distccd
  cat >b.sh <<EOF
#!/bin/sh
cd p && for f in ok bad1 bad2; do "$DCC_BIN/distcc" gcc -c \$f.c -o \$f.o || exit 1; done
EOF
  chmod 755 b.sh
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,cpp,lzo" run "$DCC_BIN/pump" ./b.sh
  [ "$status" -eq 0 ]
  [ "${lines[-3]}" = "pump: 1 of 3 jobs (33.3%) went in pump mode" ]
  [ "${lines[-2]}" = "pump: why the other 2 did not:" ]
  [ "${lines[-1]}" = "pump:      2  #include with a macro argument (e.g. bad1.c:6)" ]
}
