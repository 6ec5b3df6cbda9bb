# Helpers for distcc-config.bats: a throwaway staged root with fake compilers,
# a HOME of its own, and short ways to run the program and inspect links.

# Fresh temp dir (world-traversable so the "nobody" tests can reach it), a
# staged root inside it, and an environment with no distcc settings leaking in.
cfg_setup() {
  CFG_TMP=$(mktemp -d /tmp/dcc-config.XXXXXX)
  chmod 755 "$CFG_TMP"
  R="$CFG_TMP/root"
  mkdir -p "$R/usr/bin" "$R/bin"
  export HOME="$CFG_TMP/home"
  mkdir -p "$HOME"
  unset DISTCC_HOSTS DISTCC_DIR ROOT EROOT
  # Every PATH entry is looked up under the staged root, so this finds only
  # the fake compilers below, never the host's own.
  export PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
  CFG="$DCC_BIN/distcc-config"
  [ -x "$CFG" ] || skip "distcc-config is not built in $DCC_BIN"
  # The system host list follows the build's SYSCONFDIR (/etc for a Gentoo
  # build, /usr/local/etc for the default PREFIX); --help names it.
  local sysconf
  sysconf=$("$CFG" --help | sed -n 's|^  system host list:  \(.*\)/distcc/hosts$|\1|p')
  [ -n "$sysconf" ] || { echo "distcc-config --help does not name the host list" >&2; return 1; }
  # shellcheck disable=SC2034 # the hosts dir, used by distcc-config.bats
  HD="$R$sysconf/distcc"
}

cfg_teardown() {
  [ -n "${CFG_TMP:-}" ] && rm -rf "$CFG_TMP"
}

# distcc-config on the staged root.
cfg() {
  "$CFG" --root "$R" "$@"
}

# Executable stand-ins for compilers in the staged /usr/bin.
fake_compilers() {
  local name
  for name in "$@"; do
    printf '#!/bin/sh\nexit 0\n' >"$R/usr/bin/$name"
    chmod 755 "$R/usr/bin/$name"
  done
}

# "name -> target" for every entry of the staged masquerade dir, sorted; a
# non-link shows as "name (file)" or "name (dir)".
masq_listing() {
  local dir="$R/usr/lib/distcc" entry name
  for entry in "$dir"/* "$dir"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=${entry##*/}
    if [ -L "$entry" ]; then
      echo "$name -> $(readlink "$entry")"
    elif [ -d "$entry" ]; then
      echo "$name (dir)"
    else
      echo "$name (file)"
    fi
  done | LC_ALL=C sort
}

# Octal mode of a file.
mode_of() {
  stat -c %a "$1"
}

# A checksum that changes with content, mode or owner.
fingerprint() {
  { stat -c '%a %u %g %s' "$1"; sha256sum <"$1"; } | tr '\n' ' '
}

# Names in a directory, dotfiles included (to spot leftover temp files).
dir_names() {
  find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort | tr '\n' ' '
}

# Runs distcc-config as if on the running system, but inside a private mount
# namespace whose /etc is a copy, so the real /etc is never written. A fake
# env-update (first on PATH) prints what it saw. Skips where namespaces are
# not allowed. Usage: cfg_live ENV_UPDATE_EXIT ARGS...
cfg_live() {
  local env_update_exit=$1
  shift
  [ "$(id -u)" -eq 0 ] || skip "needs root for a private mount namespace"
  unshare --mount --propagation private true 2>/dev/null || skip "needs a private mount namespace"
  mkdir -p "$CFG_TMP/etc" "$CFG_TMP/bin"
  cp -a /etc/. "$CFG_TMP/etc/" 2>/dev/null || true
  rm -rf "$CFG_TMP/etc/env.d"
  touch "$CFG_TMP/etc/.dcc-config-test"
  # shellcheck disable=SC2016 # the fake env-update expands it
  printf '#!/bin/sh\necho "env-update saw: $(grep VERBOSE /etc/env.d/02distcc)"\nexit %d\n' \
    "$env_update_exit" >"$CFG_TMP/bin/env-update"
  chmod 755 "$CFG_TMP/bin/env-update"
  # shellcheck disable=SC2016 # expanded by the inner bash
  run unshare --mount --propagation private bash -c '
    set -e
    tmp=$1 cfg=$2
    shift 2
    mount --bind "$tmp/etc" /etc
    [ -e /etc/.dcc-config-test ] || { echo "refusing: /etc is not the copy"; exit 99; }
    PATH="$tmp/bin:$PATH" "$cfg" "$@"' _ "$CFG_TMP" "$CFG" "$@"
}

# Runs distcc-config on the staged root under strace and prints how it
# touched file $1, one line per system call that names it: "read" (opened
# read-only), "write" (opened for writing), "truncate", "unlink",
# "rename .NAME.XXXXXX onto it" (a temporary file of the same directory
# renamed over it) or "rename from it". Usage: cfg_file_calls FILE ARGS...
cfg_file_calls() {
  local file=$1 line call
  shift
  dcc_need_tool strace
  strace -f -qq -o "$CFG_TMP/trace" \
    -e trace=open,openat,openat2,creat,truncate,unlink,unlinkat,rename,renameat,renameat2 \
    "$CFG" --root "$R" "$@" >/dev/null || return 1
  while IFS= read -r line; do
    [[ $line == *"\"$file\""* ]] || continue
    [[ $line =~ ^([0-9]+\ +)?([a-z0-9_]+)\( ]] || continue
    call=${BASH_REMATCH[2]}
    case $call in
      open | openat | openat2)
        if [[ $line =~ O_WRONLY|O_RDWR|O_CREAT|O_TRUNC ]]; then echo write; else echo read; fi ;;
      creat) echo write ;;
      truncate) echo truncate ;;
      unlink | unlinkat) echo unlink ;;
      rename | renameat | renameat2)
        if [[ $line =~ \"${file%/*}/(\.${file##*/}\.)[A-Za-z0-9]{6}\",\ (AT_FDCWD,\ )?\"$file\" ]]; then
          echo "rename ${BASH_REMATCH[1]}XXXXXX onto it"
        elif [[ $line == *"\"$file\", "* ]]; then
          echo "rename from it"
        else
          echo "rename onto it from elsewhere"
        fi ;;
      *) echo "$call" ;;
    esac
  done <"$CFG_TMP/trace"
}
