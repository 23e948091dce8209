# Port helpers for server fixtures. Sourced by the fixtures that need them.
# shellcheck shell=bash

# free_port: a TCP port on 127.0.0.1 nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT [TRIES]: until something accepts connections on 127.0.0.1:PORT (50 ms apart).
wait_port() {
  local port=$1 tries=${2:-100} i
  for ((i = 0; i < tries; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}
