#!/usr/bin/env bash
# Checks for the build and test dependencies and installs the missing ones
# (Debian: apt-get; Gentoo: prints the emerge line).
#   deps.sh [--quiet-check | --check] [--build]
# --quiet-check only tests (exit 1 when something is missing); --check tests
# and prints one line per missing tool or library with its package; --build
# looks at what building needs, not at the test tools (for make, make
# install, make demo and the ebuild: the demo needs nothing the build does
# not). Without --quiet-check or --check it installs what is missing, then
# checks again, so make check stops at once with the name of a tool that is
# still missing instead of a test skipping or failing for it later.
# With --build, the optional libraries follow the Makefile's switches in the
# environment (WITH_JSON, WITH_CURL, WITH_INIPARSER, WITH_SECCOMP,
# WITH_GTK, WITH_ZEROCONF, WITH_GSSAPI): 0 skips one, auto
# installs it but --quiet-check and --check do not ask for it, 1 needs it.
set -euo pipefail

mode=install build_only=0
for arg in "$@"; do
  case "$arg" in
    --quiet-check) mode=quiet ;;
    --check) mode=check ;;
    --build) build_only=1 ;;
    *) echo "deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

# pkg-config name : Debian package : Gentoo atom
pc_deps=(
  "popt:libpopt-dev:dev-libs/popt"
  "lzo2:liblzo2-dev:dev-libs/lzo"
  "libzstd:libzstd-dev:app-arch/zstd"
  # BLAKE2b: the pump header cache's content digests (client and daemon).
  "libb2:libb2-dev:app-crypt/libb2"
)
# command or file : Debian package : Gentoo atom
other_deps=(
  "pkg-config:pkg-config:dev-util/pkgconf"
)
# Whether the optional library behind a Makefile switch is wanted here.
wanted() {
  local switch=${!1:-auto}
  [ "$build_only" -eq 0 ] && return 0
  [ "$switch" = 1 ] && return 0
  [ "$switch" = auto ] && [ "$mode" = install ]
}
if wanted WITH_JSON; then pc_deps+=("jansson:libjansson-dev:dev-libs/jansson"); fi
if wanted WITH_CURL; then pc_deps+=("libcurl:libcurl4-openssl-dev:net-misc/curl"); fi
if wanted WITH_SECCOMP; then pc_deps+=("libseccomp:libseccomp-dev:sys-libs/libseccomp"); fi
if wanted WITH_GTK; then pc_deps+=("gtk+-3.0:libgtk-3-dev:x11-libs/gtk+:3"); fi
if wanted WITH_ZEROCONF; then pc_deps+=("avahi-client:libavahi-client-dev:net-dns/avahi[dbus]"); fi
if wanted WITH_GSSAPI; then pc_deps+=("krb5-gssapi:libkrb5-dev:app-crypt/mit-krb5"); fi
if wanted WITH_INIPARSER; then
  other_deps+=("/usr/include/iniparser/iniparser.h:libiniparser-dev:dev-libs/iniparser")
fi
if [ "$build_only" -eq 0 ]; then
  pc_deps+=("cmocka:libcmocka-dev:dev-util/cmocka")
  # Every program a test or test script runs that a minimal Debian 12
  # (mmdebstrap --variant=apt, then build-essential and git) lacks, and a
  # few it has that other systems may not. Debian's essential set
  # (coreutils, findutils, grep, sed, diffutils, hostname, util-linux) and
  # build-essential's gcc and make are taken as given. Stock distcc 3.4 is
  # the interoperation peer.
  other_deps+=(
    "bats:bats:dev-util/bats"
    "/usr/bin/distccd:distcc:sys-devel/distcc"
    "/usr/bin/distccmon-text:distcc:sys-devel/distcc"
    # bats enforces its test timeouts with ps or pkill; tests wait on
    # children with pgrep and read a process's user and state with ps.
    "ps:procps:sys-process/procps"
    "pgrep:procps:sys-process/procps"
    "pkill:procps:sys-process/procps"
    # The network-namespace cluster turns on forwarding in its router.
    "sysctl:procps:sys-process/procps"
    "ip:iproute2:sys-apps/iproute2"
    "ss:iproute2:sys-apps/iproute2"
    "tc:iproute2:sys-apps/iproute2"
    "setpriv:util-linux:sys-apps/util-linux"
    "unshare:util-linux:sys-apps/util-linux"
    "mount:mount:sys-apps/util-linux"
    # distcc-preflight's table is compared with column -t's.
    "column:bsdextrautils:sys-apps/util-linux"
    "python3:python3:dev-lang/python"
    "curl:curl:net-misc/curl"
    "shellcheck:shellcheck:dev-util/shellcheck"
    "openrc-run:openrc:sys-apps/openrc"
    "systemd-analyze:systemd:sys-apps/systemd"
    "systemd-tmpfiles:systemd:sys-apps/systemd"
    # systemd-analyze verify looks up the unit's Documentation= with man.
    "man:man-db:sys-apps/man-db"
    "groff:groff-base:sys-apps/groff"
    "dash:dash:app-shells/dash"
    "xmllint:libxml2-utils:dev-libs/libxml2"
    "strace:strace:dev-debug/strace"
    "clang:clang:sys-devel/clang"
    # make fuzz and make check link the tests/fuzz targets with clang's
    # -fsanitize=fuzzer,address,undefined: runtimes Debian's clang only
    # recommends (see has_libfuzzer).
    "libFuzzer:libclang-rt-dev:sys-libs/compiler-rt-sanitizers[libfuzzer]"
    "g++:g++:sys-devel/gcc"
    "objdump:binutils:sys-devel/binutils"
    "readelf:binutils:sys-devel/binutils"
    "nm:binutils:sys-devel/binutils"
    # The Portage hook is tested behind ccache, whose cache hits replay
    # stderr; the logrotate file is checked with logrotate -d.
    "ccache:ccache:dev-util/ccache"
    "logrotate:logrotate:app-admin/logrotate"
    # distccmon-gui runs under a virtual X server; its screenshot is taken
    # with xwd.
    "Xvfb:xvfb:x11-base/xorg-server"
    "xwd:x11-apps:x11-apps/xwd"
    # and its directory switch is turned with the mouse wheel, through xdotool.
    "xdotool:xdotool:x11-misc/xdotool"
    # zeroconf.bats runs a system bus and an mDNS responder in each of its
    # network namespaces (avahi-daemon brings the bus policy that lets it
    # own org.freedesktop.Avahi).
    "avahi-daemon:avahi-daemon:net-dns/avahi"
    "dbus-daemon:dbus-daemon:sys-apps/dbus"
    # gssapi.bats runs its own MIT Kerberos realm: a KDC, its database and
    # admin tools, and the user tools for tickets. (krb5-config, pulled in
    # by these, asks debconf questions: DEBIAN_FRONTEND=noninteractive below
    # takes its defaults; the tests use their own krb5.conf.)
    "krb5kdc:krb5-kdc:app-crypt/mit-krb5"
    "kdb5_util:krb5-kdc:app-crypt/mit-krb5"
    "kadmin.local:krb5-admin-server:app-crypt/mit-krb5"
    "kinit:krb5-user:app-crypt/mit-krb5"
    "kdestroy:krb5-user:app-crypt/mit-krb5"
    "klist:krb5-user:app-crypt/mit-krb5"
  )
fi

missing_deb=() missing_gentoo=() missing_lines=()
# Adds a missing dependency once per package; every missing tool gets its line.
add_missing() {
  local what=$1 deb=$2 gentoo=$3
  missing_lines+=("deps: missing $what (Debian package $deb, Gentoo $gentoo)")
  case " ${missing_deb[*]} " in *" $deb "*) ;; *) missing_deb+=("$deb") ;; esac
  case " ${missing_gentoo[*]} " in *" $gentoo "*) ;; *) missing_gentoo+=("$gentoo") ;; esac
}

# clang's libFuzzer runtime, in the directory clang takes its runtimes from
# (named per architecture, or in a per-target directory without the suffix).
has_libfuzzer() {
  local dir
  dir=$(clang -print-runtime-dir 2>/dev/null) || return 1
  [ -e "$dir/libclang_rt.fuzzer-$(uname -m).a" ] || [ -e "$dir/libclang_rt.fuzzer.a" ]
}

find_missing() {
  local entry pc what deb gentoo
  missing_deb=() missing_gentoo=() missing_lines=()
  for entry in "${pc_deps[@]}"; do
    IFS=: read -r pc deb gentoo <<<"$entry"
    if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$pc"; then
      add_missing "library $pc" "$deb" "$gentoo"
    fi
  done
  for entry in "${other_deps[@]}"; do
    IFS=: read -r what deb gentoo <<<"$entry"
    case "$what" in
      /*) [ -e "$what" ] && continue ;;
      libFuzzer) has_libfuzzer && continue ;;
      # sysctl and friends live in sbin, which a user's PATH may lack.
      *) PATH="$PATH:/usr/sbin:/sbin" command -v "$what" >/dev/null 2>&1 && continue ;;
    esac
    add_missing "$what" "$deb" "$gentoo"
  done
}

find_missing
[ ${#missing_lines[@]} -eq 0 ] && exit 0
case "$mode" in
  quiet) exit 1 ;;
  check) printf '%s\n' "${missing_lines[@]}" >&2; exit 1 ;;
esac

if command -v apt-get >/dev/null 2>&1; then
  echo "deps: installing ${missing_deb[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      printf '%s\n' "${missing_lines[@]}" >&2
      echo "deps: run as root: apt-get install ${missing_deb[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing_deb[@]}" >/dev/null
  # The distcc package starts its own daemon on some systems; tests start theirs.
  find_missing
  [ ${#missing_lines[@]} -eq 0 ] && exit 0
  printf '%s\n' "${missing_lines[@]}" >&2
  echo "deps: still missing after apt-get install" >&2
  exit 1
fi
printf '%s\n' "${missing_lines[@]}" >&2
if command -v emerge >/dev/null 2>&1; then
  echo "deps: run as root: emerge --ask --noreplace ${missing_gentoo[*]}" >&2
  exit 1
fi
echo "deps: install them with your package manager" >&2
exit 1
