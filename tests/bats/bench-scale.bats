#!/usr/bin/env bats
# bench/replay-cc.c, the simulated helpers' compiler of make bench-scale:
# it must give back the object a real build recorded for the unit a job
# stands for, however the job names it (plain mode's preprocessed temp file,
# pump mode's source under the job's root), after the recorded time.
# D is the file's directory: the replay compiler, its recordings, their tree.

load common

# One replay compiler for the file, its recordings in D ($BATS_FILE_TMPDIR).
setup_file() {
  cd "$BATS_FILE_TMPDIR" || return
  cc -std=gnu11 -O2 -Wall -Wextra -Wshadow -Wformat=2 -Werror -o replay-cc "$DCC_TOP/bench/replay-cc.c"
  mkdir -p tree/src/lib tree/build/lib
  printf 'int one(void) { return 1; }\n' >tree/src/lib/one.c
  printf 'int two(void) { return 2; }\n' >tree/src/lib/two.c
  head -c 7000 /dev/urandom >one.o
  head -c 3000 /dev/urandom >two.o
  head -c 2000 /dev/urandom >other.o
  # Another tree with a two.c too: only the job's directory tells them apart.
  printf '1000\t%s/tree/src/lib/one.c\t%s/one.o\n0\t%s/tree/src/lib/two.c\t%s/two.o\n' \
    "$PWD" "$PWD" "$PWD" "$PWD" >list
  printf '0\t%s/other/src/lib/two.c\t%s/other.o\n' "$PWD" "$PWD" >>list
  ./replay-cc --pack gcc list
}

setup() {
  D=$BATS_FILE_TMPDIR
  cd "$BATS_TEST_TMPDIR" || return
}

@test "a job gets the recorded object byte for byte, after the recorded compile time" {
  cd "$D/tree/build/lib"
  t0=$(date +%s%N)
  REPLAY_CC_VERBOSE=1 run "$D/gcc" -g -O2 -c ../../src/lib/one.c -o "$BATS_TEST_TMPDIR/one.o"
  t1=$(date +%s%N)
  [ "$status" -eq 0 ]
  [ "$output" = "replay-cc: $D/tree/src/lib/one.c 1000 ms 7000 bytes" ]
  cmp "$BATS_TEST_TMPDIR/one.o" "$D/one.o"
  # Never shorter than recorded (a lower bound only: the machine may be slow).
  [ $(((t1 - t0) / 1000000)) -ge 1000 ]
}

@test "a plain-mode job (a file or a pipe) is known by its line markers, a pump job under the job's root" {
  (cd "$D/tree/build/lib" && gcc -g -E ../../src/lib/two.c -o "$BATS_TEST_TMPDIR/job.i")
  REPLAY_CC_VERBOSE=1 run "$D/gcc" -O2 -c job.i -o plain.o
  [ "$status" -eq 0 ]
  [ "$output" = "replay-cc: $D/tree/src/lib/two.c 0 ms 3000 bytes" ]
  cmp plain.o "$D/two.o"
  # Our daemon's early start hands the compiler a pipe it is still filling.
  mkfifo pipe.i
  { sleep 0.2 && cat job.i >pipe.i; } &
  run "$D/gcc" -O2 -c pipe.i -o pipe.o
  wait
  [ "$status" -eq 0 ]
  cmp pipe.o "$D/two.o"
  root="$BATS_TEST_TMPDIR/job/root"
  mkdir -p "$root$D/tree/build/lib" "$root$D/tree/src/lib"
  cp "$D/tree/src/lib/two.c" "$root$D/tree/src/lib/"
  cd "$root$D/tree/build/lib"
  run "$D/gcc" -c ../../src/lib/two.c -o "$BATS_TEST_TMPDIR/pump.o" -MMD -MF "$BATS_TEST_TMPDIR/deps.d" -MQtwo.o
  [ "$status" -eq 0 ]
  cmp "$BATS_TEST_TMPDIR/pump.o" "$D/two.o"
  [ "$(cat "$BATS_TEST_TMPDIR/deps.d")" = "two.o: ../../src/lib/two.c" ]
}

@test "a unit nobody recorded fails, naming it; anything but a compile runs the real gcc" {
  printf 'int three;\n' >three.c
  run "$D/gcc" -c three.c -o three.o
  [ "$status" -eq 1 ]
  [ "$output" = "replay-cc: no recorded compile for $BATS_TEST_TMPDIR/three.c (input three.c)" ]
  [ ! -e three.o ]
  run "$D/gcc" -dumpfullversion
  [ "$status" -eq 0 ]
  [ "$output" = "$(gcc -dumpfullversion)" ]
}
