# The helpers' toolchain for the benches that replay compiles (bench/scale.sh,
# bench/slowlink.sh). Sourced.
#
#   replay_toolchain REPLAY UNITS TC WL
#     TC/gcc: REPLAY (bench/replay-cc) with the recorded compiles of UNITS
#     (a units.tsv: milliseconds, source, recorded object, ...) packed inside,
#     hard-linked as cc and MACHINE-gcc too (the sandbox lets a job read its
#     compiler's file, not a symlink's target); WL: a distccd whitelist
#     directory naming the three.
replay_toolchain() {
  local replay=$1 units=$2 tc=$3 wl=$4 machine n
  mkdir -p "$tc" "$wl"
  cut -f1-3 "$units" >"$tc.pack.tsv"
  "$replay" --pack "$tc/gcc" "$tc.pack.tsv"
  rm -f "$tc.pack.tsv"
  machine=$(gcc -dumpmachine)
  for n in cc "$machine-gcc"; do ln "$tc/gcc" "$tc/$n"; done
  for n in gcc cc "$machine-gcc"; do ln -s /usr/bin/distcc "$wl/$n"; done
}
