# A throwaway MariaDB server on 127.0.0.1 for tests (run as root, like CI). Source after
# tests/integration/lib.bash, then
#
#   start_mariadb PKI_DIR        # TLS with PKI_DIR/server.{pem,key}, CA PKI_DIR/ca.pem
#   start_mariadb ''             # no TLS at all
#
# Sets MARIADB_PORT; user app, password app-pw-1, from any host. The data directory lives outside $T (the mysql user cannot enter the
# test's private directory) and is removed, with the server stopped, when the test exits.
# shellcheck shell=bash

source "$WARD_SOURCE_DIR/tests/servers/ports.bash"

start_mariadb() {
  local pki=$1 dir pid
  require_cmd mariadbd mariadb-install-db
  dir=$(mktemp -d /tmp/ward-mariadb.XXXXXX)
  chown mysql:mysql "$dir"
  chmod 700 "$dir"
  MARIADB_PORT=$(free_port)
  # The test's TMPDIR is inside $T, where the mysql user cannot write.
  install -d -o mysql -g mysql -m 700 "$dir/tmp"
  TMPDIR=$dir/tmp mariadb-install-db --no-defaults --user=mysql --datadir="$dir/data" --skip-test-db \
    --auth-root-authentication-method=socket >"$dir/install.log" 2>&1 ||
    fail "mariadb-install-db failed: $(cat "$dir/install.log")"
  local tls=()
  if [[ -n $pki ]]; then
    install -o mysql -g mysql -m 600 "$pki/server.pem" "$dir/server.pem"
    install -o mysql -g mysql -m 600 "$pki/server.key" "$dir/server.key"
    install -o mysql -g mysql -m 644 "$pki/ca.pem" "$dir/ca.pem"
    tls=(--ssl-cert="$dir/server.pem" --ssl-key="$dir/server.key" --ssl-ca="$dir/ca.pem")
  fi
  TMPDIR=$dir/tmp mariadbd --no-defaults --user=mysql --datadir="$dir/data" --tmpdir="$dir/tmp" \
    --socket="$dir/sock" \
    --port="$MARIADB_PORT" --bind-address=127.0.0.1 --pid-file="$dir/mariadb.pid" \
    --log-error="$dir/error.log" --skip-name-resolve --innodb-buffer-pool-size=16M \
    "${tls[@]}" </dev/null >/dev/null 2>&1 &
  pid=$!
  defer "kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf '$dir'"
  wait_port "$MARIADB_PORT" 200 || fail "MariaDB did not start: $(cat "$dir/error.log")"
  # Without an account for TCP clients MariaDB turns 127.0.0.1 away before any TLS.
  mariadb --no-defaults --socket="$dir/sock" -u root \
    -e "CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'app-pw-1'" ||
    fail "cannot create the MariaDB test account: $(tail -5 "$dir/error.log")"
}
