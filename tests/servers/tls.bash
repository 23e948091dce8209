# TLS servers for tests: `openssl s_server` on 127.0.0.1, each on a free port, stopped when the
# test exits. Source after tests/integration/lib.bash (and tests/servers/pki.bash), then
#
#   start_tls_server NAME [s_server args...]     # e.g. -cert "$P/server.pem" -key "$P/server.key"
#   port=${TLS_PORT[NAME]}
#
# s_server answers one connection at a time; with -www it serves a status page for any GET.
# Debian's OpenSSL 3.0 negotiates TLS 1.0/1.1, NULL or anonymous suites only at security
# level 0 on both sides: pass -cipher 'DEFAULT@SECLEVEL=0' (or a narrower list) for those.
# shellcheck shell=bash

source "$WARD_SOURCE_DIR/tests/servers/ports.bash"

declare -gA TLS_PORT=()

start_tls_server() {
  local name=$1 port pid
  shift
  require_cmd openssl python3
  mkdir -p "$T/tls"
  port=$(free_port)
  openssl s_server -accept "127.0.0.1:$port" -www -quiet "$@" \
    </dev/null >"$T/tls/$name.log" 2>&1 &
  pid=$!
  defer "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  wait_port "$port" || fail "s_server '$name' did not start on port $port: $(cat "$T/tls/$name.log")"
  TLS_PORT[$name]=$port
}
