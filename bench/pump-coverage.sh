#!/usr/bin/env bash
# Pump mode's coverage on a real code base: for each recorded compile,
# `distcc --scan-includes` says whether the unit would go in pump mode (and
# why not) and how much CPU the scan took; with PUMP_COVERAGE_CHECK=1 every
# accepted unit is also checked against gcc's own dependency list (every
# header gcc reads outside the compiler's directories must be in the scan's
# list). Usage: bench/pump-coverage.sh DISTCC NAME RECORD...
#   RECORD: a file holding the compile's directory then its argv (compiler
#   first), each ending in a NUL byte.
# Prints one summary block; PUMP_COVERAGE_LOG names a file for per-unit lines;
# PUMP_COVERAGE_LISTS names a directory that gets each unit's scan output
# (unit-N, N the record's place on the command line), to compare two clients'
# file lists.
set -euo pipefail
distcc=$1 name=$2
shift 2
check=${PUMP_COVERAGE_CHECK:-0}
log=${PUMP_COVERAGE_LOG:-/dev/null}
lists=${PUMP_COVERAGE_LISTS:-}
[ -z "$lists" ] || mkdir -p "$lists"
work=$(mktemp -d /tmp/pump-coverage.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The scans share one pump directory, as the jobs of one build do (so the
# later ones take the headers' skeletons from the pack the earlier ones made).
export INCLUDE_SERVER_PORT="$work/socket"
# cpu_ms OUT CMD...: runs CMD, writes its CPU (user + system, with its
# children) in ms to OUT; exits as CMD does. GNU time only counts 10 ms.
cpu_ms() {
  python3 -c 'import resource, subprocess, sys
def cpu():  # a launcher in front of python3 (pyenv) may have counted already
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (u.ru_utime + u.ru_stime) * 1000
t = cpu()
r = subprocess.run(sys.argv[2:]).returncode
open(sys.argv[1], "w").write("%.2f\n" % (cpu() - t))
sys.exit(r)' "$@"
}
# What starting the client costs (exec, loading its libraries), without a
# scan: the median of 21 runs of distcc --version.
for _ in $(seq 21); do cpu_ms "$work/t" "$distcc" --version >/dev/null && cat "$work/t"; done >"$work/start"

: >"$log"
total=0 ok=0 missing=0 checked=0
: >"$work/why"
: >"$work/cpu"
for rec in "$@"; do
  mapfile -d '' -t f <"$rec"
  [ "${#f[@]}" -ge 3 ] || continue
  dir=${f[0]}
  argv=("${f[@]:1}")
  total=$((total + 1))
  if (cd "$dir" && cpu_ms "$work/t" "$distcc" --scan-includes "${argv[@]}" \
    >"$work/out" 2>"$work/err"); then
    ok=$((ok + 1))
    cat "$work/t" >>"$work/cpu"
    [ -z "$lists" ] || cp "$work/out" "$lists/unit-$total"
    verdict=pump
    if [ "$check" = 1 ]; then
      # gcc's own list: -M on top of the job's options (the last -MF wins)
      cpp=()
      skip=0
      for a in "${argv[@]}"; do
        if [ "$skip" = 1 ]; then skip=0; continue; fi
        case $a in -o | -MF | -MT | -MQ) skip=1 ;; -o?* | -Wp,-M* | -MD | -MMD | -MP) ;; *) cpp+=("$a") ;; esac
      done
      rm -f "$work/deps"
      if (cd "$dir" && "${cpp[@]}" -E -o /dev/null -MD -MF "$work/deps" 2>/dev/null) && [ -s "$work/deps" ]; then
        checked=$((checked + 1))
        sed -e 's/\\$//' -e 's/^[^:]*://' "$work/deps" | tr ' ' '\n' | sed '/^$/d' |
          (cd "$dir" && xargs -r realpath -m) | sort -u >"$work/gcc-files"
        awk '$1 == "FILE" {print $2}' "$work/out" | xargs -r realpath -m | sort -u >"$work/scan-files"
        sys=$(awk '$1 == "SYSTEMDIR" {printf "%s%s", sep, $2; sep = "|"}' "$work/out")
        lost=$(comm -23 "$work/gcc-files" "$work/scan-files" |
          { if [ -n "$sys" ]; then grep -Ev "^($sys)/" || true; else cat; fi })
        if [ -n "$lost" ]; then
          missing=$((missing + 1))
          verdict="MISSING $(echo "$lost" | head -3 | tr '\n' ' ')"
        fi
      fi
    fi
  else
    why=$(sed -n 's/.*pump mode would not be used for [^:]*: //p' "$work/err" | tail -1)
    [ -n "$why" ] || why=$(tail -1 "$work/err")
    echo "$why" >>"$work/why"
    verdict="plain: $why"
  fi
  printf '%s\t%s\n' "$(cd "$dir" && realpath -m "${argv[-1]}" 2>/dev/null || echo "$rec")" "$verdict" >>"$log"
done
[ "$total" -gt 0 ] || { echo "$name: no recorded compiles"; exit 1; }
median_of() { sort -n "$1" | awk '{a[NR]=$1} END {if (!NR) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
median=$(median_of "$work/cpu")
start=$(median_of "$work/start")
mean=$(awk '{s+=$1} END {if (NR) printf "%.1f", s/NR; else print "-"}' "$work/cpu")
printf '%s: %d of %d units in pump mode (%.1f%%); scan CPU per unit (distcc --scan-includes, ms): median %s, mean %s\n' \
  "$name" "$ok" "$total" "$(awk -v a="$ok" -v b="$total" 'BEGIN {print 100 * a / b}')" "$median" "$mean"
awk -v m="$median" -v s="$start" -v n="$name" 'BEGIN { if (m != "-")
  printf "%s: scanner time per unit (the median above less the client'"'"'s start-up, %.1f ms): %.1f ms\n", n, s, m - s }'
if [ -n "$(find "$work" -maxdepth 1 -name 'skeletons-*' -print -quit)" ]; then
  echo "$name: skeleton pack at the end: $(du -ck "$work"/skeletons-* | tail -1 | cut -f1) KiB"
fi
if [ "$check" = 1 ]; then
  echo "$name: $checked accepted units checked against gcc's dependency list (the others do not preprocess here); the scan missed a header gcc reads in $missing"
fi
# the reasons, without their file:line
if [ -s "$work/why" ]; then
  echo "$name: why the others did not:"
  sed -E 's/^[^ :]+:[0-9]+: //' "$work/why" | sort | uniq -c | sort -rn | head -5 | sed 's/^/  /'
fi
