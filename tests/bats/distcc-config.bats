#!/usr/bin/env bats
# distcc-config on a staged root: hosts, env.d settings, masquerade links,
# --install and --makeopts, with exact files, modes and link targets.

setup() {
  load common
  load distcc-config-helpers
  cfg_setup
}

teardown() {
  cfg_teardown
}

# --- help, version, usage errors ------------------------------------------

@test "--help documents every command and the exit codes" {
  run "$CFG" --help
  [ "$status" -eq 0 ]
  for cmd in --set-hosts --get-hosts --makeopts --get-verbose --set-verbose --get-log \
    --set-log --get-env --set-env --install --update-masquerade \
    --update-masquerade-with-crossdev --root --help --version; do
    [[ "$output" == *"  $cmd"* ]] || { echo "missing $cmd"; false; }
  done
  [[ "$output" == *"  106  a host spec is malformed (nothing was written)"* ]]
}

@test "the man page documents every command --help lists" {
  page="$DCC_TOP/man/distcc-config.1"
  [ -f "$page" ]
  run "$CFG" --help
  while read -r cmd; do
    grep -qF -- "${cmd//-/\\-}" "$page" || { echo "man page lacks $cmd"; false; }
  done < <(grep -oE '^  --[a-z-]+' <<<"$output")
  for code in 0 1 100 105 106 107 115 116; do
    grep -q "^\.B $code\$" "$page" || grep -q "^\.IP $code\$" "$page" || { echo "man page lacks exit $code"; false; }
  done
}

@test "--version prints the project version" {
  run "$CFG" --version
  [ "$status" -eq 0 ]
  [ "$output" = "distcc-config $(cat "$DCC_TOP/VERSION")" ]
}

@test "an unknown option is one line and exit 1" {
  run "$CFG" --set-hostz box
  [ "$status" -eq 1 ]
  [ "$output" = "distcc-config: --set-hostz: unknown option; see distcc-config --help" ]
}

@test "no command is exit 1 with a pointer to --help" {
  run "$CFG"
  [ "$status" -eq 1 ]
  [ "$output" = "distcc-config: no command given; see distcc-config --help" ]
}

@test "two commands at once are refused" {
  run cfg --get-hosts --makeopts
  [ "$status" -eq 1 ]
  [ "$output" = "distcc-config: give one command at a time (--get-hosts and --makeopts); see distcc-config --help" ]
}

@test "a missing or extra argument says what the command expects" {
  run cfg --set-env DISTCC_VERBOSE
  [ "$status" -eq 1 ]
  [ "$output" = "distcc-config: --set-env expects VAR VALUE (got 1 argument); see distcc-config --help" ]
  run cfg --set-verbose
  [ "$status" -eq 1 ]
  [ "$output" = "distcc-config: --set-verbose expects 0|1 (got 0 arguments); see distcc-config --help" ]
  run cfg --get-hosts box
  [ "$status" -eq 1 ]
  [ "$output" = 'distcc-config: --get-hosts takes no argument (got "box")' ]
}

@test "an option after a command's arguments is refused, not taken as a host" {
  run "$CFG" --set-hosts box --root "$R"
  [ "$status" -eq 1 ]
  [ "$output" = "distcc-config: --root after --set-hosts is taken as its argument; put options before the command" ]
  [ ! -e "$HD/hosts" ]
}

@test "--root must be an existing directory" {
  run "$CFG" --root "$CFG_TMP/nope" --get-hosts
  [ "$status" -eq 1 ]
  [ "$output" = "distcc-config: --root $CFG_TMP/nope is not a directory; create it or give an existing one" ]
}

# --- --set-hosts / --get-hosts --------------------------------------------

@test "--set-hosts as root writes /etc/distcc/hosts with mode 0644" {
  run cfg --set-hosts "localhost/2 box/4,lzo"
  [ "$status" -eq 0 ]
  [ "$output" = "wrote 2 hosts to $HD/hosts" ]
  [ "$(cat "$HD/hosts")" = "localhost/2 box/4,lzo" ]
  [ "$(mode_of "$HD/hosts")" = 644 ]
  [ "$(mode_of "$HD")" = 755 ]
  [ "$(dir_names "$HD")" = "hosts " ]
}

@test "--set-hosts takes the list as several arguments, --randomize first" {
  run cfg --set-hosts --randomize box1/8 box2 "[fe80::1]:4000/2"
  [ "$status" -eq 0 ]
  [ "$output" = "wrote 3 hosts to $HD/hosts" ]
  [ "$(cat "$HD/hosts")" = "--randomize box1/8 box2 [fe80::1]:4000/2" ]
}

@test "--set-hosts=LIST works too" {
  run cfg --set-hosts="box1 box2"
  [ "$status" -eq 0 ]
  [ "$(cat "$HD/hosts")" = "box1 box2" ]
}

@test "a bad host spec names the token, exits 106 and leaves the file alone" {
  cfg --set-hosts "good/4" >/dev/null
  before=$(fingerprint "$HD/hosts")
  run cfg --set-hosts "ok1" "box:port" "ok2"
  [ "$status" -eq 106 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == "distcc-config: bad host specification \"box:port\": "*"; nothing was written" ]]
  [ "$(fingerprint "$HD/hosts")" = "$before" ]
  [ "$(dir_names "$HD")" = "hosts " ]
}

@test "a bad spec on a fresh machine creates nothing" {
  run cfg --set-hosts "box/0x"
  [ "$status" -eq 106 ]
  [ ! -e "$HD" ]
}

@test "an empty host list is refused with 116" {
  run cfg --set-hosts "  # only a comment"
  [ "$status" -eq 116 ]
  [ "$output" = 'distcc-config: the list names no host; give at least one, e.g. distcc-config --set-hosts "localhost box/4"' ]
  [ ! -e "$HD/hosts" ]
}

@test "--set-hosts says when \$DISTCC_HOSTS overrides the file" {
  DISTCC_HOSTS="other" run cfg --set-hosts box
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "note: \$DISTCC_HOSTS is set in this environment and wins over $HD/hosts" ]
}

@test "--get-hosts prints the system file's contents and says so" {
  mkdir -p "$HD"
  printf 'box1/4 # the fast one\nbox2\n' >"$HD/hosts"
  run cfg --get-hosts
  [ "$status" -eq 0 ]
  [ "$output" = "# from $HD/hosts (the system file)
box1/4 # the fast one
box2" ]
}

@test "--get-hosts prefers the user's file, and prints its contents, not its path" {
  mkdir -p "$HD" "$HOME/.distcc"
  echo "system" >"$HD/hosts"
  echo "mine/2" >"$HOME/.distcc/hosts"
  run cfg --get-hosts
  [ "$status" -eq 0 ]
  [ "$output" = "# from $HOME/.distcc/hosts (the user's file)
mine/2" ]
}

@test "--get-hosts honours \$DISTCC_DIR and then \$DISTCC_HOSTS" {
  mkdir -p "$CFG_TMP/dd"
  echo "viadir" >"$CFG_TMP/dd/hosts"
  DISTCC_DIR="$CFG_TMP/dd" run cfg --get-hosts
  [ "$output" = "# from $CFG_TMP/dd/hosts (the user's file)
viadir" ]
  DISTCC_DIR="$CFG_TMP/dd" DISTCC_HOSTS="envbox/3" run cfg --get-hosts
  [ "$status" -eq 0 ]
  [ "$output" = "# from \$DISTCC_HOSTS
envbox/3" ]
}

@test "--get-hosts with nothing configured exits 116 and says what to do" {
  run cfg --get-hosts
  [ "$status" -eq 116 ]
  [ "$output" = "distcc-config: no hosts configured (\$DISTCC_HOSTS is unset, $HOME/.distcc/hosts and $HD/hosts do not exist); set them with distcc-config --set-hosts \"HOST...\"" ]
}

@test "--get-hosts shows a broken file and exits 106" {
  mkdir -p "$HD"
  echo "box/zz" >"$HD/hosts"
  run cfg --get-hosts
  [ "$status" -eq 106 ]
  [ "${lines[0]}" = "# from $HD/hosts (the system file)" ]
  [ "${lines[1]}" = "box/zz" ]
  [[ "${lines[2]}" == "distcc-config: bad host specification \"box/zz\""*"in $HD/hosts; fix it with distcc-config --set-hosts" ]]
}

@test "a user writes only ~/.distcc/hosts, never the system file" {
  dcc_need_tool setpriv
  dcc_need_root
  cfg --set-hosts "system/4" >/dev/null
  before=$(fingerprint "$HD/hosts")
  chmod -R go+rX "$R"
  user_home="$CFG_TMP/nobody"
  mkdir -p "$user_home"
  chown nobody "$user_home"
  cp "$CFG" "$CFG_TMP/distcc-config"
  chmod 755 "$CFG_TMP/distcc-config"
  run setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env HOME="$user_home" "$CFG_TMP/distcc-config" --root "$R" --set-hosts "mine/2" "other"
  [ "$status" -eq 0 ]
  [ "$output" = "wrote 2 hosts to $user_home/.distcc/hosts" ]
  [ "$(cat "$user_home/.distcc/hosts")" = "mine/2 other" ]
  [ "$(mode_of "$user_home/.distcc/hosts")" = 644 ]
  [ "$(stat -c %U "$user_home/.distcc/hosts")" = nobody ]
  [ "$(fingerprint "$HD/hosts")" = "$before" ]
  [ "$(dir_names "$HD")" = "hosts " ]
}

@test "a user's \$DISTCC_DIR decides where its hosts go" {
  dcc_need_tool setpriv
  dcc_need_root
  dd="$CFG_TMP/dd"
  mkdir -p "$dd"
  chown nobody "$dd"
  cp "$CFG" "$CFG_TMP/distcc-config"
  chmod 755 "$CFG_TMP/distcc-config"
  run setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env HOME=/nonexistent DISTCC_DIR="$dd" "$CFG_TMP/distcc-config" --set-hosts "a b"
  [ "$status" -eq 0 ]
  [ "$(cat "$dd/hosts")" = "a b" ]
  [ ! -e "$HD" ]
}

@test "commands that change the system refuse a user with exit 1" {
  dcc_need_tool setpriv
  dcc_need_root
  cp "$CFG" "$CFG_TMP/distcc-config"
  chmod 755 "$CFG_TMP/distcc-config"
  for cmd in "--set-verbose 1" "--set-log /tmp/x" "--set-env DISTCC_SSH ssh" --install \
    --update-masquerade --update-masquerade-with-crossdev; do
    # shellcheck disable=SC2086 # the command and its argument are split on purpose
    run setpriv --reuid=nobody --regid=nogroup --clear-groups \
      env HOME="$CFG_TMP" "$CFG_TMP/distcc-config" $cmd
    [ "$status" -eq 1 ]
    [ "$output" = "distcc-config: ${cmd%% *} must be run as root (it changes system files); run it with sudo" ]
  done
}

# --- --makeopts ------------------------------------------------------------

@test "--makeopts follows the handbook rule and shows the arithmetic" {
  cores=$(getconf _NPROCESSORS_ONLN)
  cfg --set-hosts "localhost/2 box/4 other [::1]:3633/3 user@sshbox/6" >/dev/null
  total=$((cores + 17))
  run cfg --makeopts
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "MAKEOPTS=\"-j$((2 * total + 1)) -l$cores\"" ]
  s=s; [ "$cores" -eq 1 ] && s=
  [ "${lines[1]}" = "# $cores local core$s + 17 remote slots (box/4, other/4, [::1]/3, user@sshbox/6) = $total; -j = 2*$total+1 = $((2 * total + 1)); -l = $cores" ]
  [ "${lines[2]}" = "# hosts from $HD/hosts (the system file); localhost is this machine, counted as its cores" ]
}

@test "--makeopts without hosts counts the local cores only" {
  cores=$(getconf _NPROCESSORS_ONLN)
  run cfg --makeopts
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "MAKEOPTS=\"-j$((2 * cores + 1)) -l$cores\"" ]
  [ "${lines[2]}" = "# no host list is configured, so only the local cores count" ]
}

@test "--makeopts refuses a broken host list with 106" {
  DISTCC_HOSTS="box:99999" run cfg --makeopts
  [ "$status" -eq 106 ]
  [[ "$output" == "distcc-config: bad host specification \"box:99999\""*"in \$DISTCC_HOSTS; fix it with distcc-config --set-hosts" ]]
}

# --- env.d -------------------------------------------------------------------

@test "--install writes exactly the repository's env.d/02distcc" {
  run cfg --install
  [ "$status" -eq 0 ]
  cmp "$DCC_TOP/env.d/02distcc" "$R/etc/env.d/02distcc"
  [ "$(mode_of "$R/etc/env.d/02distcc")" = 644 ]
}

@test "--set-verbose changes only its own line and does not run env-update on a staged root" {
  cfg --install >/dev/null
  expected=$(sed 's/^DISTCC_VERBOSE="0"$/DISTCC_VERBOSE="1"/' "$DCC_TOP/env.d/02distcc")
  run cfg --set-verbose 1
  [ "$status" -eq 0 ]
  [ "$output" = "set DISTCC_VERBOSE=\"1\" in $R/etc/env.d/02distcc (was \"0\")
not running env-update on the staged root $R; run it inside that system (chroot $R env-update)" ]
  [ "$(cat "$R/etc/env.d/02distcc")" = "$expected" ]
  [ "$(mode_of "$R/etc/env.d/02distcc")" = 644 ]
  [ "$(dir_names "$R/etc/env.d")" = "02distcc " ]
  run cfg --get-verbose
  [ "$output" = 'DISTCC_VERBOSE="1"' ]
}

@test "setting the value it already has changes nothing" {
  cfg --install >/dev/null
  before=$(fingerprint "$R/etc/env.d/02distcc")
  run cfg --set-verbose 0
  [ "$status" -eq 0 ]
  [ "$output" = "DISTCC_VERBOSE is already \"0\" in $R/etc/env.d/02distcc; nothing changed" ]
  [ "$(fingerprint "$R/etc/env.d/02distcc")" = "$before" ]
}

@test "--set-verbose accepts only 0 or 1" {
  cfg --install >/dev/null
  before=$(fingerprint "$R/etc/env.d/02distcc")
  run cfg --set-verbose yes
  [ "$status" -eq 1 ]
  [ "$output" = 'distcc-config: --set-verbose takes 0 or 1, not "yes"' ]
  [ "$(fingerprint "$R/etc/env.d/02distcc")" = "$before" ]
}

@test "--set-log adds DISTCC_LOG when the file lacks it, keeping comments and other lines" {
  mkdir -p "$R/etc/env.d"
  printf '# Gentoo 3.4 file\n# DISTCC_LOG and DISTCC_DIR should not be set.\nDISTCC_VERBOSE="0"\nUNCACHED_ERR_FD=""\nSOMETHING_ELSE=keep # mine\n' \
    >"$R/etc/env.d/02distcc"
  run cfg --set-log /var/log/distcc.log
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "added DISTCC_LOG=\"/var/log/distcc.log\" to $R/etc/env.d/02distcc (it was missing)" ]
  [ "$(cat "$R/etc/env.d/02distcc")" = '# Gentoo 3.4 file
# DISTCC_LOG and DISTCC_DIR should not be set.
DISTCC_VERBOSE="0"
UNCACHED_ERR_FD=""
SOMETHING_ELSE=keep # mine
DISTCC_LOG="/var/log/distcc.log"' ]
  run cfg --get-log
  [ "$status" -eq 0 ]
  [ "$output" = 'DISTCC_LOG="/var/log/distcc.log"' ]
}

@test "--set-log wants an absolute path" {
  cfg --install >/dev/null
  run cfg --set-log distcc.log
  [ "$status" -eq 1 ]
  [ "$output" = 'distcc-config: DISTCC_LOG takes an absolute path (starting with /), not "distcc.log"' ]
}

@test "--set-env sets a distcc variable and keeps a trailing comment" {
  mkdir -p "$R/etc/env.d"
  printf 'DISTCC_SSH="ssh"   # which ssh\n' >"$R/etc/env.d/02distcc"
  run cfg --set-env DISTCC_SSH "ssh -p 2222"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "set DISTCC_SSH=\"ssh -p 2222\" in $R/etc/env.d/02distcc (was \"ssh\")" ]
  [ "$(cat "$R/etc/env.d/02distcc")" = 'DISTCC_SSH="ssh -p 2222"   # which ssh' ]
}

@test "--set-env refuses variables that are not distcc's" {
  cfg --install >/dev/null
  before=$(fingerprint "$R/etc/env.d/02distcc")
  run cfg --set-env PATH /tmp
  [ "$status" -eq 1 ]
  [ "$output" = "distcc-config: PATH is not one of distcc's variables (the list is in distcc-config(1))" ]
  run cfg --set-env DISTCC_HOSTS box
  [ "$status" -eq 1 ]
  [ "$output" = "distcc-config: DISTCC_HOSTS is not set in env.d: use distcc-config --set-hosts, which writes the hosts file" ]
  run cfg --set-env DISTCC_IO_TIMEOUT soon
  [ "$status" -eq 1 ]
  [ "$output" = 'distcc-config: DISTCC_IO_TIMEOUT takes a whole number, not "soon"' ]
  # shellcheck disable=SC2016 # the $ must reach distcc-config unexpanded
  run cfg --set-env DISTCC_SSH 'ssh $(id)'
  [ "$status" -eq 1 ]
  [ "$output" = 'distcc-config: DISTCC_SSH: the value may not contain $ (env-update would expand or unquote it)' ]
  # distcc takes a flag as on when it is set at all, so 0 would turn it on.
  run cfg --set-env DISTCC_SKIP_LOCAL_RETRY 0
  [ "$status" -eq 1 ]
  [ "$output" = 'distcc-config: DISTCC_SKIP_LOCAL_RETRY is on whenever it is set, to any value, 0 too: set it to 1, or leave it out of the file to have it off; not "0"' ]
  [ "$(fingerprint "$R/etc/env.d/02distcc")" = "$before" ]
}

@test "env.d/02distcc is replaced by rename: a reader of the old file keeps it whole" {
  cfg --install >/dev/null
  local envd="$R/etc/env.d/02distcc"
  # A hard link stands for a reader that opened the old file.
  ln "$envd" "$CFG_TMP/old-02distcc"
  cp "$envd" "$CFG_TMP/old-copy"
  cfg --set-verbose 1 >/dev/null
  cmp "$CFG_TMP/old-02distcc" "$CFG_TMP/old-copy"
  [ "$(stat -c %i "$envd")" != "$(stat -c %i "$CFG_TMP/old-02distcc")" ]
  grep -qx 'DISTCC_VERBOSE="1"' "$envd"
  [ "$(mode_of "$envd")" = 644 ]
  [ "$(dir_names "$R/etc/env.d")" = "02distcc " ]
}

@test "env.d/02distcc is never opened for writing: a temporary file is renamed over it" {
  cfg --install >/dev/null
  run cfg_file_calls "$R/etc/env.d/02distcc" --set-env DISTCC_SSH "ssh -p 2222"
  [ "$status" -eq 0 ]
  [ "$output" = "read
rename .02distcc.XXXXXX onto it" ]
  # A new file too.
  rm -r "$R/etc/env.d"
  run cfg_file_calls "$R/etc/env.d/02distcc" --set-verbose 1
  [ "$status" -eq 0 ]
  [ "$output" = "read
rename .02distcc.XXXXXX onto it" ]
}

@test "the hosts file is replaced by rename, never rewritten in place" {
  cfg --set-hosts box1 >/dev/null
  ln "$HD/hosts" "$CFG_TMP/old-hosts"
  cfg --set-hosts box2 >/dev/null
  [ "$(cat "$CFG_TMP/old-hosts")" = "box1" ]
  [ "$(cat "$HD/hosts")" = "box2" ]
  [ "$(stat -c %i "$HD/hosts")" != "$(stat -c %i "$CFG_TMP/old-hosts")" ]
  [ "$(dir_names "$HD")" = "hosts " ]
  run cfg_file_calls "$HD/hosts" --set-hosts box3
  [ "$status" -eq 0 ]
  # (read afterwards, for the note on which host list wins)
  [ "$output" = "rename .hosts.XXXXXX onto it
read" ]
}

@test "--set-env DISTCC_DIR, as the Gentoo wiki suggests, says what it changes for emerge and users" {
  cfg --install >/dev/null
  local staged="not running env-update on the staged root $R; run it inside that system (chroot $R env-update)"
  run cfg --set-env DISTCC_DIR /var/tmp/portage/.distcc/
  [ "$status" -eq 0 ]
  [ "$output" = "added DISTCC_DIR=\"/var/tmp/portage/.distcc/\" to $R/etc/env.d/02distcc (it was missing)
note: every login shell now uses Portage's DISTCC_DIR, so distccmon-text shows emerge's jobs; Portage makes it group portage, and users who cannot write there need a DISTCC_DIR of their own for their builds
$staged" ]
  [ "$(tail -n 1 "$R/etc/env.d/02distcc")" = 'DISTCC_DIR="/var/tmp/portage/.distcc/"' ]
  run cfg --set-env DISTCC_DIR /srv/distcc
  [ "$status" -eq 0 ]
  [ "$output" = "set DISTCC_DIR=\"/srv/distcc\" in $R/etc/env.d/02distcc (was \"/var/tmp/portage/.distcc/\")
warning: emerge takes DISTCC_DIR from its environment, so Portage's lock and state files now go to /srv/distcc instead of /var/tmp/portage/.distcc, and Portage makes that directory group portage; /var/tmp/portage/.distcc is the value that shows emerge's jobs in every shell
$staged" ]
  run cfg --set-env DISTCC_DIR ""
  [ "$status" -eq 0 ]
  [ "$output" = "set DISTCC_DIR=\"\" in $R/etc/env.d/02distcc (was \"/srv/distcc\")
$staged" ]
  before=$(fingerprint "$R/etc/env.d/02distcc")
  run cfg --set-env DISTCC_DIR .distcc
  [ "$status" -eq 1 ]
  [ "$output" = 'distcc-config: DISTCC_DIR takes an absolute path (starting with /), not ".distcc"' ]
  [ "$(fingerprint "$R/etc/env.d/02distcc")" = "$before" ]
}

@test "the mail variables of Gentoo's old file are accepted, with a note that they do nothing" {
  cfg --install >/dev/null
  run cfg --set-env DISTCC_ENABLE_DISCREPANCY_EMAIL 1
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "note: this distcc sends no mail, so DISTCC_ENABLE_DISCREPANCY_EMAIL has no effect; it is accepted because Gentoo's file has always listed it" ]
  run cfg --set-env DISTCC_EMAILLOG_WHOM_TO_BLAME me@example.org
  [ "${lines[1]}" = "note: this distcc sends no mail, so DISTCC_EMAILLOG_WHOM_TO_BLAME has no effect" ]
  run cfg --set-env DCC_EMAILLOG_WHOM_TO_BLAME me@example.org
  [ "${lines[1]}" = "note: stock distcc reads DISTCC_EMAILLOG_WHOM_TO_BLAME, not this old Gentoo name, and this distcc sends no mail; it has no effect" ]
  # Emptied, they need no note.
  run cfg --set-env DISTCC_ENABLE_DISCREPANCY_EMAIL ""
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  # Nothing in the programs reads them.
  # Nothing in the programs reads them: only the settings table and env.d's notes name them.
  run bash -c "grep -rlE 'DISCREPANCY_EMAIL|EMAILLOG' '$DCC_TOP/engine' --include=*.c | sort"
  [ "$output" = "$DCC_TOP/engine/lib/admin/dcc_envd.c
$DCC_TOP/engine/lib/proto/dcc_settings.c" ]
}

@test "--set-env on a machine without the file creates it from the defaults" {
  run cfg --set-env DISTCC_MAX_DISCREPANCY 5
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "created $R/etc/env.d/02distcc with distcc's defaults" ]
  [ "${lines[1]}" = "added DISTCC_MAX_DISCREPANCY=\"5\" to $R/etc/env.d/02distcc (it was missing)" ]
  [ "$(cat "$R/etc/env.d/02distcc")" = "$(cat "$DCC_TOP/env.d/02distcc")
DISTCC_MAX_DISCREPANCY=\"5\"" ]
}

@test "--get-env prints the file or one variable" {
  cfg --install >/dev/null
  run cfg --get-env
  [ "$status" -eq 0 ]
  [ "$output" = "$(cat "$DCC_TOP/env.d/02distcc")" ]
  run cfg --get-env DISTCC_IO_TIMEOUT
  [ "$status" -eq 0 ]
  [ "$output" = 'DISTCC_IO_TIMEOUT="300"' ]
  run cfg --get-env DISTCC_SKIP_LOCAL_RETRY
  [ "$status" -eq 1 ]
  [ "$output" = "distcc-config: DISTCC_SKIP_LOCAL_RETRY is not set in $R/etc/env.d/02distcc; set it with distcc-config --set-env DISTCC_SKIP_LOCAL_RETRY VALUE" ]
}

@test "--get-verbose without the file exits 115 and points at --install" {
  run cfg --get-verbose
  [ "$status" -eq 115 ]
  [ "$output" = "distcc-config: $R/etc/env.d/02distcc does not exist; create it with distcc-config --install" ]
}

@test "\$ROOT and \$EROOT stage the paths like --root, EROOT first" {
  mkdir -p "$CFG_TMP/other"
  ROOT="$CFG_TMP/other" run "$CFG" --install
  [ "$status" -eq 0 ]
  [ -f "$CFG_TMP/other/etc/env.d/02distcc" ]
  ROOT="$CFG_TMP/other" EROOT="$R" run "$CFG" --set-verbose 1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "created $R/etc/env.d/02distcc with distcc's defaults" ]
}

# --- masquerade links and --install ----------------------------------------

@test "--install sets up a machine and prints each step" {
  fake_compilers gcc g++ x86_64-pc-linux-gnu-gcc-13 clang-17
  touch "$R/usr/bin/distcc"
  run cfg --install
  [ "$status" -eq 0 ]
  [ "$output" = "created $HD
wrote $R/etc/env.d/02distcc with distcc's defaults
created $R/usr/lib/distcc
created $R/usr/lib/distcc/bin -> .
created $R/usr/lib/distcc/clang-17 -> /usr/bin/distcc
created $R/usr/lib/distcc/g++ -> /usr/bin/distcc
created $R/usr/lib/distcc/gcc -> /usr/bin/distcc
created $R/usr/lib/distcc/x86_64-pc-linux-gnu-gcc-13 -> /usr/bin/distcc
$R/usr/lib/distcc: 5 created, 0 kept, 0 removed, 0 left alone
next: name the helpers with distcc-config --set-hosts \"HOST...\" (writes $HD/hosts)
not running env-update on the staged root $R; run it inside that system (chroot $R env-update)" ]
  [ "$(mode_of "$HD")" = 755 ]
  [ "$(mode_of "$R/usr/lib/distcc")" = 755 ]
}

@test "--install keeps an existing env.d file and is quiet the second time" {
  fake_compilers gcc
  touch "$R/usr/bin/distcc"
  mkdir -p "$R/etc/env.d"
  echo 'DISTCC_VERBOSE="1" # mine' >"$R/etc/env.d/02distcc"
  cfg --set-hosts box >/dev/null
  run cfg --install
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "kept $HD (it already exists)" ]
  [ "${lines[1]}" = "kept $R/etc/env.d/02distcc (it already exists)" ]
  [ "$(cat "$R/etc/env.d/02distcc")" = 'DISTCC_VERBOSE="1" # mine' ]
  run cfg --install
  [ "$output" = "kept $HD (it already exists)
kept $R/etc/env.d/02distcc (it already exists)
$R/usr/lib/distcc: 0 created, 2 kept, 0 removed, 0 left alone" ]
}

@test "--update-masquerade links every compiler on PATH and nothing else" {
  fake_compilers gcc g++ gcc-13 g++-13 x86_64-pc-linux-gnu-gcc x86_64-pc-linux-gnu-g++-13 \
    clang clang++ clang-17 clang++-17 aarch64-unknown-linux-gnu-gcc cc c++ c99 \
    gcc-ar gcc-nm-13 clang-format ld as c89
  printf '#!/bin/sh\n' >"$R/usr/bin/clang-18" # not executable
  mkdir "$R/usr/bin/gcc-15"                     # not a file
  mkdir -p "$R/usr/lib/distcc"
  touch "$R/usr/bin/distcc"
  run cfg --update-masquerade
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$R/usr/lib/distcc: 15 created, 0 kept, 0 removed, 0 left alone" ]
  [ "$(masq_listing)" = "aarch64-unknown-linux-gnu-gcc -> /usr/bin/distcc
bin -> .
c++ -> /usr/bin/distcc
c99 -> /usr/bin/distcc
cc -> /usr/bin/distcc
clang -> /usr/bin/distcc
clang++ -> /usr/bin/distcc
clang++-17 -> /usr/bin/distcc
clang-17 -> /usr/bin/distcc
g++ -> /usr/bin/distcc
g++-13 -> /usr/bin/distcc
gcc -> /usr/bin/distcc
gcc-13 -> /usr/bin/distcc
x86_64-pc-linux-gnu-g++-13 -> /usr/bin/distcc
x86_64-pc-linux-gnu-gcc -> /usr/bin/distcc" ]
}

@test "--update-masquerade twice is idempotent" {
  fake_compilers gcc x86_64-pc-linux-gnu-gcc-13 clang-17
  cfg --update-masquerade >/dev/null
  first=$(masq_listing)
  run cfg --update-masquerade
  [ "$status" -eq 0 ]
  [ "$output" = "$R/usr/lib/distcc: 0 created, 4 kept, 0 removed, 0 left alone
note: $R/usr/bin/distcc does not exist yet; the links work once distcc is installed there" ]
  [ "$(masq_listing)" = "$first" ]
}

@test "a foreign file and a foreign link in the masquerade dir survive" {
  fake_compilers gcc g++
  touch "$R/usr/bin/distcc"
  mkdir -p "$R/usr/lib/distcc"
  echo notes >"$R/usr/lib/distcc/README"
  ln -s /usr/bin/ccache "$R/usr/lib/distcc/g++"
  ln -s /usr/bin/ccache "$R/usr/lib/distcc/clang-9"
  run cfg --update-masquerade
  [ "$status" -eq 0 ]
  [ "$output" = "left $R/usr/lib/distcc/README alone (a file, not a link of ours)
created $R/usr/lib/distcc/bin -> .
left $R/usr/lib/distcc/clang-9 alone (a link that does not point at distcc)
left $R/usr/lib/distcc/g++ alone (a link that does not point at distcc)
created $R/usr/lib/distcc/gcc -> /usr/bin/distcc
$R/usr/lib/distcc: 2 created, 0 kept, 0 removed, 3 left alone" ]
  [ "$(cat "$R/usr/lib/distcc/README")" = notes ]
  [ "$(readlink "$R/usr/lib/distcc/g++")" = /usr/bin/ccache ]
  [ "$(readlink "$R/usr/lib/distcc/clang-9")" = /usr/bin/ccache ]
}

@test "links to compilers that vanished are removed, relative ones too" {
  fake_compilers gcc clang-16 clang-17
  touch "$R/usr/bin/distcc"
  cfg --update-masquerade >/dev/null
  ln -s ../../bin/distcc "$R/usr/lib/distcc/gcc-12"
  rm "$R/usr/bin/clang-16"
  run cfg --update-masquerade
  [ "$status" -eq 0 ]
  [ "$output" = "removed $R/usr/lib/distcc/clang-16 (no such compiler on PATH any more)
removed $R/usr/lib/distcc/gcc-12 (no such compiler on PATH any more)
$R/usr/lib/distcc: 0 created, 3 kept, 2 removed, 0 left alone" ]
  [ "$(masq_listing)" = "bin -> .
clang-17 -> /usr/bin/distcc
gcc -> /usr/bin/distcc" ]
}

@test "--update-masquerade-with-crossdev keeps only CHOST-prefixed names" {
  fake_compilers gcc g++ cc x86_64-pc-linux-gnu-gcc x86_64-pc-linux-gnu-gcc-13 \
    aarch64-unknown-linux-gnu-g++ clang-17
  touch "$R/usr/bin/distcc"
  cfg --update-masquerade >/dev/null
  # One cross compiler went away since; "gcc" and friends are still there.
  rm "$R/usr/bin/x86_64-pc-linux-gnu-gcc-13"
  ln -s /usr/bin/distcc "$R/usr/lib/distcc/distcc-wrapper"
  run cfg --update-masquerade-with-crossdev
  [ "$status" -eq 0 ]
  local why="not CHOST-prefixed: with crossdev, unqualified calls stay local"
  [ "$output" = "removed $R/usr/lib/distcc/cc ($why)
removed $R/usr/lib/distcc/clang-17 ($why)
removed $R/usr/lib/distcc/distcc-wrapper (not a compiler name)
removed $R/usr/lib/distcc/g++ ($why)
removed $R/usr/lib/distcc/gcc ($why)
removed $R/usr/lib/distcc/x86_64-pc-linux-gnu-gcc-13 (no such compiler on PATH any more)
$R/usr/lib/distcc: 0 created, 3 kept, 6 removed, 0 left alone" ]
  [ "$(masq_listing)" = "aarch64-unknown-linux-gnu-g++ -> /usr/bin/distcc
bin -> .
x86_64-pc-linux-gnu-gcc -> /usr/bin/distcc" ]
}

@test "compilers in the masquerade dir itself and in relative PATH entries are ignored" {
  fake_compilers gcc
  touch "$R/usr/bin/distcc"
  mkdir -p "$R/usr/lib/distcc" "$CFG_TMP/rel"
  ln -s /usr/bin/distcc "$R/usr/lib/distcc/clang-15"
  printf '#!/bin/sh\n' >"$CFG_TMP/rel/g++"
  chmod 755 "$CFG_TMP/rel/g++"
  cd "$CFG_TMP"
  PATH="/usr/lib/distcc/bin:/usr/lib/distcc:rel:/usr/bin:/bin" run cfg --update-masquerade
  [ "$status" -eq 0 ]
  [ "$(masq_listing)" = "bin -> .
gcc -> /usr/bin/distcc" ]
}

@test "no compiler on PATH is a warning, not a silent empty whitelist" {
  touch "$R/usr/bin/distcc"
  run cfg --update-masquerade-with-crossdev
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "warning: no CHOST-prefixed compiler found on PATH, so distccd will refuse every job; install one and run this again" ]
}

@test "the man page lists every variable --set-env knows" {
  # The settings table's entries distcc-config writes (readers with E), and
  # those env.d's notes name (DISTCC_HOSTS, refused with a reason).
  # tests/bats/settings-dump prints the table: NAME, readers, default.
  dcc_cc_with_libdcc "$BATS_TEST_TMPDIR/settings-dump" "$DCC_TOP/tests/bats/settings-dump.c"
  names=$({
    "$BATS_TEST_TMPDIR/settings-dump" | awk -F '\t' '$2 ~ /E/ { print $1 }'
    grep -E '^    \{"[A-Z_]+",' "$DCC_TOP/engine/lib/admin/dcc_envd.c" | grep -oE '"[A-Z_]{4,}"' | tr -d '"'
  } | sort -u)
  [ "$(wc -l <<<"$names")" -ge 18 ]
  for name in $names; do
    grep -q "^\.B $name\$" "$DCC_TOP/man/distcc-config.1" || { echo "man page lacks $name"; false; }
  done
}

@test "on the running system a set command runs env-update and says how to load the change" {
  real_before=$(ls -la /etc/env.d 2>&1 || true)
  cfg_live 0 --set-verbose 1
  [ "$status" -eq 0 ]
  [ "$output" = "created /etc/env.d/02distcc with distcc's defaults
set DISTCC_VERBOSE=\"1\" in /etc/env.d/02distcc (was \"0\")
running $CFG_TMP/bin/env-update
env-update saw: DISTCC_VERBOSE=\"1\"
to use the new settings in this shell: source /etc/profile" ]
  [ -f "$CFG_TMP/etc/env.d/02distcc" ]
  [ "$(ls -la /etc/env.d 2>&1 || true)" = "$real_before" ]
}

@test "a failing env-update is exit 100 after the file was written" {
  cfg_live 3 --set-env DISTCC_VERBOSE 1
  [ "$status" -eq 100 ]
  [ "${lines[-1]}" = "distcc-config: env-update failed (exit 3); run it by hand, then: source /etc/profile" ]
  grep -qx 'DISTCC_VERBOSE="1"' "$CFG_TMP/etc/env.d/02distcc"
}
