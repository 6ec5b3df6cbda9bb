#!/usr/bin/env bash
# Installs (or uninstalls) exactly the files listed by install_list below.
#   install.sh install|uninstall|list DESTDIR BUILD BINDIR SBINDIR LIBDIR MANDIR SYSCONFDIR PREFIX
# "list" prints the destinations, one a line, without touching anything.
set -euo pipefail
action=$1 destdir=$2 build=$3 bindir=$4 sbindir=$5 libdir=$6 mandir=$7 sysconfdir=$8 prefix=$9
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
: "$sbindir" "$libdir"

# Portage's files (bashrc, make.conf example) and other shared data.
datadir=$prefix/share/distcc
# systemd looks in PREFIX/lib, never lib64, whatever LIBDIR is.
unitdir=$prefix/lib/systemd/system
tmpfilesdir=$prefix/lib/tmpfiles.d
# The Gentoo files are rendered here first: @BINDIR@, @SYSCONFDIR@ and
# @DATADIR@ become this install's paths.
rendered=$build/gentoo

# The Gentoo files: mode, source in the tree, destination.
gentoo_files() {
  cat <<EOF
0644 conf.d/distccd $sysconfdir/conf.d/distccd
0755 init.d/distccd $sysconfdir/init.d/distccd
0644 env.d/02distcc $sysconfdir/env.d/02distcc
0644 systemd/distccd.service $unitdir/distccd.service
0644 systemd/distccd.service.d/00gentoo.conf $sysconfdir/systemd/system/distccd.service.d/00gentoo.conf
0644 systemd/distccd.tmpfiles $tmpfilesdir/distccd.conf
0644 portage/bashrc $datadir/portage/bashrc
0644 portage/make.conf.example $datadir/portage/make.conf.example
0644 logrotate.d/distccd $sysconfdir/logrotate.d/distccd
EOF
}

# Prints "MODE SOURCE DESTINATION" for every file we install; MODE "link"
# makes DESTINATION a symbolic link to SOURCE.
install_list() {
  local prog page section mode src dst
  for prog in distcc distccd distccmon-text distcc-config distccflags distcc-preflight pump; do
    [ -x "$build/bin/$prog" ] && echo "0755 $build/bin/$prog $bindir/$prog"
  done
  # distccmon-gui (built with GTK): its desktop entry, its icon, and the
  # name stock's GNOME monitor had, as a link.
  if [ -x "$build/bin/distccmon-gui" ]; then
    echo "0755 $build/bin/distccmon-gui $bindir/distccmon-gui"
    echo "link distccmon-gui $bindir/distccmon-gnome"
    echo "0644 engine/monitor/distccmon-gui.desktop $prefix/share/applications/distccmon-gui.desktop"
    echo "0644 engine/monitor/distccmon-gui.svg $prefix/share/icons/hicolor/scalable/apps/distccmon-gui.svg"
  fi
  for page in man/*.[0-9]; do
    [ -e "$page" ] || continue
    [ "$page" != man/distccmon-gui.1 ] || [ -x "$build/bin/distccmon-gui" ] || continue
    section=${page##*.}
    echo "0644 $page $mandir/man$section/$(basename "$page")"
  done
  while read -r mode src dst; do
    echo "$mode $rendered/$src $dst"
  done < <(gentoo_files)
}

# Writes every Gentoo file into $rendered with this install's paths, and
# refuses a placeholder it does not know (a typo would install verbatim).
render_gentoo_files() {
  local _mode src _dst out left
  while read -r _mode src _dst; do
    out=$rendered/$src
    mkdir -p "$(dirname "$out")"
    sed -e "s|@BINDIR@|$bindir|g" -e "s|@SYSCONFDIR@|$sysconfdir|g" -e "s|@DATADIR@|$datadir|g" \
      "$src" >"$out.tmp"
    if left=$(grep -noE '@[A-Z_]+@' "$out.tmp"); then
      echo "install.sh: $src has an unknown placeholder: $left" >&2
      rm -f "$out.tmp"
      exit 1
    fi
    mv "$out.tmp" "$out"
  done < <(gentoo_files)
}

case "$action" in
install)
  render_gentoo_files
  while read -r mode src dst; do
    if [ "$mode" = link ]; then
      mkdir -p "$(dirname "$destdir$dst")"
      ln -sfn "$src" "$destdir$dst"
      echo "linked $dst -> $src"
    else
      install -D -m "$mode" "$src" "$destdir$dst"
      echo "installed $dst"
    fi
  done < <(install_list)
  ;;
uninstall)
  while read -r _mode _src dst; do
    if [ -e "$destdir$dst" ] || [ -L "$destdir$dst" ]; then
      rm -f "$destdir$dst"
      echo "removed $dst"
      # Remove directories we leave empty, never above DESTDIR.
      dir=$(dirname "$destdir$dst")
      while [ "$dir" != "${destdir:-/}" ] && [ "$dir" != "/" ] && rmdir "$dir" 2>/dev/null; do
        dir=$(dirname "$dir")
      done
    fi
  done < <(install_list)
  ;;
list)
  while read -r _mode _src dst; do
    echo "$dst"
  done < <(install_list)
  ;;
*) echo "install.sh: unknown action '$action'" >&2; exit 2 ;;
esac
