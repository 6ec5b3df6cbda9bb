#!/usr/bin/env bash
# Checks for the build and test dependencies and installs the missing ones
# (Debian: apt-get; Gentoo: prints the emerge line). --quiet-check only tests.
set -euo pipefail

quiet_check=0
[ "${1:-}" = "--quiet-check" ] && quiet_check=1

# pkg-config name : Debian package : Gentoo atom
pc_deps=(
  "popt:libpopt-dev:dev-libs/popt"
  "lzo2:liblzo2-dev:dev-libs/lzo"
  "jansson:libjansson-dev:dev-libs/jansson"
  "libcurl:libcurl4-openssl-dev:net-misc/curl"
  "cmocka:libcmocka-dev:dev-util/cmocka"
)
# command or file : Debian package : Gentoo atom
other_deps=(
  "/usr/include/iniparser/iniparser.h:libiniparser-dev:dev-libs/iniparser"
  "pkg-config:pkg-config:dev-util/pkgconf"
  "bats:bats:dev-util/bats"
  "distcc:distcc:sys-devel/distcc"
  "ip:iproute2:sys-apps/iproute2"
  "setpriv:util-linux:sys-apps/util-linux"
)

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
