# nginx on 127.0.0.1 for tests (run as root, like CI). Source after tests/integration/lib.bash,
# then
#
#   start_nginx SERVER_BLOCKS     # the `server { ... }` blocks of the http context
#
# Every path nginx writes (pid, logs, temp) is under $T/nginx; stopped when the test exits.
# Use free_port (tests/servers/ports.bash) for the ports the blocks listen on.
# shellcheck shell=bash

source "$WARD_SOURCE_DIR/tests/servers/ports.bash"

start_nginx() {
  local blocks=$1 d=$T/nginx pid
  require_cmd nginx
  mkdir -p "$d/tmp"
  cat >"$d/nginx.conf" <<CONF
daemon off;
master_process off;
user root;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body; proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fcgi; uwsgi_temp_path $d/tmp/uwsgi; scgi_temp_path $d/tmp/scgi;
$blocks
}
CONF
  nginx -t -q -e "$d/error.log" -c "$d/nginx.conf" || fail "nginx config: $(cat "$d/error.log")"
  nginx -e "$d/error.log" -c "$d/nginx.conf" </dev/null >/dev/null 2>&1 &
  pid=$!
  defer "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  for _ in $(seq 100); do [[ -s $d/nginx.pid ]] && return 0; sleep 0.05; done
  fail "nginx did not start: $(cat "$d/error.log")"
}
