#!/usr/bin/env bash
# Installs (or uninstalls) exactly the files listed by install_list below.
#   install.sh install|uninstall DESTDIR BUILD BINDIR SBINDIR LIBDIR MANDIR SYSCONFDIR PREFIX
set -euo pipefail
action=$1 destdir=$2 build=$3 bindir=$4 sbindir=$5 libdir=$6 mandir=$7 sysconfdir=$8 prefix=$9
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
: "$sbindir" "$libdir" "$sysconfdir" "$prefix"

# Prints "MODE SOURCE DESTINATION" for every file we install.
install_list() {
  local prog page section
  for prog in distcc distccd distccmon-text distcc-config distccflags distcc-preflight pump; do
    [ -x "$build/bin/$prog" ] && echo "0755 $build/bin/$prog $bindir/$prog"
  done
  for page in man/*.[0-9]; do
    [ -e "$page" ] || continue
    section=${page##*.}
    echo "0644 $page $mandir/man$section/$(basename "$page")"
  done
}

case "$action" in
install)
  while read -r mode src dst; do
    install -D -m "$mode" "$src" "$destdir$dst"
    echo "installed $dst"
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
*) echo "install.sh: unknown action '$action'" >&2; exit 2 ;;
esac
