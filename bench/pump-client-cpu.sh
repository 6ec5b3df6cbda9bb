#!/usr/bin/env bash
# The client's CPU per job (distcc and everything it starts: cpp in plain
# mode, the include scan in pump mode), plain `,lzo` against pump `,cpp,lzo`,
# on recorded compiles (bench/pump-codebases.sh's records), against one
# distccd of this build on 127.0.0.1. A client's pump jobs share one pump
# directory over the rounds, as a build's do: round 1 fills its caches
# (the compiler's answers, the skeleton and lookup packs, the header
# digests), later rounds find them warm, as most jobs of a build do. Each
# client and mode runs ROUNDS times (default 3);
# one line each: the median and mean CPU per job, then the pump/plain ratio
# of the medians.
# Usage: bench/pump-client-cpu.sh BUILD_DIR RECORD... [-- DISTCC...]
#   DISTCC: clients to compare (default BUILD_DIR/bin/distcc).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$1
shift
recs=() clients=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do recs+=("$1"); shift; done
[ $# -gt 0 ] && shift
clients=("$@")
[ "${#clients[@]}" -gt 0 ] || clients=("$top/$build/bin/distcc")
[ "${#recs[@]}" -gt 0 ] || { echo "usage: $0 BUILD_DIR RECORD... [-- DISTCC...]" >&2; exit 1; }
rounds=${ROUNDS:-3}
work=$(mktemp -d /tmp/pump-client-cpu.XXXXXX)
chmod 0755 "$work"
mkdir -p "$work/wl" "$work/tmp"
chmod 1777 "$work/tmp"
for c in gcc cc "$(gcc -dumpmachine)-gcc"; do ln -s "$(command -v gcc)" "$work/wl/$c"; done
port=$("$top/scripts/free-port.sh")
TMPDIR="$work/tmp" "$top/$build/bin/distccd" --no-detach --daemon --port "$port" --jobs 2 -N 0 \
  --log-file "$work/d.log" --log-level warning --whitelist-dir "$work/wl" --lifetime 3600 \
  --allow 127.0.0.1 &
dpid=$!
trap 'kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
printf '%s\n' "${recs[@]}" >"$work/recs"
for round in $(seq "$rounds"); do
  for client in "${clients[@]}"; do
    for mode in plain pump; do
      python3 - "$work/recs" "$client" "127.0.0.1:$port/2" "$mode" "$work" "$round" <<'PY'
import os, resource, statistics, subprocess, sys
recs, distcc, host, mode, work, rnd = sys.argv[1:7]
env = dict(os.environ, DISTCC_DIR=work + "/dd-" + mode, DISTCC_FALLBACK="0",
           DISTCC_SKIP_LOCAL_RETRY="1")
env.pop("INCLUDE_SERVER_PORT", None)
if mode == "pump":
    pd = "%s/pump-%s" % (work, distcc.replace("/", "_"))
    os.makedirs(pd, exist_ok=True)
    env.update(DISTCC_HOSTS=host + ",cpp,lzo", INCLUDE_SERVER_PORT=pd + "/socket")
else:
    env.update(DISTCC_HOSTS=host + ",lzo")
per = []
for rec in open(recs).read().split():
    f = open(rec, "rb").read().split(b"\0")[:-1]
    cwd, argv = f[0], f[1:]
    args, skip = [], False
    for a in argv[1:]:
        if skip:
            skip = False
            continue
        if a == b"-o":
            skip = True
            continue
        args.append(a)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run([distcc, "gcc"] + args + [b"-o", (work + "/out.o").encode()], cwd=cwd,
                       env=env, stderr=subprocess.PIPE)
    a = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode:
        print("failed:", rec, r.stderr.decode(errors="replace")[-300:], file=sys.stderr)
        continue
    per.append((a.ru_utime - b.ru_utime + a.ru_stime - b.ru_stime) * 1000)
if per:
    print("%s %s %s %d %.2f %.2f" % (rnd, distcc, mode, len(per), statistics.median(per),
                                     statistics.mean(per)))
PY
    done
  done
done >"$work/results"
awk '{printf "round %s %-40s %-5s jobs %d: client CPU per job median %.1f ms, mean %.1f ms\n", $1, $2, $3, $4, $5, $6
      key = $1 " " $2; med[key, $3] = $5; keys[key] = 1}
     END {for (k in keys) if (med[k, "plain"] > 0 && med[k, "pump"] != "")
            printf "round %s: pump/plain %.3f\n", k, med[k, "pump"] / med[k, "plain"]}' "$work/results"
