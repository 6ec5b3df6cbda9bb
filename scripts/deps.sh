#!/usr/bin/env bash
# Checks for the build and test dependencies and installs the missing ones
# (Debian: apt-get; Gentoo: prints the emerge line).
#   deps.sh [--quiet-check] [--build]
# --quiet-check only tests (exit 1 when something is missing); --build looks
# at what building needs, not at the test tools (for make, make install and
# the ebuild). With --build, the optional libraries follow the Makefile's
# switches in the environment (WITH_JSON, WITH_CURL, WITH_INIPARSER): 0 skips
# one, auto installs it but --quiet-check does not ask for it, 1 needs it.
set -euo pipefail

quiet_check=0 build_only=0
for arg in "$@"; do
  case "$arg" in
    --quiet-check) quiet_check=1 ;;
    --build) build_only=1 ;;
    *) echo "deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

# pkg-config name : Debian package : Gentoo atom
pc_deps=(
  "popt:libpopt-dev:dev-libs/popt"
  "lzo2:liblzo2-dev:dev-libs/lzo"
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
  [ "$switch" = auto ] && [ "$quiet_check" -eq 0 ]
}
if wanted WITH_JSON; then pc_deps+=("jansson:libjansson-dev:dev-libs/jansson"); fi
if wanted WITH_CURL; then pc_deps+=("libcurl:libcurl4-openssl-dev:net-misc/curl"); fi
if wanted WITH_INIPARSER; then
  other_deps+=("/usr/include/iniparser/iniparser.h:libiniparser-dev:dev-libs/iniparser")
fi
if [ "$build_only" -eq 0 ]; then
  pc_deps+=("cmocka:libcmocka-dev:dev-util/cmocka")
  # Test tools; stock distcc 3.4 is the interoperation peer.
  other_deps+=(
    "bats:bats:dev-util/bats"
    "/usr/bin/distccd:distcc:sys-devel/distcc"
    "ip:iproute2:sys-apps/iproute2"
    "ss:iproute2:sys-apps/iproute2"
    "setpriv:util-linux:sys-apps/util-linux"
    "python3:python3:dev-lang/python"
    "curl:curl:net-misc/curl"
    "shellcheck:shellcheck:dev-util/shellcheck"
    "openrc-run:openrc:sys-apps/openrc"
    "systemd-analyze:systemd:sys-apps/systemd"
    "groff:groff-base:sys-apps/groff"
    "dash:dash:app-shells/dash"
    "xmllint:libxml2-utils:dev-libs/libxml2"
    "strace:strace:dev-debug/strace"
    "clang:clang:sys-devel/clang"
  )
fi

missing_deb=()
missing_gentoo=()
for entry in "${pc_deps[@]}"; do
  IFS=: read -r pc deb gentoo <<<"$entry"
  if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$pc"; then
    missing_deb+=("$deb"); missing_gentoo+=("$gentoo")
  fi
done
for entry in "${other_deps[@]}"; do
  IFS=: read -r what deb gentoo <<<"$entry"
  case "$what" in
    /*) [ -e "$what" ] && continue ;;
    *) command -v "$what" >/dev/null 2>&1 && continue ;;
  esac
  missing_deb+=("$deb"); missing_gentoo+=("$gentoo")
done

[ ${#missing_deb[@]} -eq 0 ] && exit 0
[ "$quiet_check" -eq 1 ] && exit 1

if command -v apt-get >/dev/null 2>&1; then
  echo "deps: installing ${missing_deb[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "deps: missing ${missing_deb[*]}; run as root: apt-get install ${missing_deb[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing_deb[@]}" >/dev/null
  # The distcc package starts its own daemon on some systems; tests start theirs.
  exit 0
fi
if command -v emerge >/dev/null 2>&1; then
  echo "deps: missing packages; run as root: emerge --ask --noreplace ${missing_gentoo[*]}" >&2
  exit 1
fi
echo "deps: missing ${missing_deb[*]} (Debian names); install them with your package manager" >&2
exit 1
