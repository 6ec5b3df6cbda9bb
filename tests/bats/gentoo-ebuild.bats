#!/usr/bin/env bats
# portage/sys-devel/distcc/distcc-9999.ebuild, sourced in bash with Portage's
# helpers replaced by small stand-ins: its make variables per USE flag, what
# src_install puts in the image (through the real make install), and what
# pkg_postinst / pkg_postrm do to the masquerade directory.
# shellcheck disable=SC2016 # single-quoted code runs in another shell, on purpose

bats_require_minimum_version 1.5.0

setup() {
  load common
  EBUILD_DIR="$DCC_TOP/portage/sys-devel/distcc"
  EBUILD="$EBUILD_DIR/distcc-9999.ebuild"
  CALLS="$BATS_TEST_TMPDIR/calls"
  : >"$CALLS"
}

# Runs the given code in bash after sourcing the ebuild with USE=$USE.
# emake records its arguments; with "install" it runs the real make install
# from the existing build (-o all: nothing is rebuilt).
ebuild_sh() {
  USE="${USE:-}" CALLS="$CALLS" DCC_TOP="$DCC_TOP" DCC_BUILD="$DCC_BUILD" EBUILD="$EBUILD" \
    FILESDIR="$EBUILD_DIR/files" bash -c '
    set -u
    EPREFIX="" CFLAGS="-O2 -pipe" LDFLAGS="-Wl,-O1"
    inherit() { :; }
    use() { [[ " $USE " == *" $1 "* ]]; }
    usex() { if use "$1"; then echo "${2-yes}"; else echo "${3-no}"; fi; }
    tc-getCC() { echo x86_64-pc-linux-gnu-gcc; }
    tc-getAR() { echo x86_64-pc-linux-gnu-ar; }
    die() { echo "die: $*" >>"$CALLS"; exit 1; }
    emake() {
      printf "emake"; printf " [%s]" "$@"; echo
      if [[ " $* " == *" install "* ]]; then
        make -s -C "$DCC_TOP" -o all BUILD="$DCC_BUILD" "$@" >/dev/null || die "make install"
      fi
    } >>"$CALLS"
    insinto() { INSDESTTREE=$1; }
    newins() { install -D -m 0644 "$1" "${ED%/}${INSDESTTREE}/$2"; }
    dodoc() { echo "dodoc $*" >>"$CALLS"; }
    elog() { echo "elog $*" >>"$CALLS"; }
    ewarn() { echo "ewarn $*" >>"$CALLS"; }
    tmpfiles_process() { echo "tmpfiles_process $*" >>"$CALLS"; }
    # shellcheck disable=SC1090
    source "$EBUILD"
    eval "$1"' bash "$1"
}

@test "the ebuild is bash, shellcheck clean, with its USE flags and the distcc user" {
  bash -n "$EBUILD"
  dcc_need_tool shellcheck xmllint
  # Portage's variables (EROOT, ED ...) come from outside.
  shellcheck -s bash -e SC2034,SC2154,SC2153 "$EBUILD"
  run ebuild_sh 'echo "EAPI=$EAPI"; echo "IUSE=$IUSE"; echo "$RDEPEND" | grep -E "acct-user|selinux|xinetd"'
  [ "$output" = "EAPI=8
IUSE=gtk selinux xinetd zeroconf
	acct-user/distcc
	selinux? ( sec-policy/selinux-distcc )
	xinetd? ( sys-apps/xinetd )" ]
  xmllint --noout "$EBUILD_DIR/metadata.xml"
}

@test "src_compile: Portage's toolchain and flags, Gentoo's paths, USE flags as make variables" {
  USE="gtk" run ebuild_sh src_compile
  [ "$status" -eq 0 ]
  [ "$(cat "$CALLS")" = "emake [DEPS_OK=yes] [CC=x86_64-pc-linux-gnu-gcc] [AR=x86_64-pc-linux-gnu-ar] [OPT=] [WARN=-Wall -Wextra] [CFLAGS=-O2 -pipe] [LDFLAGS=-Wl,-O1] [PREFIX=/usr] [BINDIR=/usr/bin] [LIBDIR=/usr/lib] [MANDIR=/usr/share/man] [SYSCONFDIR=/etc] [WITH_GTK=1] [WITH_ZEROCONF=0] [all]" ]
  : >"$CALLS"
  USE="zeroconf" run ebuild_sh src_compile
  grep -q ' \[WITH_GTK=0\] \[WITH_ZEROCONF=1\] \[all\]$' "$CALLS"
}

@test "src_install: make install fills the image; USE=-zeroconf -xinetd adds nothing" {
  local image="$BATS_TEST_TMPDIR/image"
  USE="" run ebuild_sh "D='$image/' ED='$image/' src_install"
  [ "$status" -eq 0 ] || { cat "$CALLS"; false; }
  grep -q '^emake .* \[DESTDIR=.*/image/\] \[install\]$' "$CALLS"
  grep -qx 'dodoc README.md' "$CALLS"
  for f in etc/conf.d/distccd etc/init.d/distccd etc/env.d/02distcc usr/lib/systemd/system/distccd.service \
    etc/systemd/system/distccd.service.d/00gentoo.conf usr/lib/tmpfiles.d/distccd.conf \
    usr/share/distcc/portage/bashrc usr/share/man/man1/distccd.1; do
    [ -f "$image/$f" ] || { echo "missing $f"; false; }
  done
  cmp "$image/etc/conf.d/distccd" <(sed 's|@BINDIR@|/usr/bin|' "$DCC_TOP/conf.d/distccd")
  run ! grep -rq zeroconf "$image/etc"
  [ ! -e "$image/etc/xinetd.d" ]
}

@test "src_install: USE=zeroconf adds --zeroconf to both services, USE=xinetd the xinetd service" {
  local image="$BATS_TEST_TMPDIR/image"
  USE="zeroconf xinetd" run ebuild_sh "D='$image/' ED='$image/' src_install"
  [ "$status" -eq 0 ] || { cat "$CALLS"; false; }
  [ "$(grep -A1 -- '-N 15"$' "$image/etc/conf.d/distccd")" = 'DISTCCD_OPTS="${DISTCCD_OPTS} -N 15"
DISTCCD_OPTS="${DISTCCD_OPTS} --zeroconf"' ]
  grep -qx 'Environment="DISTCCD_OPTS=--log-level notice --zeroconf"' \
    "$image/etc/systemd/system/distccd.service.d/00gentoo.conf"
  cmp "$EBUILD_DIR/files/distccd.xinetd" "$image/etc/xinetd.d/distccd"
  grep -q 'server_args	= --inetd .*--allow 127.0.0.1' "$image/etc/xinetd.d/distccd"
}

@test "pkg_postinst: runs distcc-config --update-masquerade and tmpfiles on the running system" {
  local root="$BATS_TEST_TMPDIR/root"
  mkdir -p "$root/usr/bin"
  printf '#!/bin/sh\necho "distcc-config $*" >>"%s"\n' "$CALLS" >"$root/usr/bin/distcc-config"
  chmod +x "$root/usr/bin/distcc-config"
  run ebuild_sh "ROOT=/ EROOT='$root/' REPLACING_VERSIONS= pkg_postinst"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1,2p "$CALLS")" = "tmpfiles_process distccd.conf
distcc-config --update-masquerade" ]
  grep -qx 'elog   source /usr/share/distcc/portage/bashrc' "$CALLS"
  run ! grep -q ewarn "$CALLS"
  # Another ROOT: the program cannot run there; it says what to do.
  : >"$CALLS"
  run ebuild_sh "ROOT=/mnt/gentoo/ EROOT='$root/' REPLACING_VERSIONS=1 pkg_postinst"
  [ "$status" -eq 0 ]
  run ! grep -q '^distcc-config' "$CALLS"
  grep -qx 'ewarn Run distcc-config --update-masquerade on /mnt/gentoo/ once it boots.' "$CALLS"
}

@test "pkg_postrm: removes its own masquerade links, and keeps them on upgrade" {
  local root="$BATS_TEST_TMPDIR/root" masq="$BATS_TEST_TMPDIR/root/usr/lib/distcc"
  mkdir -p "$masq"
  ln -s /usr/bin/distcc "$masq/gcc"
  ln -s /usr/bin/distcc "$masq/x86_64-pc-linux-gnu-g++"
  ln -s . "$masq/bin"
  run ebuild_sh "EROOT='$root/' REPLACED_BY_VERSION=9999 pkg_postrm"
  [ "$(cd "$masq" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | tr '\n' ' ')" = "bin gcc x86_64-pc-linux-gnu-g++ " ]
  ln -s /usr/bin/ccache "$masq/cc"
  echo 'mine' >"$masq/notes"
  run ebuild_sh "EROOT='$root/' REPLACED_BY_VERSION= pkg_postrm"
  [ "$status" -eq 0 ]
  [ "$(cd "$masq" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | tr '\n' ' ')" = "cc notes " ]
  rm "$masq/cc" "$masq/notes"
  run ebuild_sh "EROOT='$root/' REPLACED_BY_VERSION= pkg_postrm"
  [ ! -e "$masq" ]
}
