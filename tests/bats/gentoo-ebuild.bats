#!/usr/bin/env bats
# The overlay in portage/ and its ebuilds (the live distcc-9999 and the
# release distcc-VERSION, one text), sourced in bash with Portage's helpers
# replaced by small stand-ins: the layout emerge needs, make dist's tarball
# that the release builds from, the make variables per USE flag, what
# src_install puts in the image (through the real make install), and what
# pkg_config / pkg_postinst / pkg_postrm do (through the real distcc-config).
# shellcheck disable=SC2016 # single-quoted code runs in another shell, on purpose

bats_require_minimum_version 1.5.0

setup() {
  load common
  EBUILD_DIR="$DCC_TOP/portage/sys-devel/distcc"
  EBUILD="$EBUILD_DIR/distcc-9999.ebuild"
  RELEASE_EBUILD="$EBUILD_DIR/distcc-$(cat "$DCC_TOP/VERSION").ebuild"
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
    EPREFIX="" CFLAGS="-O2 -pipe" LDFLAGS="-Wl,-O1" WORKDIR=/var/tmp/portage/work DISTDIR=/var/cache/distfiles
    PV=${EBUILD##*/distcc-} PV=${PV%.ebuild}
    INHERITED=""
    inherit() { INHERITED+=" $*"; }
    default() { echo "default in ${FUNCNAME[1]}" >>"$CALLS"; }
    git-r3_src_unpack() { echo "git-r3_src_unpack $EGIT_REPO_URI" >>"$CALLS"; }
    einfo() { echo "einfo $*" >>"$CALLS"; }
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
    xdg_desktop_database_update() { echo "xdg_desktop_database_update" >>"$CALLS"; }
    xdg_icon_cache_update() { echo "xdg_icon_cache_update" >>"$CALLS"; }
    # shellcheck disable=SC1090
    source "$EBUILD"
    eval "$1"' bash "$1"
}

@test "portage/ is an overlay emerge accepts: layout.conf, repo_name, categories" {
  local repo="$DCC_TOP/portage"
  [ "$(cat "$repo/profiles/repo_name")" = "distcc-gentoo" ]
  # A repository name: letters, digits, _ + -, not starting with + or -.
  grep -qxE '[A-Za-z0-9_][A-Za-z0-9_+-]*' "$repo/profiles/repo_name"
  # masters = gentoo: the eclasses and acct-user/distcc come from ::gentoo.
  [ "$(grep -v -e '^#' -e '^$' "$repo/metadata/layout.conf")" = "masters = gentoo
thin-manifests = true
sign-manifests = false
sign-commits = false
update-changelog = false" ]
  # Every category directory holding packages is listed, and only those.
  [ "$(cat "$repo/profiles/categories")" = \
    "$(cd "$repo" && find . -mindepth 3 -maxdepth 3 -name '*.ebuild' -printf '%h\n' | cut -d/ -f2 | LC_ALL=C sort -u)" ]
}

@test "every ebuild is bash, shellcheck clean; the release ebuild is the live one under VERSION's name" {
  local e n=0
  dcc_need_tool shellcheck
  for e in "$EBUILD_DIR"/*.ebuild; do
    bash -n "$e"
    # Portage's variables (EROOT, ED ...) come from outside.
    shellcheck -s bash -e SC2034,SC2154,SC2153 "$e"
    n=$((n + 1))
  done
  [ "$n" -eq 2 ]
  cmp "$EBUILD" "$RELEASE_EBUILD"
}

@test "USE flags: gssapi, gtk, json, preflight, seccomp and zeroconf, each described in metadata.xml; no flag builds nothing" {
  run ebuild_sh 'echo "EAPI=$EAPI"; echo "IUSE=$IUSE"; echo "REQUIRED_USE=$REQUIRED_USE"; echo "$RDEPEND" | grep -E "acct-user|selinux|xinetd"'
  [ "$output" = "EAPI=8
IUSE=gssapi gtk +json +preflight +seccomp selinux xinetd zeroconf
REQUIRED_USE=preflight? ( json )
	acct-user/distcc
	selinux? ( sec-policy/selinux-distcc )
	xinetd? ( sys-apps/xinetd )" ]
  dcc_need_tool xmllint
  xmllint --noout "$EBUILD_DIR/metadata.xml"
  # metadata.xml describes exactly the local flags (selinux is global).
  [ "$(grep -o '<flag name="[^"]*"' "$EBUILD_DIR/metadata.xml" | cut -d'"' -f2 | tr '\n' ' ')" = "gssapi gtk json preflight seccomp zeroconf xinetd " ]
  # The libraries follow the flags: zstd, libb2, popt and lzo only with USE='-*'.
  run ebuild_sh 'echo $DEPEND'
  [ "$output" = "app-arch/zstd:= app-crypt/libb2 dev-libs/lzo:2 dev-libs/popt gssapi? ( app-crypt/mit-krb5 ) gtk? ( x11-libs/gtk+:3 ) json? ( dev-libs/jansson:= ) preflight? ( dev-libs/iniparser:= net-misc/curl ) seccomp? ( sys-libs/libseccomp ) zeroconf? ( net-dns/avahi[dbus] )" ]
}

@test "the release ebuild builds from make dist's tarball; the live one from the repository named" {
  EBUILD="$RELEASE_EBUILD" run ebuild_sh 'echo "$SRC_URI|$S|$KEYWORDS|$RESTRICT|$INHERITED"; src_unpack'
  [ "$output" = "distcc-gentoo-$(cat "$DCC_TOP/VERSION").tar.gz|/var/tmp/portage/work/distcc-gentoo-$(cat "$DCC_TOP/VERSION")|~amd64|test fetch mirror| systemd tmpfiles toolchain-funcs xdg-utils" ]
  [ "$(cat "$CALLS")" = "default in src_unpack" ]
  EBUILD="$RELEASE_EBUILD" run ebuild_sh pkg_nofetch
  grep -qx "einfo build/distcc-gentoo-$(cat "$DCC_TOP/VERSION").tar.gz into /var/cache/distfiles." "$CALLS"
  # The live ebuild: no URL of its own; without one named, it stops and says how.
  : >"$CALLS"
  run ebuild_sh 'echo "${SRC_URI-unset}|${KEYWORDS-unset}|$RESTRICT|$INHERITED"; src_unpack'
  [ "$status" -eq 1 ]
  [ "$output" = "unset|unset|test| git-r3 systemd tmpfiles toolchain-funcs xdg-utils" ]
  [ "$(cat "$CALLS")" = "die: name the git repository to build: EGIT_OVERRIDE_REPO_SYS_DEVEL_DISTCC=URL (file:///path/to/checkout for a local one)" ]
  : >"$CALLS"
  EGIT_OVERRIDE_REPO_SYS_DEVEL_DISTCC=file:///src/distcc-gentoo run ebuild_sh src_unpack
  [ "$status" -eq 0 ]
  [ "$(cat "$CALLS")" = "git-r3_src_unpack file:///src/distcc-gentoo" ]
}

@test "make dist: one versioned directory of exactly the committed files, which builds" {
  local out="$BATS_TEST_TMPDIR/dist" version name
  version=$(cat "$DCC_TOP/VERSION")
  name="distcc-gentoo-$version"
  run -0 make -C "$DCC_TOP" --no-print-directory dist BUILD="$out"
  [ "${lines[-1]}" = "$out/$name.tar.gz" ]
  # The name the release ebuild's SRC_URI asks for.
  [ "$(EBUILD="$RELEASE_EBUILD" ebuild_sh 'echo "$SRC_URI"')" = "$name.tar.gz" ]
  diff -u <(cd "$DCC_TOP" && git ls-tree -r --name-only HEAD | sed "s|^|$name/|" | LC_ALL=C sort) \
    <(tar tzf "$out/$name.tar.gz" | grep -v '/$' | LC_ALL=C sort)
  run grep -vc "^$name/" < <(tar tzf "$out/$name.tar.gz")
  [ "$output" = 0 ]
  # Unpacked where there is no git, it builds and installs.
  tar xzf "$out/$name.tar.gz" -C "$BATS_TEST_TMPDIR"
  run -0 make -C "$BATS_TEST_TMPDIR/$name" --no-print-directory -j2 all
  [ -x "$BATS_TEST_TMPDIR/$name/build/bin/distccd" ]
  [ "$("$BATS_TEST_TMPDIR/$name/build/bin/distcc-config" --version | head -1)" = "$("$DCC_BIN/distcc-config" --version | head -1)" ]
  run -0 make -C "$BATS_TEST_TMPDIR/$name" -s -o all DESTDIR="$BATS_TEST_TMPDIR/image" PREFIX=/usr install
  [ -f "$BATS_TEST_TMPDIR/image/etc/logrotate.d/distccd" ]
}

@test "src_compile: Portage's toolchain and flags, Gentoo's paths, USE flags as make variables" {
  USE="gssapi json preflight seccomp zeroconf" run ebuild_sh src_compile
  [ "$status" -eq 0 ]
  [ "$(cat "$CALLS")" = "emake [DEPS_OK=yes] [CC=x86_64-pc-linux-gnu-gcc] [AR=x86_64-pc-linux-gnu-ar] [OPT=] [WARN=-Wall -Wextra] [CFLAGS=-O2 -pipe] [LDFLAGS=-Wl,-O1] [PREFIX=/usr] [BINDIR=/usr/bin] [LIBDIR=/usr/lib] [MANDIR=/usr/share/man] [SYSCONFDIR=/etc] [WITH_JSON=1] [WITH_CURL=1] [WITH_INIPARSER=1] [WITH_SECCOMP=1] [WITH_GTK=0] [WITH_ZEROCONF=1] [WITH_GSSAPI=1] [all]" ]
  : >"$CALLS"
  USE="json" run ebuild_sh src_compile
  grep -q ' \[WITH_JSON=1\] \[WITH_CURL=0\] \[WITH_INIPARSER=0\] \[WITH_SECCOMP=0\] \[WITH_GTK=0\] \[WITH_ZEROCONF=0\] \[WITH_GSSAPI=0\] \[all\]$' "$CALLS"
}

@test "USE='-*' (the bootstrap): make takes the ebuild's variables and leaves out what needs more" {
  USE="" run ebuild_sh src_compile
  [ "$status" -eq 0 ]
  grep -q ' \[WITH_JSON=0\] \[WITH_CURL=0\] \[WITH_INIPARSER=0\] \[WITH_SECCOMP=0\] \[WITH_GTK=0\] \[WITH_ZEROCONF=0\] \[WITH_GSSAPI=0\] \[all\]$' "$CALLS"
  # The same arguments to the real Makefile, as a dry run (-n).
  local -a args
  mapfile -t args < <(sed -e 's/^emake \[//' -e 's/\]$//' -e 's/\] \[/\n/g' "$CALLS")
  run -0 make -C "$DCC_TOP" --no-print-directory -n BUILD="$BATS_TEST_TMPDIR/build" "${args[@]}"
  run -0 grep -E '^distcc' <<<"$output"
  [ "$output" = "distcc-preflight: not built (WITH_JSON=0; WITH_CURL=0; WITH_INIPARSER=0)
distcc, distccd: built without CAPS (every helper is taken for stock) and without the /stats.json and /toolchain pages (WITH_JSON=0)
distccd: built without the seccomp layer of the job sandbox (WITH_SECCOMP=0)
distccmon-gui: not built (WITH_GTK=0)
distcc, distccd: built without Zeroconf (+zeroconf, --zeroconf) (WITH_ZEROCONF=0)
distcc, distccd: built without GSS-API authentication (,auth and --auth) (WITH_GSSAPI=0)" ]
}

@test "USE=gtk builds distccmon-gui, and the desktop menus learn of it after install and removal" {
  USE="gtk json preflight seccomp" run ebuild_sh src_compile
  [ "$status" -eq 0 ]
  grep -q ' \[WITH_SECCOMP=1\] \[WITH_GTK=1\] \[WITH_ZEROCONF=0\] \[WITH_GSSAPI=0\] \[all\]$' "$CALLS"
  local -a args
  mapfile -t args < <(sed -e 's/^emake \[//' -e 's/\]$//' -e 's/\] \[/\n/g' "$CALLS")
  run -0 make -C "$DCC_TOP" --no-print-directory -n BUILD="$BATS_TEST_TMPDIR/build" "${args[@]}"
  [[ "$output" == *"/distccmon-gui.o engine/monitor/distccmon-gui.c"* ]]
  run ! grep -q 'distccmon-gui: not built' <<<"$output"
  : >"$CALLS"
  USE="gtk" run ebuild_sh "EROOT='$BATS_TEST_TMPDIR/root/' REPLACED_BY_VERSION= pkg_postrm"
  [ "$status" -eq 0 ]
  [ "$(cat "$CALLS")" = "xdg_desktop_database_update
xdg_icon_cache_update" ]
  : >"$CALLS"
  USE="" run ebuild_sh "EROOT='$BATS_TEST_TMPDIR/root/' REPLACED_BY_VERSION= pkg_postrm"
  [ ! -s "$CALLS" ]
}

@test "pkg_config: distcc-config --install sets up /etc/distcc, env.d and the links, then the next steps" {
  [ -x "$DCC_BIN/distcc-config" ] || skip "distcc-config is not built in $DCC_BIN"
  local root="$BATS_TEST_TMPDIR/root"
  mkdir -p "$root/usr/bin"
  cp "$DCC_BIN/distcc-config" "$root/usr/bin/"
  ln -s "$(command -v gcc)" "$root/usr/bin/gcc"
  unset DISTCC_HOSTS
  HOME="$BATS_TEST_TMPDIR" DISTCC_DIR="$BATS_TEST_TMPDIR/dcc" USE="preflight" \
    run ebuild_sh "ROOT=/ EROOT='$root/' pkg_config"
  [ "$status" -eq 0 ] || { echo "$output"; cat "$CALLS"; false; }
  # distcc-config's own report of each step, then the hosts and next steps.
  [ "${lines[0]}" = "created $root/etc/distcc" ]
  [ -f "$root/etc/env.d/02distcc" ]
  [ "$(readlink "$root/usr/lib/distcc/gcc")" = /usr/bin/distcc ]
  [ "$(readlink "$root/usr/lib/distcc/bin")" = . ]
  [ "$(head -2 "$CALLS")" = "einfo Hosts in effect:
einfo   none yet (distcc-config --set-hosts \"box1 box2 localhost\")" ]
  grep -qx 'elog then start distccd:  rc-update add distccd default && rc-service distccd start' "$CALLS"
  grep -qx 'elog   With --log-file /var/log/distccd/distccd.log, /etc/logrotate.d/distccd rotates it.' "$CALLS"
  grep -qx 'elog Before a build: distcc-preflight compares every helper'"'"'s toolchain with this one' "$CALLS"
  # Run again, it keeps what is there; another ROOT cannot run the program.
  : >"$CALLS"
  HOME="$BATS_TEST_TMPDIR" DISTCC_DIR="$BATS_TEST_TMPDIR/dcc" run ebuild_sh "ROOT=/ EROOT='$root/' pkg_config"
  [ "$status" -eq 0 ]
  [ "$(readlink "$root/usr/lib/distcc/gcc")" = /usr/bin/distcc ]
  grep -qx 'einfo Hosts in effect:' "$CALLS"
  run ! grep -q preflight "$CALLS"
  : >"$CALLS"
  run ebuild_sh "ROOT=/mnt/gentoo/ EROOT='$root/' pkg_config"
  [ "$status" -eq 1 ]
  [ "$(cat "$CALLS")" = "die: emerge --config runs distcc-config, which must run on /mnt/gentoo/ itself: boot it first" ]
}

@test "src_install: make install fills the image, logrotate file too; USE=-xinetd adds nothing" {
  local image="$BATS_TEST_TMPDIR/image"
  USE="" run ebuild_sh "D='$image/' ED='$image/' src_install"
  [ "$status" -eq 0 ] || { cat "$CALLS"; false; }
  grep -q '^emake .* \[DESTDIR=.*/image/\] \[install\]$' "$CALLS"
  grep -qx 'dodoc README.md' "$CALLS"
  for f in etc/conf.d/distccd etc/init.d/distccd etc/env.d/02distcc usr/lib/systemd/system/distccd.service \
    etc/systemd/system/distccd.service.d/00gentoo.conf usr/lib/tmpfiles.d/distccd.conf \
    etc/logrotate.d/distccd usr/share/distcc/portage/bashrc usr/share/man/man1/distccd.1; do
    [ -f "$image/$f" ] || { echo "missing $f"; false; }
  done
  cmp "$image/etc/conf.d/distccd" <(sed 's|@BINDIR@|/usr/bin|' "$DCC_TOP/conf.d/distccd")
  run ! grep -rq zeroconf "$image/etc"
  [ ! -e "$image/etc/xinetd.d" ]
}

@test "src_install: USE=xinetd adds the xinetd service" {
  local image="$BATS_TEST_TMPDIR/image"
  USE="xinetd" run ebuild_sh "D='$image/' ED='$image/' src_install"
  [ "$status" -eq 0 ] || { cat "$CALLS"; false; }
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
