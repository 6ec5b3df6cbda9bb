# Small pieces the benches share (run.sh, scale.sh, slowlink.sh, busy.sh).
# Sourced.
#
#   now_ns              the time, in nanoseconds
#   median              the median of the numbers on stdin, one per line
#   stop_pids PID...    SIGTERM to each, up to 5 s for it to end, then SIGKILL
#   cgroup_remove DIR SUB...
#                       once the daemons in the cgroups DIR/SUB were stopped:
#                       what is left in them (a job process still ending; all
#                       of it started by the bench) is killed by pid, then
#                       they and DIR go; 1 when they could not

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

cgroup_remove() {
  local dir=$1 sub pid
  shift
  for _ in $(seq 50); do
    rmdir "${@/#/$dir/}" "$dir" 2>/dev/null || true
    [ -d "$dir" ] || return 0
    for sub in "$@"; do
      [ -f "$dir/$sub/cgroup.procs" ] || continue
      while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$dir/$sub/cgroup.procs"
    done
    sleep 0.1
  done
  return 1
}
