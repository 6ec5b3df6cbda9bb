# Shared by every bats file: where the built programs are, fresh temp dirs,
# free loopback ports and bounded background servers stopped by pid.

DCC_TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DCC_BUILD="${DCC_BUILD:-$DCC_TOP/build}"
DCC_BIN="$DCC_BUILD/bin"

# A free TCP port on 127.0.0.1 (asks the kernel, then releases it).
dcc_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits up to $2 seconds (default 5) for something to listen on 127.0.0.1:$1.
dcc_wait_port() {
  local port=$1 limit=${2:-5} i
  for ((i = 0; i < limit * 20; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$port after ${limit}s" >&2
  return 1
}

# Kills a pid (and waits briefly) if it is still running.
dcc_stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

dcc_need_root() {
  if [ "$(id -u)" -ne 0 ]; then skip "skipped: needs root"; fi
}
