# bench/scale.sh's simulated LAN: a switch (a bridge in its own network
# namespace) with the client's namespace and one namespace per helper on it,
# each joined by a veth pair whose two ends are shaped to the LAN's rate
# (tbf) and one-way delay (netem, where the kernel has it). Sourced; every
# namespace made is recorded so scale_net_teardown removes it after a failure.
#
#   scale_net_init TAG        the switch namespace; names start with TAG
#   scale_net_add NAME ADDR   namespace TAG-NAME on port NAME, address ADDR/16
#   scale_net_shape RATE DELAY  shapes every link (RATE for tc, e.g. 1gbit;
#                             DELAY one way per hop, e.g. 50us, or 0)
#   scale_net_ns NAME         prints the namespace of NAME
#   scale_net_teardown        deletes every namespace made

SCALE_NET_TAG=
SCALE_NET_NS=()
SCALE_NET_PORTS=()
SCALE_NET_NETEM=
# Read by the caller's report.
# shellcheck disable=SC2034
SCALE_NET_NETEM_WHY=

scale_net_ns() { echo "$SCALE_NET_TAG-$1"; }

scale_net_make_ns() {
  ip netns add "$1"
  SCALE_NET_NS+=("$1")
  ip -n "$1" link set lo up
}

scale_net_init() {
  SCALE_NET_TAG=$1
  local sw
  sw=$(scale_net_ns sw)
  scale_net_make_ns "$sw"
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  # netem is a module some kernels lack; without it the links get no delay.
  if ip netns exec "$sw" tc qdisc add dev lo root netem delay 1us 2>/dev/null; then
    ip netns exec "$sw" tc qdisc del dev lo root
    SCALE_NET_NETEM=1
  else
    SCALE_NET_NETEM=
    # shellcheck disable=SC2034
    SCALE_NET_NETEM_WHY="this kernel has no netem qdisc (sch_netem)"
  fi
}

# Interface names are the port's name in the switch ("p-NAME") and eth0 in
# the machine's namespace: both ends made in place, nothing in ours.
scale_net_add() {
  local name=$1 addr=$2 sw ns
  sw=$(scale_net_ns sw)
  ns=$(scale_net_ns "$name")
  scale_net_make_ns "$ns"
  ip link add "p-$name" netns "$sw" type veth peer name eth0 netns "$ns"
  ip -n "$sw" link set "p-$name" master br0 up
  ip -n "$ns" addr add "$addr/16" dev eth0
  ip -n "$ns" link set eth0 up
  SCALE_NET_PORTS+=("$name")
}

# One egress queue: tbf for the rate (a burst of 1 ms of traffic, at least
# one 64 KiB GSO segment), under netem for the delay when there is netem.
scale_net_shape_dev() {
  local ns=$1 dev=$2 rate=$3 delay=$4 bits burst
  bits=$(tc_rate_bits "$rate")
  burst=$((bits / 8 / 1000))
  [ "$burst" -ge 65536 ] || burst=65536
  ip netns exec "$ns" tc qdisc del dev "$dev" root 2>/dev/null || true
  if [ -n "$SCALE_NET_NETEM" ] && [ "$delay" != 0 ]; then
    ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: netem delay "$delay" limit 10000
    ip netns exec "$ns" tc qdisc add dev "$dev" parent 1:1 handle 10: tbf rate "$rate" burst "$burst" latency 20ms
  else
    ip netns exec "$ns" tc qdisc add dev "$dev" root tbf rate "$rate" burst "$burst" latency 20ms
  fi
}

# "1gbit", "100mbit", "10kbit" in bits per second.
tc_rate_bits() {
  local r=${1,,}
  case $r in
    *gbit) echo $((${r%gbit} * 1000000000)) ;;
    *mbit) echo $((${r%mbit} * 1000000)) ;;
    *kbit) echo $((${r%kbit} * 1000)) ;;
    *) echo "$r" ;;
  esac
}

scale_net_shape() {
  local rate=$1 delay=$2 name sw
  sw=$(scale_net_ns sw)
  for name in "${SCALE_NET_PORTS[@]}"; do
    scale_net_shape_dev "$sw" "p-$name" "$rate" "$delay"
    scale_net_shape_dev "$(scale_net_ns "$name")" eth0 "$rate" "$delay"
  done
}

scale_net_teardown() {
  local ns
  for ns in "${SCALE_NET_NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  SCALE_NET_NS=()
  SCALE_NET_PORTS=()
}
