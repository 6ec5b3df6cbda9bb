# Copyright 2024 Gentoo Authors
# Distributed under the terms of the GNU General Public License v2

# distcc-gentoo, a C reimplementation of sys-devel/distcc 3.x. The release
# ebuild (distcc-VERSION.ebuild) and the live one (distcc-9999.ebuild) are
# this same text:
#  - a release builds from distcc-gentoo-VERSION.tar.gz, which "make dist"
#    writes in a checkout; copy it into DISTDIR (no public server has it);
#  - the live ebuild builds from a git repository the admin names:
#      EGIT_OVERRIDE_REPO_SYS_DEVEL_DISTCC=file:///path/to/checkout \
#        emerge =sys-devel/distcc-9999
# The README's "Installing on Gentoo" walks through both.

EAPI=8

if [[ ${PV} == *9999* ]]; then
	inherit git-r3
	# No public repository yet: src_unpack insists on the override above.
	EGIT_REPO_URI=""
else
	SRC_URI="distcc-gentoo-${PV}.tar.gz"
	S="${WORKDIR}/distcc-gentoo-${PV}"
	KEYWORDS="~amd64"
fi
inherit systemd tmpfiles toolchain-funcs xdg-utils

DESCRIPTION="Distributed C/C++ compiler for Gentoo networks (distcc 3.x compatible, in C)"
HOMEPAGE="https://wiki.gentoo.org/wiki/Distcc"

LICENSE="GPL-2+"
SLOT="0"
# ipv6 and hardened, flags of the old sys-devel/distcc, are not here: IPv6 is
# always built (dual-stack daemon, [addr] host specs), and the client passes
# the compiler's arguments unchanged, so there is nothing for hardened's
# patch to do. gtk builds distccmon-gui (installed with distccmon-gnome,
# stock's name for it, as a link); its helpers' figures come with
# preflight's libcurl and json's jansson. zeroconf builds +zeroconf and
# distccd --zeroconf with avahi's client library; gssapi builds ,auth hosts
# and distccd --auth with MIT Kerberos. With every flag off (USE='-*', the
# wiki's bootstrap route) the programs need popt, lzo, zstd and libb2 (the
# pump header cache's BLAKE2 digests) alone.
IUSE="gssapi gtk +json +preflight +seccomp selinux xinetd zeroconf"
# distcc-preflight reads the daemons' JSON /toolchain pages.
REQUIRED_USE="preflight? ( json )"
# make check needs root, network namespaces and stock distcc as a peer; a
# release tarball is on no mirror.
RESTRICT="test"
[[ ${PV} == *9999* ]] || RESTRICT+=" fetch mirror"

DEPEND="
	app-arch/zstd:=
	app-crypt/libb2
	dev-libs/lzo:2
	dev-libs/popt
	gssapi? ( app-crypt/mit-krb5 )
	gtk? ( x11-libs/gtk+:3 )
	json? ( dev-libs/jansson:= )
	preflight? (
		dev-libs/iniparser:=
		net-misc/curl
	)
	seccomp? ( sys-libs/libseccomp )
	zeroconf? ( net-dns/avahi[dbus] )
"
RDEPEND="
	${DEPEND}
	acct-user/distcc
	selinux? ( sec-policy/selinux-distcc )
	xinetd? ( sys-apps/xinetd )
"
BDEPEND="virtual/pkgconfig"

# One set of make variables for building and installing, so install
# rebuilds nothing.
distcc_make() {
	local myemakeargs=(
		# The Makefile's dependency check also wants the test tools
		# (cmocka, bats, stock distcc); Portage provides the build ones.
		DEPS_OK=yes
		CC="$(tc-getCC)"
		AR="$(tc-getAR)"
		OPT=
		WARN="-Wall -Wextra"
		CFLAGS="${CFLAGS}"
		LDFLAGS="${LDFLAGS}"
		PREFIX="${EPREFIX}/usr"
		BINDIR="${EPREFIX}/usr/bin"
		# The masquerade dir, which is distccd's whitelist, is
		# /usr/lib/distcc on every Gentoo arch, lib64 or not.
		LIBDIR="${EPREFIX}/usr/lib"
		MANDIR="${EPREFIX}/usr/share/man"
		SYSCONFDIR="${EPREFIX}/etc"
		# Each optional part on or off as asked, never "found by
		# chance": jansson for distccd's /stats.json and /toolchain,
		# libcurl and iniparser for distcc-preflight (and its
		# /etc/distcc/distcc.conf), libseccomp for the seccomp layer
		# of distccd's job sandbox, gtk+:3 for distccmon-gui, avahi's
		# client library for +zeroconf and distccd --zeroconf, MIT
		# Kerberos for GSS-API authentication (,auth hosts and --auth).
		WITH_JSON="$(usex json 1 0)"
		WITH_CURL="$(usex preflight 1 0)"
		WITH_INIPARSER="$(usex preflight 1 0)"
		WITH_SECCOMP="$(usex seccomp 1 0)"
		WITH_GTK="$(usex gtk 1 0)"
		WITH_ZEROCONF="$(usex zeroconf 1 0)"
		WITH_GSSAPI="$(usex gssapi 1 0)"
	)
	emake "${myemakeargs[@]}" "$@"
}

pkg_nofetch() {
	einfo "distcc-gentoo-${PV}.tar.gz is on no server: in a checkout of"
	einfo "distcc-gentoo at version ${PV}, run \"make dist\", then copy"
	einfo "build/distcc-gentoo-${PV}.tar.gz into ${DISTDIR}."
}

src_unpack() {
	if [[ ${PV} == *9999* ]]; then
		[[ -n ${EGIT_OVERRIDE_REPO_SYS_DEVEL_DISTCC:-} ]] ||
			die "name the git repository to build: EGIT_OVERRIDE_REPO_SYS_DEVEL_DISTCC=URL (file:///path/to/checkout for a local one)"
		EGIT_REPO_URI=${EGIT_OVERRIDE_REPO_SYS_DEVEL_DISTCC}
		git-r3_src_unpack
	else
		default
	fi
}

src_compile() {
	distcc_make all
}

src_install() {
	# conf.d, init.d, the systemd unit and its drop-in, tmpfiles.d, env.d,
	# logrotate.d, the Portage bashrc hooks and the man pages come with
	# make install, and with USE=gtk distccmon-gui's desktop entry and icon.
	distcc_make DESTDIR="${D}" install

	if use xinetd; then
		insinto /etc/xinetd.d
		newins "${FILESDIR}"/distccd.xinetd distccd
	fi

	dodoc README.md
}

# What to do next, shown after a first install and by emerge --config.
distcc_next_steps() {
	elog "Helpers: list the clients allowed to send jobs with --allow in"
	elog "  /etc/conf.d/distccd (OpenRC), or ALLOWED_SERVERS in"
	elog "  /etc/systemd/system/distccd.service.d/00gentoo.conf (systemd),"
	elog "then start distccd:  rc-update add distccd default && rc-service distccd start"
	elog "                 or  systemctl enable --now distccd"
	elog "  With --log-file /var/log/distccd/distccd.log, /etc/logrotate.d/distccd rotates it."
	elog "Clients: distcc-config --set-hosts \"box1 box2 localhost\", FEATURES=\"distcc\""
	elog "and MAKEOPTS in make.conf (distcc-config --makeopts prints one for your hosts);"
	elog "  see ${EPREFIX}/usr/share/distcc/portage/make.conf.example"
	if use preflight; then
		elog "Before a build: distcc-preflight compares every helper's toolchain with this one"
		elog "  (helpers need --stats in DISTCCD_OPTS)."
	fi
	if use gtk; then
		elog "Watch the jobs: distccmon-gui (DISTCC_DIR=/var/tmp/portage/.distcc distccmon-gui"
		elog "  for Portage's, or pick that directory in its window)."
	fi
	elog "Debugging hooks for Portage builds: add this line to /etc/portage/bashrc:"
	elog "  source ${EPREFIX}/usr/share/distcc/portage/bashrc"
}

pkg_postinst() {
	tmpfiles_process distccd.conf
	if use gtk; then
		xdg_desktop_database_update
		xdg_icon_cache_update
	fi

	# The masquerade links are also distccd's compiler whitelist: without
	# them the daemon refuses to start (exit 110). distcc-config works on
	# ${EROOT} by itself, but the program must be able to run here.
	if [[ -z ${ROOT%/} ]]; then
		"${EROOT}"/usr/bin/distcc-config --update-masquerade ||
			ewarn "distcc-config --update-masquerade failed; run it again by hand"
	else
		ewarn "Run distcc-config --update-masquerade on ${ROOT} once it boots."
	fi

	if [[ -z ${REPLACING_VERSIONS} ]]; then
		distcc_next_steps
		elog "emerge --config sys-devel/distcc sets up /etc/distcc and shows this again."
	fi
	elog "Run distcc-config --update-masquerade again after installing another compiler."
}

# emerge --config sys-devel/distcc: /etc/distcc, /etc/env.d/02distcc if it
# is missing, and the masquerade links (distcc-config --install, which says
# each step), then the host list in effect and what to do next.
pkg_config() {
	[[ -z ${ROOT%/} ]] ||
		die "emerge --config runs distcc-config, which must run on ${ROOT} itself: boot it first"
	"${EROOT}"/usr/bin/distcc-config --install ||
		die "distcc-config --install failed"
	einfo "Hosts in effect:"
	"${EROOT}"/usr/bin/distcc-config --get-hosts ||
		einfo "  none yet (distcc-config --set-hosts \"box1 box2 localhost\")"
	distcc_next_steps
}

pkg_postrm() {
	if use gtk; then
		xdg_desktop_database_update
		xdg_icon_cache_update
	fi
	# Being replaced: the new version keeps the links.
	[[ -n ${REPLACED_BY_VERSION} ]] && return
	local link
	for link in "${EROOT}"/usr/lib/distcc/*; do
		[[ -L ${link} ]] || continue
		case $(readlink "${link}") in
			"${EPREFIX}"/usr/bin/distcc|.) rm -f "${link}" ;;
		esac
	done
	rmdir "${EROOT}"/usr/lib/distcc 2>/dev/null || :
}
