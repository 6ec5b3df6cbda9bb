#!/usr/bin/env bats
# Where the client puts the files a helper sends back (the object, and the
# .d of a pump job): a regular file is replaced whole through a temporary
# beside it, a device or FIFO is written in place, and symbolic links are
# treated as gcc treats them. gcc and stock distcc 3.4 are the reference.
# shellcheck disable=SC2016 # single-quoted code runs in another shell, on purpose

load common

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  unset DISTCC_HOSTS DISTCC_VERBOSE DISTCC_LOG DISTCC_FALLBACK DISTCC_SAVE_TEMPS DISTCC_NO_REWRITE_CROSS \
    DISTCC_SKIP_LOCAL_RETRY DISTCC_IO_TIMEOUT DISTCC_BACKOFF_PERIOD DISTCC_PAUSE_TIME_MSEC _DISTCC_SAFEGUARD \
    DEPENDENCIES_OUTPUT SUNPRO_DEPENDENCIES INCLUDE_SERVER_DIR INCLUDE_SERVER_PORT INCLUDE_SERVER_PID \
    DISTCC_MAX_DISCREPANCY CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH
  export LC_ALL=C
  export DISTCC_DIR="$BATS_TEST_TMPDIR/distcc-dir"
  mkdir -p "$DISTCC_DIR" # stock makes only what is below it
  printf 'int answer(void) { return 42; }\n' >t.c
  # The helper's job user reads pump files from here.
  chmod -R a+rX "$BATS_TEST_TMPDIR"
}

teardown() {
  # A FIFO's reader, or a stalling helper.
  dcc_stop_pid "${READER_PID:-}"
  READER_PID=
  dcc_stop_distccd
  [ -n "${NOBODY_DIR:-}" ] && rm -rf "$NOBODY_DIR"
  NOBODY_DIR=
}

# Our client against this test's daemon; a job that does not compile there
# fails instead of quietly building here.
distcc_client() {
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 "$DCC_BIN/distcc" "$@"
}

pump_client() {
  DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT,cpp,lzo" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 \
    "$DCC_BIN/pump" "$DCC_BIN/distcc" "$@"
}

# Runs "$@" in directory $1 (run captures in a subshell: the cd stays there).
in_dir() {
  cd "$1" || return
  shift
  "$@"
}

# What a directory holds besides t.c, one line per entry: "name -> target"
# for a link, "name/" for a directory, "name: fifo", "name: ELF object",
# else the first word of the file (the target of a .d, or "old").
layout() {
  local p
  (
    cd "$1" || return
    find . -mindepth 1 -name distcc-dir -prune -o ! -name t.c -printf '%P\n' | sort | while read -r p; do
      if [ -L "$p" ]; then
        echo "$p -> $(readlink "$p")"
      elif [ -d "$p" ]; then
        echo "$p/"
      elif [ -p "$p" ]; then
        echo "$p: fifo"
      elif [ "$(head -c 4 "$p" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        echo "$p: ELF object"
      else
        echo "$p: $(awk '{ print $1; exit }' "$p")"
      fi
    done
  )
}

# Makes directories gcc/, stock/ and ours/, each with t.c and the files
# "$@" creates when run inside it.
three_trees() {
  local d
  for d in gcc stock ours; do
    mkdir "$d"
    cp t.c "$d/"
    (cd "$d" && "$@")
  done
}

# Compiles "$@" in each tree: gcc itself, stock distcc and ours (both on
# this test's daemon); each must succeed, the two clients remotely.
compile_in_three_trees() {
  (cd gcc && gcc "$@")
  (cd stock && stock_distcc gcc "$@")
  (cd ours && distcc_client gcc "$@")
  [ "$(compiled_jobs)" -eq 2 ]
}

@test "an existing object is replaced by a rename: a reader of the old file still sees it whole" {
  dcc_start_distccd
  umask 022
  echo "old object" >t.o
  chmod 600 t.o
  inode=$(stat -c %i t.o)
  exec 8<t.o
  run distcc_client gcc -c t.c -o t.o
  old=$(cat <&8)
  exec 8<&-
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(compiled_jobs)" -eq 1 ]
  # Written in place, the open file would show the new object (or nothing).
  [ "$old" = "old object" ]
  [ "$(stat -c %i t.o)" != "$inode" ]
  [ "$(stat -c %a t.o)" = 644 ]
  gcc -c t.c -o local.o
  cmp t.o local.o
  [ "$(ls -A)" = "$(printf '%s\n' distcc-dir local.o t.c t.o)" ]
}

@test "a failed compile leaves the old object as it was, as gcc does" {
  dcc_start_distccd
  printf 'int broken(\n' >bad.c
  echo "old object" >bad.o
  run gcc -c bad.c -o bad.o
  [ "$status" -eq 1 ]
  [ "$(cat bad.o)" = "old object" ]
  run distcc_client gcc -c bad.c -o bad.o
  [ "$status" -eq 1 ]
  [ "$(grep -c "bad.c: compile failed, exit 1" "$DAEMON_LOG")" -eq 1 ]
  [ "$(cat bad.o)" = "old object" ]
  [ "$(ls -A)" = "$(printf '%s\n' bad.c bad.o distcc-dir t.c)" ]
}

@test "while an object arrives the old one stays whole, and SIGTERM then leaves it as it was" {
  dcc_start_stalling_helper
  READER_PID=$STALL_PID
  mkdir out
  echo "old object" >out/t.o
  inode=$(stat -c %i out/t.o)
  # The stalling helper takes one connection: no CAPS question first.
  DISTCC_TOOLCHAIN_MATCH=off DISTCC_HOSTS="127.0.0.1:$STALL_PORT" "$DCC_BIN/distcc" gcc -c t.c -o out/t.o &
  client=$!
  # The first bytes of the object arrive, under another name.
  for _ in $(seq 200); do
    arrived=$(find out -name '.t.o.distcc-*' -size 10c | wc -l)
    [ "$arrived" -eq 1 ] && break
    sleep 0.05
  done
  [ "$arrived" -eq 1 ]
  [ "$(cat out/t.o)" = "old object" ]
  kill -TERM "$client"
  status=0
  wait "$client" || status=$?
  [ "$status" -eq 143 ]
  [ "$(ls -A out)" = t.o ]
  [ "$(cat out/t.o)" = "old object" ]
  [ "$(stat -c %i out/t.o)" = "$inode" ]
}

@test "-o through a link to an empty file writes the link's target and keeps the link, as gcc and stock do" {
  dcc_start_distccd
  three_trees sh -c ': >target.o && ln -s target.o link.o'
  compile_in_three_trees -c t.c -o link.o
  expected=$(printf '%s\n' "link.o -> target.o" "target.o: ELF object")
  [ "$(layout gcc)" = "$expected" ]
  [ "$(layout stock)" = "$expected" ]
  [ "$(layout ours)" = "$expected" ]
}

@test "-o through a link to a file with data replaces the link and spares the file, as gcc and stock do" {
  # as (binutils) removes a non-empty output before it writes a new one.
  dcc_start_distccd
  three_trees sh -c 'echo old >target.o && ln -s target.o link.o'
  compile_in_three_trees -c t.c -o link.o
  expected=$(printf '%s\n' "link.o: ELF object" "target.o: old")
  [ "$(layout gcc)" = "$expected" ]
  [ "$(layout stock)" = "$expected" ]
  [ "$(layout ours)" = "$expected" ]
}

@test "-o through a chain of relative links to nothing creates the final target beside it, as gcc and stock do" {
  dcc_start_distccd
  three_trees sh -c 'mkdir sub out && ln -s sub/mid.o link.o && ln -s ../out/final.o sub/mid.o'
  compile_in_three_trees -c t.c -o link.o
  expected=$(printf '%s\n' "link.o -> sub/mid.o" "out/" "out/final.o: ELF object" "sub/" "sub/mid.o -> ../out/final.o")
  [ "$(layout gcc)" = "$expected" ]
  [ "$(layout stock)" = "$expected" ]
  # No temporary was left, in out/ or elsewhere.
  [ "$(layout ours)" = "$expected" ]
  cmp ours/out/final.o gcc/out/final.o
}

# gcc itself cannot: as seeks in its output ("Illegal seek").
@test "-o a FIFO streams the object into the pipe and leaves the FIFO, as stock does" {
  dcc_start_distccd
  gcc -c t.c -o local.o
  mkfifo pipe.o
  for client in stock_distcc distcc_client; do
    timeout 60 cat pipe.o >got.o &
    READER_PID=$!
    run "$client" gcc -c t.c -o pipe.o
    [ "$status" -eq 0 ]
    [ "$output" = "" ]
    dcc_wait_gone "$READER_PID" 10
    [ -p pipe.o ]
    cmp got.o local.o
  done
  [ "$(compiled_jobs)" -eq 2 ]
  [ "$(ls -A)" = "$(printf '%s\n' distcc-dir got.o local.o pipe.o t.c)" ]
}

# /dev/stdout is a link to /proc/self/fd/1, whose target "pipe:[N]" names
# no file: only the kernel's open reaches the pipe. /proc/self/fd/1 stands
# in for it so the machine's /dev is not touched.
@test "-o /proc/self/fd/1 (what /dev/stdout leads to) into a pipe streams the object there, as stock does" {
  dcc_start_distccd
  gcc -c t.c -o local.o
  for client in stock_distcc distcc_client; do
    rm -f got.o
    "$client" gcc -c t.c -o /proc/self/fd/1 2>err | cat >got.o
    rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || { cat err; false; }
    [ ! -s err ]
    cmp got.o local.o
  done
  [ "$(compiled_jobs)" -eq 2 ]
  [ "$(ls -A)" = "$(printf '%s\n' distcc-dir err got.o local.o t.c)" ]
}

@test "pump: -MF through a link to a .d with data writes the target and keeps the link, as gcc's cpp does" {
  dcc_start_distccd
  mkdir gcc ours
  for d in gcc ours; do
    cp t.c "$d/"
    mkdir "$d/deps"
    echo old >"$d/deps/real.d"
    ln -s deps/real.d "$d/link.d"
  done
  (cd gcc && gcc -MD -MF link.d -c t.c -o t.o)
  run in_dir ours pump_client gcc -MD -MF link.d -c t.c -o t.o
  [ "$status" -eq 0 ]
  [ "$(grep -c "t.c: compiled, exit 0, pump" "$DAEMON_LOG")" -eq 1 ]
  expected=$(printf '%s\n' "deps/" "deps/real.d: t.o:" "link.d -> deps/real.d" "t.o: ELF object")
  [ "$(layout gcc)" = "$expected" ]
  [ "$(layout ours)" = "$expected" ]
}

@test "pump: -MD names OUTPUT.d, and a link there to a .d elsewhere is written through" {
  dcc_start_distccd
  mkdir obj keep
  echo old >keep/t.d
  ln -s ../keep/t.d obj/t.d
  run pump_client gcc -MD -c t.c -o obj/t.o
  [ "$status" -eq 0 ]
  [ "$(grep -c "t.c: compiled, exit 0, pump" "$DAEMON_LOG")" -eq 1 ]
  [ "$(layout .)" = "$(printf '%s\n' keep/ "keep/t.d: obj/t.o:" obj/ "obj/t.d -> ../keep/t.d" \
    "obj/t.o: ELF object")" ]
}

# Runs "$@" in a private mount namespace whose /dev is a fresh tmpfs holding
# only a null device, then prints what /dev/null is and what /dev holds.
in_private_dev() {
  unshare -m --propagation private bash -c '
    mount -t tmpfs -o mode=0755 private-dev /dev || exit 99
    mknod -m 0666 /dev/null c 1 3 || exit 99
    rc=0
    "$@" || rc=$?
    stat -c "%F %t:%T" /dev/null
    ls -A /dev
    exit "$rc"' private-dev "$@"
}

@test "-o /dev/null as root writes to the device and leaves it a device, as stock does (private /dev)" {
  dcc_need_root
  unshare -m --propagation private true 2>/dev/null || skip "skipped: cannot create a mount namespace here"
  dcc_start_distccd
  for client in /usr/bin/distcc "$DCC_BIN/distcc"; do
    run in_private_dev env DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 \
      "$client" gcc -c t.c -o /dev/null
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf '%s\n' "character special file 1:3" null)" ]
  done
  [ "$(compiled_jobs)" -eq 2 ]
}

@test "-o /dev/null as an unprivileged user succeeds, as gcc and stock do" {
  dcc_start_distccd
  if [ "$(id -u)" -ne 0 ]; then
    # Opening the machine's /dev/null for writing is all a client does.
    for client in gcc /usr/bin/distcc "$DCC_BIN/distcc"; do
      run env DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1 \
        "$client" gcc -c t.c -o /dev/null
      [ "$status" -eq 0 ]
      [ "$output" = "" ]
    done
  else
    unshare -m --propagation private true 2>/dev/null || skip "skipped: cannot create a mount namespace here"
    # Somewhere the unprivileged user can reach and write.
    NOBODY_DIR=$(mktemp -d /tmp/dcc-nobody.XXXXXX)
    chmod 0777 "$NOBODY_DIR"
    mkdir -m 0777 "$NOBODY_DIR/distcc-dir"
    cp t.c "$NOBODY_DIR/"
    # A checkout under /root (0700) is out of the user's reach: run a copy.
    cp "$DCC_BIN/distcc" "$NOBODY_DIR/distcc"
    cd "$NOBODY_DIR"
    # gcc itself first: the same command with no client in front.
    for client in "" /usr/bin/distcc "$NOBODY_DIR/distcc"; do
      run in_private_dev setpriv --reuid=65534 --regid=65534 --clear-groups -- \
        env DISTCC_DIR="$NOBODY_DIR/distcc-dir" DISTCC_HOSTS="127.0.0.1:$DAEMON_PORT" DISTCC_FALLBACK=0 \
        DISTCC_SKIP_LOCAL_RETRY=1 ${client:+"$client"} gcc -c t.c -o /dev/null
      echo "${client:-gcc}: $output" >&2
      [ "$status" -eq 0 ]
      [ "$output" = "$(printf '%s\n' "character special file 1:3" null)" ]
    done
  fi
  [ "$(compiled_jobs)" -eq 2 ]
}
