# A small routed network of network namespaces for the multi-host tests:
# one router namespace and, around it, one namespace per machine, each on its
# own /24 of 10.77.0.0/16 (the machine is .2, the router .1). Names carry the
# bats test number and the bats pid, so parallel runs do not collide, and
# everything made here is recorded so net_teardown removes it after a failure.
#
#   net_init                  names the router namespace, creates it, forwards
#   net_add_machine NAME N    a namespace for NAME with address 10.77.N.2
#   net_ns NAME               prints the namespace of machine NAME
#   net_veth NAME             prints the router's end of NAME's link
#   net_start_distccd NAME ARGS...   our distccd on NAME (see below)
#   net_daemon_log NAME       prints the path of that daemon's log
#   net_teardown              stops every daemon by pid, deletes the namespaces

NET_TAG=
NET_ROUTER=
NET_NAMESPACES=()
NET_DAEMON_PIDS=()
NET_DIRS=()
# Loaded from inside a function by bats: -g keeps the maps global. The tests
# read NET_DAEMON_PID and NET_DAEMON_DIR.
# shellcheck disable=SC2034
declare -gA NET_SUBNET=() NET_DAEMON_DIR=() NET_DAEMON_PID=()

net_init() {
  NET_TAG="dc${BATS_TEST_NUMBER}-$$"
  NET_ROUTER="${NET_TAG}-router"
  net_make_ns "$NET_ROUTER"
  ip netns exec "$NET_ROUTER" sysctl -qw net.ipv4.ip_forward=1
}

net_make_ns() {
  ip netns add "$1"
  NET_NAMESPACES+=("$1")
  ip -n "$1" link set lo up
}

net_ns() { echo "${NET_TAG}-$1"; }

# Interface names are at most 15 characters: the tag plus "r" and the subnet.
net_veth() { echo "${NET_TAG}r${NET_SUBNET[$1]}"; }

net_add_machine() {
  local name=$1 n=$2 ns
  ns=$(net_ns "$name")
  net_make_ns "$ns"
  NET_SUBNET[$name]=$n
  # Both ends are created inside their namespaces: nothing lands in ours.
  ip link add "${NET_TAG}r$n" netns "$NET_ROUTER" type veth peer name eth0 netns "$ns"
  ip -n "$NET_ROUTER" addr add "10.77.$n.1/24" dev "${NET_TAG}r$n"
  ip -n "$NET_ROUTER" link set "${NET_TAG}r$n" up
  ip -n "$ns" addr add "10.77.$n.2/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "10.77.$n.1"
}

# Waits up to $3 seconds until something listens on TCP port $2 in namespace $1.
net_wait_port() {
  local ns=$1 port=$2 limit=${3:-10} i
  for ((i = 0; i < limit * 20; i++)); do
    if [ -n "$(ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null)" ]; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $port in $ns after ${limit}s" >&2
  return 1
}

# Starts our distccd in machine NAME's namespace on its 10.77.N.2 address,
# port 3632, in the foreground, bounded by --lifetime, with a whitelist of the
# usual compiler names (world-readable: jobs run as nobody) and a job TMPDIR
# the job user can write. DISTCCD_PATH is passed on when set. Extra arguments
# go to distccd. Sets NET_DAEMON_DIR[NAME] and NET_DAEMON_PID[NAME]; the log
# is $(net_daemon_log NAME).
net_start_distccd() {
  local name=$1 ns dir wl cc pid
  shift
  ns=$(net_ns "$name")
  dir=$(mktemp -d "/tmp/dcc-cluster-$name.XXXXXX")
  NET_DIRS+=("$dir")
  NET_DAEMON_DIR[$name]=$dir
  chmod 0755 "$dir"
  wl="$dir/whitelist"
  mkdir -p "$wl" "$dir/tmp"
  chmod 1777 "$dir/tmp"
  for cc in gcc cc "$(gcc -dumpmachine)-gcc"; do
    ln -s /usr/bin/distcc "$wl/$cc"
  done
  ln -s . "$wl/bin"
  ip netns exec "$ns" env TMPDIR="$dir/tmp" DISTCCD_PATH="${DISTCCD_PATH:-$PATH}" \
    "$DCC_BIN/distccd" --no-detach --daemon --listen "10.77.${NET_SUBNET[$name]}.2" \
    --log-file "$dir/distccd.log" --log-level info --whitelist-dir "$wl" --lifetime 180 "$@" 3>&- &
  pid=$!
  NET_DAEMON_PIDS+=("$pid")
  # shellcheck disable=SC2034 # read by the tests
  NET_DAEMON_PID[$name]=$pid
  net_wait_port "$ns" 3632 10
}

net_daemon_log() { echo "${NET_DAEMON_DIR[$1]}/distccd.log"; }

net_teardown() {
  local pid ns dir
  for pid in "${NET_DAEMON_PIDS[@]}"; do dcc_stop_pid "$pid"; done
  NET_DAEMON_PIDS=()
  for ns in "${NET_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  NET_NAMESPACES=()
  for dir in "${NET_DIRS[@]}"; do rm -rf "$dir"; done
  NET_DIRS=()
}
