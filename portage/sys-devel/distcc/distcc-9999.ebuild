# Copyright 2024 Gentoo Authors
# Distributed under the terms of the GNU General Public License v2

# The distcc-gentoo C reimplementation of sys-devel/distcc, live from git.
# To build a local checkout instead of the remote:
#   EGIT_OVERRIDE_REPO_SYS_DEVEL_DISTCC=file:///path/to/checkout emerge sys-devel/distcc

EAPI=8

inherit git-r3 systemd tmpfiles toolchain-funcs

DESCRIPTION="Distributed C/C++ compiler for Gentoo networks (distcc 3.x compatible, in C)"
HOMEPAGE="https://github.com/distcc-gentoo/distcc-gentoo"
EGIT_REPO_URI="https://github.com/distcc-gentoo/distcc-gentoo.git"

LICENSE="GPL-2+"
SLOT="0"
# ipv6 and hardened, flags of the old sys-devel/distcc, are not here: IPv6 is
# always built (dual-stack daemon, [addr] host specs), and the client passes
# the compiler's arguments unchanged, so there is nothing for hardened's
# patch to do.
IUSE="gtk selinux xinetd zeroconf"
# make check needs root, network namespaces and stock distcc as a peer.
RESTRICT="test"

DEPEND="
	dev-libs/iniparser:=
	dev-libs/jansson:=
	dev-libs/lzo:2
	dev-libs/popt
	net-misc/curl
	gtk? ( x11-libs/gtk+:3 )
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
		# distccmon-gui (GTK 3) and Avahi announcing/discovery.
		WITH_GTK="$(usex gtk 1 0)"
		WITH_ZEROCONF="$(usex zeroconf 1 0)"
	)
	emake "${myemakeargs[@]}" "$@"
}

src_compile() {
	distcc_make all
}

src_install() {
	# conf.d, init.d, the systemd unit and its drop-in, tmpfiles.d, env.d,
	# the Portage bashrc hooks and the man pages come with make install.
	distcc_make DESTDIR="${D}" install

	if use zeroconf; then
		# shellcheck disable=SC2016 # the ${DISTCCD_OPTS} in conf.d, literally
		sed -i -e '/^DISTCCD_OPTS="${DISTCCD_OPTS} -N 15"$/a DISTCCD_OPTS="${DISTCCD_OPTS} --zeroconf"' \
			"${ED}"/etc/conf.d/distccd || die
		sed -i -e '/^Environment="DISTCCD_OPTS=/s/"$/ --zeroconf"/' \
			"${ED}"/etc/systemd/system/distccd.service.d/00gentoo.conf || die
	fi

	if use xinetd; then
		insinto /etc/xinetd.d
		newins "${FILESDIR}"/distccd.xinetd distccd
	fi

	dodoc README.md
}

pkg_postinst() {
	tmpfiles_process distccd.conf

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
		elog "Helpers: list the clients allowed to send jobs with --allow in"
		elog "  /etc/conf.d/distccd (OpenRC), or ALLOWED_SERVERS in"
		elog "  /etc/systemd/system/distccd.service.d/00gentoo.conf (systemd),"
		elog "then start distccd:  rc-update add distccd default && rc-service distccd start"
		elog "                 or  systemctl enable --now distccd"
		elog "Clients: distcc-config --set-hosts \"box1 box2 localhost\", FEATURES=\"distcc\""
		elog "and MAKEOPTS in make.conf: see ${EPREFIX}/usr/share/distcc/portage/make.conf.example"
		elog "Debugging hooks for Portage builds: add this line to /etc/portage/bashrc:"
		elog "  source ${EPREFIX}/usr/share/distcc/portage/bashrc"
	fi
	elog "Run distcc-config --update-masquerade again after installing another compiler."
}

pkg_postrm() {
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
