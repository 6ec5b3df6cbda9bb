#!/usr/bin/env bats
# distccd serving protocol 3 (pump mode), spoken raw with wire_client.py:
# the client's files land under the job's root, the compiler runs in the
# client's directory there, and the object and .d file come back as a local
# compile would make them. Hostile names and links are refused with a reason
# the client prints, and nothing is written outside the job directory.

load common

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-180}

setup() {
  cd "$BATS_TEST_TMPDIR" || return
  # The client's tree: a project with a relative include, and a directory
  # it names with an absolute -I.
  PROJ="$BATS_TEST_TMPDIR/proj"
  EXT="$BATS_TEST_TMPDIR/ext"
  mkdir -p "$PROJ/inc" "$EXT"
  printf '#define A_VALUE 40\nstatic inline int a_twice(int x) { return 2 * x; }\n' >"$PROJ/inc/a.h"
  printf '#define B_VALUE 2\n' >"$EXT/b.h"
  cat >"$PROJ/m.c" <<'EOF'
#include "inc/a.h"
#include <b.h>
const char *where = __FILE__;
int answer(int x) { return a_twice(x) + A_VALUE + B_VALUE; }
EOF
  DAEMON_STDERR="$BATS_TEST_TMPDIR/distccd.stderr"
  : >"$DAEMON_STDERR"
  # Paths outside the job that escape attempts aim at; none may appear.
  ESCAPE_DIR=$(mktemp -d /tmp/dcc-pump-escape.XXXXXX)
  chmod 0777 "$ESCAPE_DIR"
}

teardown() {
  dcc_stop_distccd
  if [ -n "${ESCAPE_DIR:-}" ]; then rm -rf "$ESCAPE_DIR"; fi
}

# ARGC and ARGV pieces for the words given.
argv_pieces() {
  printf 'ARGC%08x\n' "$#"
  local w
  for w in "$@"; do printf 'ARGV:%s\n' "$w"; done
}

# A pump request: CDIR $1, the command in CMD (array), then the file pieces.
pump_request() {
  local cdir=$1
  shift
  local -a args
  mapfile -t args < <(argv_pieces "${CMD[@]}")
  REQUEST=(DIST00000003 "CDIR:$cdir" "${args[@]}" "$@")
}

# NFIL with the count of NAME pieces that follow, then those pieces.
files() {
  local n=0 p
  for p in "$@"; do [[ "$p" == NAME:* ]] && n=$((n + 1)); done
  printf 'NFIL%08x\n' "$n"
  printf '%s\n' "$@"
}

# The pieces for one file: NAME:path FILE@lzo:path (empty files: FILE00000000,
# as the stock client sends them).
file_pieces() {
  local f
  for f in "$@"; do
    echo "NAME:$f"
    if [ -s "$f" ]; then echo "FILE@lzo:$f"; else echo "FILE00000000"; fi
  done
}

assert_nothing_escaped() {
  local left
  left=$(ls -A "$ESCAPE_DIR")
  if [ -n "$left" ]; then
    printf 'written outside the job: %s\n' "$left" >&2
    return 1
  fi
}

# The last transcript is a refusal with exactly this reason, answered in
# SERR with exit 113, and the daemon logged it.
assert_refused() {
  local reason=$1
  assert_job_refused 3 "$reason"
  assert_warnings "warning: refused job from 127.0.0.1: $reason"
  assert_no_job_dirs
  assert_nothing_escaped
  assert_sanitizer_clean
}

# A .d file as one line of words: gcc breaks long lines by their length,
# which on the helper includes the job's root, so only the words compare.
dotd_words() {
  tr -d '\\\n' <"$1" | tr -s ' '
}

# A job log line without its time stamp, pid, time and byte counts.
job_lines() {
  sed -nE 's/^[0-9-]+ [0-9:]+ distccd\[[0-9]+\] notice: (job from .*), [0-9]+ ms, [0-9]+ bytes in, [0-9]+ bytes out$/\1/p' \
    "$DAEMON_LOG"
}

@test "a pump job with a relative and an absolute -I include gives the local object, byte for byte, and its .d" {
  start_daemon
  CMD=(gcc -c -g -O2 "-I$EXT" m.c -o m.o)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/m.c" "$PROJ/inc/a.h" "$EXT/b.h"))
  pump_request "$PROJ" "${pieces[@]}"
  send --save DOTO:remote.o --save DOTD:remote.d "${REQUEST[@]}"

  [ "$status" -eq 0 ]
  [ "${lines[-7]}" = "< DONE00000003" ]
  [ "${lines[-6]}" = "< STAT00000000" ]
  [ "${lines[-5]}" = "< SERR00000000" ]
  [ "${lines[-4]}" = "< SOUT00000000" ]
  [[ "${lines[-3]}" == "< DOTO"*" bytes)" ]]
  [[ "${lines[-2]}" == "< DOTD"* ]]
  [ "${lines[-1]}" = "closed" ]

  (cd "$PROJ" && gcc -c -g -O2 "-I$EXT" m.c -o "$BATS_TEST_TMPDIR/local.o" \
    -MMD -MF "$BATS_TEST_TMPDIR/local.d" -MQ m.o)
  cmp local.o remote.o
  [ "$(dotd_words remote.d)" = "$(dotd_words local.d)" ]
  # Spelled out too, so a .d wrong in the same way on both sides shows.
  [ "$(dotd_words remote.d)" = "m.o: m.c inc/a.h $EXT/b.h" ]
  # __FILE__ and the debug info name the client's directory, never the job's.
  [ "$(grep -c distccd_ remote.o)" -eq 0 ]
  objdump --dwarf=info remote.o | grep -q "DW_AT_comp_dir.*: $PROJ\$"

  [ "$(job_lines)" = "job from 127.0.0.1: gcc m.c: compiled, exit 0, pump" ]
  assert_warnings
  assert_no_job_dirs
  assert_sanitizer_clean
}

@test "a placeholder makes a directory exist that a relative include climbs through; links inside the root work" {
  start_daemon
  mkdir -p "$PROJ/empty" "$PROJ/sub"
  : >"$PROJ/empty/forcing_technique_271828"
  ln -s a.h "$PROJ/inc/alias.h"
  ln -s "$EXT" "$PROJ/extlink"
  cat >"$PROJ/sub/p.c" <<'EOF'
#include "../empty/../inc/alias.h"
#include "../extlink/b.h"
int p(void) { return A_VALUE + B_VALUE; }
EOF
  CMD=(gcc -c sub/p.c -o sub/p.o)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/sub/p.c" "$PROJ/inc/a.h" "$EXT/b.h" \
    "$PROJ/empty/forcing_technique_271828") \
    "NAME:$PROJ/inc/alias.h" LINK:a.h "NAME:$PROJ/extlink" "LINK:$EXT")
  pump_request "$PROJ" "${pieces[@]}"
  send --save DOTO:remote.o --save DOTD:remote.d "${REQUEST[@]}"

  [ "${lines[-6]}" = "< STAT00000000" ]
  (cd "$PROJ" && gcc -c sub/p.c -o "$BATS_TEST_TMPDIR/local.o" -MMD -MF "$BATS_TEST_TMPDIR/local.d" -MQ sub/p.o)
  cmp local.o remote.o
  [ "$(dotd_words remote.d)" = "$(dotd_words local.d)" ]
  [ "$(dotd_words remote.d)" = "sub/p.o: sub/p.c sub/../empty/../inc/alias.h sub/../extlink/b.h" ]
  [ "$(job_lines)" = "job from 127.0.0.1: gcc p.c: compiled, exit 0, pump" ]
  assert_no_job_dirs
  assert_sanitizer_clean
}

@test "a placeholder makes its directory and no file: the compiler does not find it" {
  start_daemon
  mkdir -p "$PROJ/empty"
  : >"$PROJ/empty/forcing_technique_271828"
  printf '#include "empty/../inc/a.h"\n#if __has_include("empty/forcing_technique_271828")\n#error placeholder file made\n#endif\nint v = A_VALUE;\n' >"$PROJ/q.c"
  CMD=(gcc -c q.c -o q.o)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/q.c" "$PROJ/inc/a.h" "$PROJ/empty/forcing_technique_271828"))
  pump_request "$PROJ" "${pieces[@]}"
  send --save DOTO:remote.o "${REQUEST[@]}"
  [ "${lines[-6]}" = "< STAT00000000" ]
  [ -s remote.o ]
  [ "$(job_lines)" = "job from 127.0.0.1: gcc q.c: compiled, exit 0, pump" ]
  assert_no_job_dirs
  assert_sanitizer_clean
}

@test "a placeholder through an earlier LINK to a directory is refused as any NAME is" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  pump_request /src NFIL00000003 NAME:/src/d/a.h "FILE@lzo:$PROJ/inc/a.h" NAME:/src/l LINK:d \
    NAME:/src/l/forcing_technique_271828 FILE00000000
  send "${REQUEST[@]}"
  assert_refused 'NAME "/src/l/forcing_technique_271828" is refused: /src/l is a symbolic link'
}

@test "without the placeholder the directory is missing and the include fails, naming the client's path" {
  start_daemon
  printf '#include "empty/../inc/a.h"\nint v = A_VALUE;\n' >"$PROJ/q.c"
  CMD=(gcc -c q.c -o q.o)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/q.c" "$PROJ/inc/a.h"))
  pump_request "$PROJ" "${pieces[@]}"
  send "${REQUEST[@]}"

  [ "${lines[-6]}" = "< DONE00000003" ]
  [ "${lines[-5]}" = "< STAT00000100" ]
  [[ "${lines[-4]}" == "< SERR"????????" q.c:1:10: fatal error: empty/../inc/a.h: No such file or directory"* ]]
  [ "${lines[-2]}" = "< DOTO00000000 (0 bytes)" ] # and no DOTD: the compile failed
  [ "${lines[-1]}" = "closed" ]
  assert_no_job_dirs
}

@test "a compile error in a header found through an absolute -I is reported with the client's path" {
  start_daemon
  printf '#error boom\n' >"$EXT/b.h"
  CMD=(gcc -c "-I$EXT" m.c -o m.o)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/m.c" "$PROJ/inc/a.h" "$EXT/b.h"))
  pump_request "$PROJ" "${pieces[@]}"
  send --save SERR:serr.txt "${REQUEST[@]}"

  [ "${lines[-5]}" = "< STAT00000100" ]
  [ "${lines[-1]}" = "closed" ]
  grep -qxF "$EXT/b.h:1:2: error: #error boom" serr.txt
  grep -qxF "In file included from m.c:2:" serr.txt
  [ "$(grep -c distccd_ serr.txt)" -eq 0 ]
  [ "$(job_lines)" = "job from 127.0.0.1: gcc m.c: compile failed, exit 1, pump" ]
  assert_no_job_dirs
}

@test "a NAME with a \"..\" component is refused and nothing is written outside" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  evil="/src/../../../../../../../../..$ESCAPE_DIR/evil.h"
  pump_request /src NFIL00000002 NAME:/src/m.c "FILE@lzo:$PROJ/m.c" "NAME:$evil" "FILE@lzo:$EXT/b.h"
  send "${REQUEST[@]}"
  [ ! -e "$ESCAPE_DIR/evil.h" ]
  assert_refused "NAME \"$evil\" is refused: it has a \"..\" component"
}

@test "a relative NAME is refused" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  pump_request /src NFIL00000002 NAME:src/m.c "FILE@lzo:$PROJ/m.c" NAME:/src/b.h "FILE@lzo:$EXT/b.h"
  send "${REQUEST[@]}"
  assert_refused 'NAME "src/m.c" is refused: it is not an absolute path'
}

@test "a NAME with an empty component is refused, not collapsed" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  pump_request /src NFIL00000001 NAME:/src//m.c "FILE@lzo:$PROJ/m.c"
  send "${REQUEST[@]}"
  assert_refused 'NAME "/src//m.c" is refused: it has an empty component ("//" or a trailing "/")'
}

@test "a NAME through an earlier LINK to a directory is refused: writes never follow links" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  pump_request /src NFIL00000003 NAME:/src/d/a.h "FILE@lzo:$PROJ/inc/a.h" NAME:/src/l LINK:d \
    NAME:/src/l/evil.h "FILE@lzo:$EXT/b.h"
  send "${REQUEST[@]}"
  assert_refused 'NAME "/src/l/evil.h" is refused: /src/l is a symbolic link'
}

@test "a LINK whose relative target climbs out of the root is refused" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  target="../../../../../../../../../..$ESCAPE_DIR"
  pump_request /src NFIL00000002 NAME:/src/out "LINK:$target" NAME:/src/out/evil.h "FILE@lzo:$EXT/b.h"
  send "${REQUEST[@]}"
  [ ! -e "$ESCAPE_DIR/evil.h" ]
  assert_refused "LINK \"/src/out\" -> \"$target\" is refused: its target climbs out of the job's root"
}

@test "an absolute LINK target that climbs above / is refused" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  pump_request /src NFIL00000001 NAME:/src/out "LINK:/..$ESCAPE_DIR"
  send "${REQUEST[@]}"
  assert_refused "LINK \"/src/out\" -> \"/..$ESCAPE_DIR\" is refused: its target climbs out of the job's root"
}

@test "a NAME sent twice is refused" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  pump_request /src NFIL00000002 NAME:/src/m.c "FILE@lzo:$PROJ/m.c" NAME:/src/m.c "FILE@lzo:$EXT/b.h"
  send "${REQUEST[@]}"
  assert_refused 'NAME "/src/m.c" is refused: it was sent twice'
}

@test "a CDIR with \"..\" is refused" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  pump_request /src/.. NFIL00000001 NAME:/src/m.c "FILE@lzo:$PROJ/m.c"
  send "${REQUEST[@]}"
  assert_refused 'CDIR "/src/.." is refused: it has a ".." component'
}

@test "files that add up to more than --max-body-size are refused, though each one fits" {
  start_daemon --max-body-size 1K
  head -c 700 /dev/urandom | base64 -w 0 | head -c 700 >big1.h
  cp big1.h big2.h
  CMD=(gcc -c m.c -o m.o)
  pump_request /src NFIL00000003 NAME:/src/big1.h FILE@lzo:big1.h NAME:/src/big2.h FILE@lzo:big2.h \
    NAME:/src/m.c "FILE@lzo:$PROJ/m.c"
  send "${REQUEST[@]}"
  assert_refused 'NAME "/src/big2.h" is refused: the job'"'"'s files, names and links add up to more than the limit of 1024 bytes (--max-body-size)'
}

@test "names count toward --max-body-size too: many empty files under long names are refused" {
  start_daemon --max-body-size 1K
  CMD=(gcc -c m.c -o m.o)
  local -a pieces=()
  local i name
  for i in $(seq 10 21); do
    # 100 bytes each: the eleventh name takes the job over 1024 bytes
    name="/src/$i-$(printf 'n%.0s' $(seq 92))"
    pieces+=("NAME:$name" FILE00000000)
  done
  mapfile -t pieces < <(files "${pieces[@]}" NAME:/src/m.c "FILE@lzo:$PROJ/m.c")
  pump_request /src "${pieces[@]}"
  send "${REQUEST[@]}"
  assert_refused "NAME \"/src/20-$(printf 'n%.0s' $(seq 92))\" is refused: the job's files, names and links add up to more than the limit of 1024 bytes (--max-body-size)"
}

@test "a chain of links that passes the lexical check but leads out of the root is refused before the compiler runs" {
  start_daemon
  # s is the root itself; t climbs four more levels through it: from the
  # link's directory alone neither leaves the root. The compiler, in
  # root/src, would write its -fopt-info file through t (4 levels above
  # the root is /tmp, where ESCAPE_DIR is).
  CMD=(gcc -c m.c -o m.o -O2 "-fopt-info-all=a/b/c/t/${ESCAPE_DIR#/tmp/}/pwned")
  pump_request /src NFIL00000003 NAME:/src/m.c "FILE@lzo:$PROJ/m.c" \
    NAME:/src/a/b/c/s LINK:../../../.. NAME:/src/a/b/c/t LINK:s/../../../..
  send "${REQUEST[@]}"
  [ ! -e "$ESCAPE_DIR/pwned" ]
  assert_refused 'LINK "/src/a/b/c/t" -> "s/../../../.." is refused: it leads out of the job'"'"'s root through other links'
}

@test "a link chain that leads out and then names something missing is refused, not taken for dangling" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  pump_request /src NFIL00000003 NAME:/src/m.c "FILE@lzo:$PROJ/m.c" \
    NAME:/src/a/b/c/s LINK:../../../.. NAME:/src/a/b/c/u LINK:s/../no-such-dir/x.h
  send "${REQUEST[@]}"
  assert_refused 'LINK "/src/a/b/c/u" -> "s/../no-such-dir/x.h" is refused: it leads out of the job'"'"'s root through other links'
}

@test "a dangling link that stays inside the root is kept, and the compile works" {
  start_daemon
  CMD=(gcc -c m.c -o m.o "-I$EXT")
  mapfile -t pieces < <(files $(file_pieces "$PROJ/m.c" "$PROJ/inc/a.h" "$EXT/b.h") \
    "NAME:$PROJ/inc/gone.h" LINK:no-such.h "NAME:$PROJ/abs" "LINK:$EXT/b.h")
  pump_request "$PROJ" "${pieces[@]}"
  send "${REQUEST[@]}"
  [ "${lines[-6]}" = "< STAT00000000" ]
  assert_warnings
  assert_no_job_dirs
  assert_sanitizer_clean
}

# A NAME of $1 components: /$2/d/d/.../f
deep_name() {
  local name="/$2" i
  for ((i = 2; i < $1; i++)); do name+=/d; done
  printf '%s/f' "$name"
}

@test "a NAME with more than 64 components is refused" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  name=$(deep_name 65 src)
  pump_request /src NFIL00000002 NAME:/src/m.c "FILE@lzo:$PROJ/m.c" "NAME:$name" FILE00000000
  send "${REQUEST[@]}"
  assert_refused "NAME \"$name\" is refused: it has more than 64 components"
}

@test "a job that would make more than 4096 directories is refused" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  # 63 new directories for each name: the 66th needs the 4096th and 4097th
  local -a pieces=(NAME:/src/m.c "FILE@lzo:$PROJ/m.c")
  local i
  for i in $(seq 10 75); do pieces+=("NAME:$(deep_name 64 "n$i")" FILE00000000); done
  mapfile -t pieces < <(files "${pieces[@]}")
  pump_request /src "${pieces[@]}"
  # The reply comes at once; the connection closes once the 4096
  # directories are removed, which under ASan on a loaded 2-core machine
  # took more than the usual 10 s.
  send --timeout 60 "${REQUEST[@]}"
  assert_refused "NAME \"$(deep_name 64 n75)\" is refused: the job's files would need more than 4096 directories"
}

@test "a NAME too long with the job's root in front is refused" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  # 15 components of 255 bytes and one to make 4094 bytes: fine as sent,
  # too long under any job root
  local name='' i
  for i in $(seq 15); do name+=/$(printf 'x%.0s' $(seq 255)); done
  name+=/$(printf 'y%.0s' $(seq 253))
  [ "${#name}" -eq 4094 ]
  pump_request /src NFIL00000002 NAME:/src/m.c "FILE@lzo:$PROJ/m.c" "NAME:$name" FILE00000000
  send "${REQUEST[@]}"
  assert_refused "NAME \"${name:0:300}\" is refused: it is too long inside the job directory"
}

@test "a tree 61 levels deep is removed by a daemon limited to 64 open files" {
  local soft
  soft=$(ulimit -Sn)
  ulimit -Sn 64 # the daemon and its jobs inherit it
  start_daemon
  ulimit -Sn "$soft"
  printf 'int s;\n' >s.c
  CMD=(gcc -c s.c -o s.o)
  pump_request /src NFIL00000002 NAME:/src/s.c FILE@lzo:s.c "NAME:$(deep_name 61 deep)" FILE00000000
  send "${REQUEST[@]}"
  [ "${lines[-6]}" = "< STAT00000000" ]
  # The accept loop raises its own limit for its connections; the process
  # that served the job (a worker, kept for the next jobs) had the 64.
  local w n=0
  for w in $(pgrep -P "$DAEMON_PID"); do
    [ "$(awk '/^Max open files/ { print $4 }' "/proc/$w/limits")" -eq 64 ]
    n=$((n + 1))
  done
  [ "$n" -ge 1 ]
  assert_warnings
  assert_no_job_dirs
  assert_sanitizer_clean
}

@test "NFIL over the limit of 65536 is a bad request: the daemon hangs up at once" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  pump_request /src NFIL00010001
  send "${REQUEST[@]}"
  assert_hung_up_silently
  assert_warnings 'warning: bad request from 127.0.0.1: NFIL 65537 exceeds the limit of 65536'
  assert_no_job_dirs
}

@test "arguments refused in pump mode as in plain mode; an absolute -include is re-rooted and allowed" {
  start_daemon
  printf 'int main_value = 1;\n' >"$EXT/pre.h"
  printf 'int v(void) { return main_value; }\n' >"$PROJ/v.c"
  CMD=(gcc -c -include "$EXT/pre.h" v.c -o v.o)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/v.c" "$EXT/pre.h"))
  pump_request "$PROJ" "${pieces[@]}"
  send --save DOTO:remote.o "${REQUEST[@]}"
  [ "${lines[-6]}" = "< STAT00000000" ]
  (cd "$PROJ" && gcc -c -include "$EXT/pre.h" v.c -o "$BATS_TEST_TMPDIR/local.o")
  cmp local.o remote.o

  : >"$DAEMON_LOG"
  CMD=(gcc -c -fplugin=/tmp/x.so v.c -o v.o)
  pump_request "$PROJ" "${pieces[@]}"
  send "${REQUEST[@]}"
  assert_refused 'option "-fplugin=/tmp/x.so" is not allowed on this helper: it loads a plugin into the compiler'
}

# gcc reads any word that starts with '@' as a response file. The target the
# helper adds for the .d comes from the client's -o, so it must not become a
# word of its own: here it would read "opts", a file the client sent, and run
# the -wrapper in it.
@test "an -o of @FILE cannot make the helper read a response file from the job" {
  start_daemon
  printf -- '-wrapper /bin/sh,-c,touch\\ %s/PWNED\n' "$ESCAPE_DIR" >"$PROJ/opts"
  printf 'int x;\n' >"$PROJ/t.c"
  CMD=(gcc -c t.c -o@opts)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/t.c" "$PROJ/opts"))
  pump_request "$PROJ" "${pieces[@]}"
  send "${REQUEST[@]}"
  assert_refused "option \"-o@opts\" is not allowed on this helper: a response file would be read from the helper's disk"
}

@test "with -Wp,-MD a source named @x.c cannot make the helper read a response file either" {
  start_daemon
  mkdir -p "$PROJ/sub"
  printf -- '-wrapper /bin/sh,-c,touch\\ %s/PWNED\n' "$ESCAPE_DIR" >"$PROJ/x.o"
  printf 'int x;\n' >"$PROJ/sub/@x.c"
  CMD=(gcc -Wp,-MD,d.d -c sub/@x.c -o out.o)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/sub/@x.c" "$PROJ/x.o"))
  pump_request "$PROJ" "${pieces[@]}"
  send "${REQUEST[@]}"
  assert_refused 'the dependency target "@x.o" would be read by gcc as a response file'
}

# Stock distcc's include server sends, with every job, a link per default
# include directory of the client's compiler ("/usr/include" ->
# "../../(22 times)usr/include"), so that -I options under those directories
# name the helper's own copies. The helper makes no such link (nothing in
# a job may point out of it) and leaves those options un-rerooted.
@test "a stock client's link to a default include directory: -I under it names the helper's own directory" {
  start_daemon
  printf '#include "version.h"\nint v = LINUX_VERSION_CODE;\n' >"$PROJ/v.c"
  CMD=(gcc -c -I/usr/include/linux v.c -o v.o)
  up=$(printf '../%.0s' $(seq 22))
  mapfile -t pieces < <(files NAME:/usr/include "LINK:${up}usr/include" $(file_pieces "$PROJ/v.c"))
  pump_request "$PROJ" "${pieces[@]}"
  send --save DOTO:remote.o "${REQUEST[@]}"
  [ "$status" -eq 0 ]
  [ "${lines[-6]}" = "< STAT00000000" ]
  (cd "$PROJ" && gcc -c -I/usr/include/linux v.c -o "$BATS_TEST_TMPDIR/local.o")
  cmp local.o remote.o
  assert_warnings
  assert_no_job_dirs
}

@test "without that link the same -I is re-rooted and the header is not found" {
  start_daemon
  printf '#include "version.h"\nint v = LINUX_VERSION_CODE;\n' >"$PROJ/v.c"
  CMD=(gcc -c -I/usr/include/linux v.c -o v.o)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/v.c"))
  pump_request "$PROJ" "${pieces[@]}"
  send "${REQUEST[@]}"
  [ "$status" -eq 0 ]
  [ "${lines[-5]}" = "< STAT00000100" ]
  [[ "${lines[-4]}" == *"version.h: No such file or directory"* ]]
  assert_no_job_dirs
}

@test "the same link shape outside /usr is still refused" {
  start_daemon
  CMD=(gcc -c m.c -o m.o)
  up=$(printf '../%.0s' $(seq 22))
  pump_request /src NFIL00000001 NAME:/etc "LINK:${up}etc"
  send "${REQUEST[@]}"
  assert_refused "LINK \"/etc\" -> \"${up}etc\" is refused: its target climbs out of the job's root"
}

@test "a job TMPDIR reached through a symlink and spelled with a trailing slash still gives the local object with -g" {
  DAEMON_TMP_VIA_LINK=1 start_daemon
  CMD=(gcc -c -g -O2 "-I$EXT" m.c -o m.o)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/m.c" "$PROJ/inc/a.h" "$EXT/b.h"))
  pump_request "$PROJ" "${pieces[@]}"
  send --save DOTO:remote.o "${REQUEST[@]}"
  [ "$status" -eq 0 ]
  [ "${lines[-6]}" = "< STAT00000000" ]
  (cd "$PROJ" && gcc -c -g -O2 "-I$EXT" m.c -o "$BATS_TEST_TMPDIR/local.o")
  cmp local.o remote.o
  [ "$(grep -c distccd_ remote.o)" -eq 0 ]
  assert_no_job_dirs
}

@test "a job whose working directory is / gets comp_dir / in its debug info, as a local build there" {
  start_daemon
  CMD=(gcc -c -g "$PROJ/m.c" -I "$EXT" -o /tmp/m.o)
  mapfile -t pieces < <(files $(file_pieces "$PROJ/m.c" "$PROJ/inc/a.h" "$EXT/b.h"))
  pump_request / "${pieces[@]}"
  send --save DOTO:remote.o "${REQUEST[@]}"
  [ "$status" -eq 0 ]
  [ "${lines[-6]}" = "< STAT00000000" ]
  (cd / && gcc -c -g "$PROJ/m.c" -I "$EXT" -o "$BATS_TEST_TMPDIR/local.o")
  [ "$(objdump --dwarf=info remote.o | grep DW_AT_comp_dir)" = "$(objdump --dwarf=info local.o | grep DW_AT_comp_dir)" ]
  objdump --dwarf=info remote.o | grep -q 'DW_AT_comp_dir.*: /$'
  # Not byte-identical: gcc 12 does not remap entry 0 of the DWARF 5 line
  # table's directories when the working directory is exactly the mapped one.
  assert_no_job_dirs
}
