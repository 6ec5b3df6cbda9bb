#!/usr/bin/env bash
# Prints COUNT (default 1) distinct TCP ports that no socket on this machine
# uses, one a line: for make demo and the tests, with nothing but bash and the
# kernel's socket tables (no Python, nothing to build).
#   free-port.sh [COUNT [FIRST-LAST]]
# A port is drawn at random below the kernel's ephemeral range, so an
# outgoing connection cannot take it before the caller binds it, and is
# skipped when /proc/net/tcp or tcp6 lists it in any state (listening,
# connected or TIME_WAIT). FIRST-LAST draws from that range instead.
set -euo pipefail

count=${1:-1}
if ! [[ $count =~ ^[1-9][0-9]?$ ]]; then
  echo "free-port.sh: COUNT must be a number from 1 to 99, not \"$count\"" >&2
  exit 2
fi
range=${2:-}
if [ -n "$range" ] && ! [[ $range =~ ^([1-9][0-9]{0,4})-([1-9][0-9]{0,4})$ &&
  ${BASH_REMATCH[1]} -le ${BASH_REMATCH[2]} && ${BASH_REMATCH[2]} -le 65535 ]]; then
  echo "free-port.sh: the range must be FIRST-LAST within 1-65535, not \"$range\"" >&2
  exit 2
fi
if [ ! -r /proc/net/tcp ]; then
  echo "free-port.sh: cannot read /proc/net/tcp (is /proc mounted?)" >&2
  exit 1
fi

declare -A taken=()
for table in /proc/net/tcp /proc/net/tcp6; do
  [ -r "$table" ] || continue
  # "sl local_address rem_address st ...": the port is the hex after the
  # last colon of local_address.
  while read -r _ local _; do
    hex=${local##*:}
    [[ $hex =~ ^[0-9A-F]{4}$ ]] && taken[$((16#$hex))]=1
  done <"$table"
done

# Below the ephemeral range when it leaves room there, else above it, else
# anywhere unprivileged.
low=32768 high=60999
if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
  read -r low high </proc/sys/net/ipv4/ip_local_port_range
fi
if [ -n "$range" ]; then
  first=${range%-*} size=$((${range#*-} - ${range%-*} + 1))
elif [ "$low" -gt 11024 ]; then
  first=$((low - 10000)) size=10000
elif [ "$high" -lt 55535 ]; then
  first=$((high + 1)) size=10000
else
  first=1024 size=64512
fi

printed=0
for ((try = 0; try < 10000 && printed < count; try++)); do
  port=$((first + (RANDOM * 32768 + RANDOM) % size))
  [ -n "${taken[$port]:-}" ] && continue
  taken[$port]=1
  echo "$port"
  printed=$((printed + 1))
done
if [ "$printed" -lt "$count" ]; then
  echo "free-port.sh: only $printed of the $count ports asked for are free" >&2
  exit 1
fi
