#!/usr/bin/env bats
# The bootstrap build (the wiki's USE='-*' emerge --nodeps on a bare stage3):
# with WITH_JSON=0 WITH_CURL=0 WITH_INIPARSER=0 WITH_SECCOMP=0 WITH_GTK=0
# WITH_ZEROCONF=0 WITH_GSSAPI=0 the tree builds with popt, lzo2, libzstd and
# libb2 alone, make names every part it leaves out, and the programs it
# builds work. pkg-config is shown only those four (PKG_CONFIG_LIBDIR), so a
# build that still asked for jansson, libcurl or libseccomp would fail here.

bats_require_minimum_version 1.5.0

# Only popt.pc, lzo2.pc, libzstd.pc and libb2.pc, where pkg-config looks.
bare_pkgconfig() {
  local dir=$1 pc
  mkdir -p "$dir"
  for pc in popt lzo2 libzstd libb2; do
    cp "$(pkg-config --variable pcfiledir "$pc")/$pc.pc" "$dir/"
  done
}

setup_file() {
  load common
  export BOOT_PC="$BATS_FILE_TMPDIR/pkgconfig" BOOT_BUILD="$BATS_FILE_TMPDIR/build"
  bare_pkgconfig "$BOOT_PC"
  # The same check make starts with; were it to fail, make would go on to
  # install packages instead of building.
  PKG_CONFIG_LIBDIR="$BOOT_PC" WITH_JSON=0 WITH_CURL=0 WITH_INIPARSER=0 WITH_SECCOMP=0 WITH_GTK=0 WITH_ZEROCONF=0 WITH_GSSAPI=0 \
    "$DCC_TOP/scripts/deps.sh" --quiet-check --build ||
    { echo "deps.sh --quiet-check asks a bootstrap build for more than popt, lzo2, libzstd and libb2" >&3; return 1; }
  # setup_file has no "run": keep make's output for the tests below.
  PKG_CONFIG_LIBDIR="$BOOT_PC" make -C "$DCC_TOP" --no-print-directory -j2 BUILD="$BOOT_BUILD" \
    WITH_JSON=0 WITH_CURL=0 WITH_INIPARSER=0 WITH_SECCOMP=0 WITH_GTK=0 WITH_ZEROCONF=0 WITH_GSSAPI=0 all >"$BATS_FILE_TMPDIR/make.out" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/make.out" >&3; return 1; }
}

setup() {
  load common
}

teardown() {
  dcc_stop_distccd
}

@test "deps.sh asks a bootstrap build for popt, lzo2, libzstd and libb2 only; WITH_JSON=1 needs jansson" {
  PKG_CONFIG_LIBDIR="$BOOT_PC" WITH_JSON=0 WITH_CURL=0 WITH_INIPARSER=0 WITH_SECCOMP=0 WITH_GTK=0 WITH_ZEROCONF=0 WITH_GSSAPI=0 \
    run "$DCC_TOP/scripts/deps.sh" --quiet-check --build
  [ "$status" -eq 0 ]
  # auto: used when found, never a reason to fail the check.
  PKG_CONFIG_LIBDIR="$BOOT_PC" run "$DCC_TOP/scripts/deps.sh" --quiet-check --build
  [ "$status" -eq 0 ]
  PKG_CONFIG_LIBDIR="$BOOT_PC" WITH_JSON=1 run "$DCC_TOP/scripts/deps.sh" --quiet-check --build
  [ "$status" -eq 1 ]
}

@test "make says, one line per part, what the bootstrap build leaves out and why" {
  [ "$(grep -v -e '^cc ' -e '^ar ' "$BATS_FILE_TMPDIR/make.out")" = \
"distcc-preflight: not built (WITH_JSON=0; WITH_CURL=0; WITH_INIPARSER=0)
distcc, distccd: built without CAPS (every helper is taken for stock) and without the /stats.json and /toolchain pages (WITH_JSON=0)
distccd: built without the seccomp layer of the job sandbox (WITH_SECCOMP=0)
distccmon-gui: not built (WITH_GTK=0)
distcc, distccd: built without Zeroconf (+zeroconf, --zeroconf) (WITH_ZEROCONF=0)
distcc, distccd: built without GSS-API authentication (,auth and --auth) (WITH_GSSAPI=0)" ]
}

@test "the client, the daemon and distcc-config need nothing beyond libc, popt, lzo2, libzstd and libb2" {
  [ "$(find "$BOOT_BUILD/bin" -mindepth 1 -printf '%P\n' | LC_ALL=C sort | tr '\n' ' ')" = "distcc distcc-config distccd distccflags distccmon-text pump " ]
  local prog
  for prog in distcc distccd distcc-config distccflags distccmon-text pump; do
    run -0 readelf -d "$BOOT_BUILD/bin/$prog"
    run -0 grep -oP 'NEEDED.*\[\K[^]]+' <<<"$output"
    for lib in "${lines[@]}"; do
      case "$lib" in
        libc.so.* | libm.so.* | libpopt.so.* | liblzo2.so.* | libzstd.so.* | libb2.so.*) ;;
        *) echo "$prog needs $lib"; false ;;
      esac
    done
  done
  # Not one object was compiled with the optional libraries' headers.
  run grep -rlE 'jansson\.h|curl/curl\.h|iniparser\.h|seccomp\.h' --include='*.d' "$BOOT_BUILD"
  [ "$status" -eq 1 ]
  [ "$output" = "" ]
}

@test "auto leaves out what pkg-config cannot find and says what to install" {
  PKG_CONFIG_LIBDIR="$BOOT_PC" run -0 make -C "$DCC_TOP" --no-print-directory -n BUILD="$BOOT_BUILD" all
  run -0 grep -E '^distcc' <<<"$output"
  [ "$output" = "distcc-preflight: not built (jansson not found: install libjansson-dev / dev-libs/jansson, or WITH_JSON=1 to require it; libcurl not found: install libcurl4-openssl-dev / net-misc/curl, or WITH_CURL=1 to require it)
distcc, distccd: built without CAPS (every helper is taken for stock) and without the /stats.json and /toolchain pages (jansson not found: install libjansson-dev / dev-libs/jansson, or WITH_JSON=1 to require it)
distccd: built without the seccomp layer of the job sandbox (libseccomp not found: install libseccomp-dev / sys-libs/libseccomp, or WITH_SECCOMP=1 to require it)
distccmon-gui: not built (gtk+-3.0 not found: install libgtk-3-dev / x11-libs/gtk+:3, or WITH_GTK=1 to require it)
distcc, distccd: built without Zeroconf (+zeroconf, --zeroconf) (avahi-client not found: install libavahi-client-dev / net-dns/avahi[dbus], or WITH_ZEROCONF=1 to require it)
distcc, distccd: built without GSS-API authentication (,auth and --auth) (krb5-gssapi not found: install libkrb5-dev / app-crypt/mit-krb5, or WITH_GSSAPI=1 to require it)" ]
  # With every library there (make check's machine), nothing is left out.
  run -0 make -C "$DCC_TOP" --no-print-directory -n BUILD="$BOOT_BUILD" all
  run grep -E '^distcc' <<<"$output"
  [ "$status" -eq 1 ]
}

@test "WITH_JSON=1 without jansson stops make with what to install, never in a loop; a bad value is named" {
  PKG_CONFIG_LIBDIR="$BOOT_PC" run -2 make -C "$DCC_TOP" --no-print-directory -n DEPS_OK=yes \
    BUILD="$BOOT_BUILD" WITH_JSON=1 all
  [[ "$output" == *"*** WITH_JSON=1 but jansson is not found: install libjansson-dev (Debian) or dev-libs/jansson (Gentoo).  Stop." ]]
  # Without DEPS_OK=yes, make would install jansson (deps.sh --build) and
  # start again once; that second make, still not seeing it, stops.
  PKG_CONFIG_LIBDIR="$BOOT_PC" run -2 make -C "$DCC_TOP" --no-print-directory -n DEPS_RETRY=1 \
    BUILD="$BOOT_BUILD" WITH_JSON=1 all
  [[ "$output" == *"*** scripts/deps.sh installed the build dependencies, but pkg-config still does not find them all; scripts/deps.sh --build names what is missing.  Stop." ]]
  run -2 make -C "$DCC_TOP" --no-print-directory -n DEPS_OK=yes BUILD="$BOOT_BUILD" WITH_CURL=yes all
  [[ "$output" == *'*** WITH_CURL must be auto, 1 or 0, not "yes".  Stop.' ]]
}

@test "the bootstrap daemon compiles the bootstrap client's job and serves the 3.x stats page" {
  DCC_BIN="$BOOT_BUILD/bin"
  local sport
  sport=$(dcc_free_port)
  dcc_start_distccd --stats --stats-port "$sport"
  dcc_wait_port "$sport"
  cd "$BATS_TEST_TMPDIR"
  printf 'int answer(void) { return 42; }\n' >a.c
  DISTCC_DIR="$BATS_TEST_TMPDIR/dcc" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,lzo" DISTCC_FALLBACK=0 \
    run -0 "$DCC_BIN/distcc" gcc -c a.c -o a.o
  [ -s a.o ]
  run -0 dcc_http_get "$sport" /
  [ "${lines[0]}" = "HTTP/1.0 200 OK" ]
  [[ "$output" == *"dcc_compile_ok 1"* ]]
  run -0 dcc_http_get "$sport" /metrics
  [ "${lines[0]}" = $'HTTP/1.0 200 OK\r' ]
}

@test "without jansson, /stats.json and /toolchain answer 404 and say why" {
  DCC_BIN="$BOOT_BUILD/bin"
  local sport page
  sport=$(dcc_free_port)
  dcc_start_distccd --stats --stats-port "$sport"
  dcc_wait_port "$sport"
  for page in /stats.json /toolchain; do
    run -0 dcc_http_get "$sport" "$page"
    [ "$output" = "HTTP/1.0 404 Not Found"$'\r'"
Content-Type: text/plain"$'\r'"
Content-Length: $((${#page} + 55))"$'\r'"
Connection: close"$'\r'"
"$'\r'"
$page: this distccd is built without JSON support (jansson)" ]
  done
}
