#!/usr/bin/env bats
# make install / make uninstall into a DESTDIR: every file in Gentoo's place
# with its mode and this install's paths, and uninstall leaving nothing.
# shellcheck disable=SC2016 # single-quoted code runs in another shell, on purpose

bats_require_minimum_version 1.5.0

setup() {
  load common
  DEST="$BATS_TEST_TMPDIR/dest"
}

# make install or uninstall without rebuilding (-o all): the test is about
# what gets installed from the build that is there.
dcc_make() {
  make -s -C "$DCC_TOP" -o all BUILD="$DCC_BUILD" DESTDIR="$DEST" "$@"
}

# "MODE PATH" for every file under $DEST, sorted.
installed_files() {
  (cd "$DEST" && find . -type f -printf '%m %P\n' | LC_ALL=C sort)
}

# "/PATH" for every file and link under $DEST, sorted.
installed_paths() {
  (cd "$DEST" && find . \( -type f -o -type l \) -printf '/%P\n' | LC_ALL=C sort)
}

# What install must put there for PREFIX=$1: the built programs, every man
# page, and the Gentoo files.
expected_files() {
  local prefix=$1 prog page
  {
    for prog in distcc distccd distccmon-text distcc-config distccflags distcc-preflight pump; do
      [ -x "$DCC_BUILD/bin/$prog" ] && echo "755 ${prefix#/}/bin/$prog"
    done
    for page in "$DCC_TOP"/man/*.[0-9]; do
      [[ "$page" != */distccmon-gui.1 ]] || [ -x "$DCC_BUILD/bin/distccmon-gui" ] || continue
      echo "644 ${prefix#/}/share/man/man${page##*.}/$(basename "$page")"
    done
    if [ -x "$DCC_BUILD/bin/distccmon-gui" ]; then
      echo "755 ${prefix#/}/bin/distccmon-gui"
      echo "644 ${prefix#/}/share/applications/distccmon-gui.desktop"
      echo "644 ${prefix#/}/share/icons/hicolor/scalable/apps/distccmon-gui.svg"
    fi
    cat <<EOF
644 etc/conf.d/distccd
755 etc/init.d/distccd
644 etc/env.d/02distcc
644 ${prefix#/}/lib/systemd/system/distccd.service
644 etc/systemd/system/distccd.service.d/00gentoo.conf
644 ${prefix#/}/lib/tmpfiles.d/distccd.conf
644 ${prefix#/}/share/distcc/portage/bashrc
644 ${prefix#/}/share/distcc/portage/make.conf.example
644 etc/logrotate.d/distccd
EOF
  } | LC_ALL=C sort
}

@test "make install PREFIX=/usr puts every file in Gentoo's place, with its mode" {
  run dcc_make install PREFIX=/usr
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  diff -u <(expected_files /usr) <(installed_files)
  # Exactly these, whatever the build holds.
  installed_files | grep -qx '644 etc/systemd/system/distccd.service.d/00gentoo.conf'
  installed_files | grep -qx '755 etc/init.d/distccd'
  installed_files | grep -qx '644 usr/share/man/man1/distccd.1'
  # Stock's name for the GTK monitor is a link to ours.
  if [ -x "$DCC_BUILD/bin/distccmon-gui" ]; then
    [ "$(readlink "$DEST/usr/bin/distccmon-gnome")" = distccmon-gui ]
  else
    [ ! -L "$DEST/usr/bin/distccmon-gnome" ]
  fi
  [ "$(installed_files | wc -l)" -eq "$(grep -c '^installed ' <<<"$output")" ]
}

@test "the installed files name this install's paths, with no placeholder left" {
  dcc_make install PREFIX=/usr >/dev/null
  grep -qx 'DISTCCD_EXEC="/usr/bin/distccd"' "$DEST/etc/conf.d/distccd"
  grep -qx 'command="${DISTCCD_EXEC:-/usr/bin/distccd}"' "$DEST/etc/init.d/distccd"
  grep -q 'exec /usr/bin/distccd --no-detach --daemon --port 3632 -N 15 ' "$DEST/usr/lib/systemd/system/distccd.service"
  grep -qx '#   source /usr/share/distcc/portage/bashrc' "$DEST/usr/share/distcc/portage/bashrc"
  grep -q '"source /usr/share/distcc/portage/bashrc"' "$DEST/usr/share/distcc/portage/make.conf.example"
  run grep -rlE '@[A-Z_]+@' "$DEST"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  # The sources in the tree keep their placeholders.
  grep -qx 'DISTCCD_EXEC="@BINDIR@/distccd"' "$DCC_TOP/conf.d/distccd"
}

@test "the default PREFIX=/usr/local moves programs, units and Portage files, not the config in /etc" {
  run dcc_make install
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  diff -u <(expected_files /usr/local) <(installed_files)
  grep -qx 'DISTCCD_EXEC="/usr/local/bin/distccd"' "$DEST/etc/conf.d/distccd"
  grep -q 'exec /usr/local/bin/distccd ' "$DEST/usr/local/lib/systemd/system/distccd.service"
  grep -qx '#   source /usr/local/share/distcc/portage/bashrc' "$DEST/usr/local/share/distcc/portage/bashrc"
}

@test "the logrotate file rotates the log the service files name, and logrotate accepts it" {
  dcc_make install PREFIX=/usr >/dev/null
  local conf="$DEST/etc/logrotate.d/distccd" log
  cmp "$DCC_TOP/logrotate.d/distccd" "$conf"
  # The one log path that conf.d, the systemd drop-in and the unit agree on.
  log=$(grep -m1 -o '^/var/log/[^ ]*' "$conf")
  [ "$log" = /var/log/distccd/distccd.log ]
  grep -qx "#DISTCCD_OPTS=\"\${DISTCCD_OPTS} --log-file $log\"" "$DEST/etc/conf.d/distccd"
  grep -q "^#   --log-file $log " "$DEST/etc/systemd/system/distccd.service.d/00gentoo.conf"
  grep -qx 'LogsDirectory=distccd' "$DEST/usr/lib/systemd/system/distccd.service"
  grep -qx "d ${log%/*} 0755 distcc distcc -" "$DEST/usr/lib/tmpfiles.d/distccd.conf"
  dcc_need_tool logrotate
  # A copy that points at a log here, run for real with --force: the log is
  # rotated by copy and truncate, so distccd keeps writing to the same file.
  local dir="$BATS_TEST_TMPDIR/log"
  mkdir -p "$dir"
  chmod 0755 "$dir"
  echo "distccd[1] (dcc_job_summary) client: 127.0.0.1:1 COMPILE_OK" >"$dir/distccd.log"
  sed -e "s|$log|$dir/distccd.log|" -e "s|su distcc distcc|su $(id -un) $(id -gn)|" "$conf" >"$BATS_TEST_TMPDIR/rotate.conf"
  run logrotate -d -s "$BATS_TEST_TMPDIR/state" "$BATS_TEST_TMPDIR/rotate.conf"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  run ! grep -i 'error' <<<"$output"
  # The daemon's descriptor, open for appending across the rotation.
  exec 8>>"$dir/distccd.log"
  run logrotate -f -s "$BATS_TEST_TMPDIR/state" "$BATS_TEST_TMPDIR/rotate.conf"
  echo "written after the rotation" >&8
  exec 8>&-
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(cat "$dir/distccd.log")" = "written after the rotation" ]
  [ "$(cat "$dir/distccd.log.1")" = "distccd[1] (dcc_job_summary) client: 127.0.0.1:1 COMPILE_OK" ]
}

@test "env.d/02distcc is installed byte for byte, the same file distcc-config --install writes" {
  dcc_make install PREFIX=/usr >/dev/null
  cmp "$DCC_TOP/env.d/02distcc" "$DEST/etc/env.d/02distcc"
  [ -x "$DCC_BIN/distcc-config" ] || skip "distcc-config is not built in $DCC_BIN"
  local root="$BATS_TEST_TMPDIR/root"
  mkdir -p "$root/usr/bin"
  run env -u ROOT -u EROOT "$DCC_BIN/distcc-config" --root "$root" --install
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  cmp "$DEST/etc/env.d/02distcc" "$root/etc/env.d/02distcc"
}

@test "make uninstall removes exactly what make install put, and leaves an empty tree" {
  run dcc_make install PREFIX=/usr
  [ "$status" -eq 0 ]
  local installed
  installed=$(sed -n -e 's/^installed //p' -e 's/^linked \(.*\) -> .*/\1/p' <<<"$output" | LC_ALL=C sort)
  [ "$installed" = "$(installed_paths)" ]
  run dcc_make uninstall PREFIX=/usr
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(sed -n 's/^removed //p' <<<"$output" | LC_ALL=C sort)" = "$installed" ]
  [ -d "$DEST" ]
  [ -z "$(find "$DEST" -mindepth 1)" ] || { find "$DEST"; false; }
}

@test "make uninstall leaves files it did not install, and their directories" {
  dcc_make install PREFIX=/usr >/dev/null
  echo 'OTHER_OPTS=""' >"$DEST/etc/conf.d/other"
  echo 'x' >"$DEST/usr/share/distcc/portage/mine"
  dcc_make uninstall PREFIX=/usr >/dev/null
  [ "$(cd "$DEST" && find . -mindepth 1 | LC_ALL=C sort)" = "./etc
./etc/conf.d
./etc/conf.d/other
./usr
./usr/share
./usr/share/distcc
./usr/share/distcc/portage
./usr/share/distcc/portage/mine" ]
}

@test "install.sh list names every file install puts, and touches nothing" {
  dcc_make install PREFIX=/usr >/dev/null
  run "$DCC_TOP/scripts/install.sh" list "$DEST" "$DCC_BUILD" /usr/bin /usr/sbin /usr/lib /usr/share/man /etc /usr
  [ "$status" -eq 0 ]
  [ "$(LC_ALL=C sort <<<"$output")" = "$(installed_paths)" ]
  run "$DCC_TOP/scripts/install.sh" list "$BATS_TEST_TMPDIR/nowhere" "$DCC_BUILD" /usr/bin /usr/sbin /usr/lib /usr/share/man /etc /usr
  [ ! -e "$BATS_TEST_TMPDIR/nowhere" ]
}

@test "a placeholder install.sh does not know stops the install before anything is installed" {
  local top="$BATS_TEST_TMPDIR/tree"
  mkdir -p "$top/scripts"
  cp "$DCC_TOP/scripts/install.sh" "$top/scripts/"
  (cd "$DCC_TOP" && cp -r --parents conf.d init.d env.d systemd logrotate.d portage/bashrc portage/make.conf.example "$top/")
  sed -i '3i DISTCCD_DIR="@STATEDIR@"' "$top/conf.d/distccd"
  run "$top/scripts/install.sh" install "$DEST" "$BATS_TEST_TMPDIR/build" /usr/bin /usr/sbin /usr/lib \
    /usr/share/man /etc /usr
  [ "$status" -eq 1 ]
  [ "$output" = "install.sh: conf.d/distccd has an unknown placeholder: 3:@STATEDIR@" ]
  [ ! -e "$DEST" ]
}
