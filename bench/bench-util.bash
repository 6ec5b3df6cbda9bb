# Small pieces the benches share (run.sh, scale.sh, slowlink.sh, busy.sh).
# Sourced.
#
#   now_ns              the time, in nanoseconds
#   median              the median of the numbers on stdin, one per line
#   stop_pids PID...    SIGTERM to each, up to 5 s for it to end, then SIGKILL

now_ns() { date +%s%N; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

stop_pids() {
  local pid
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
