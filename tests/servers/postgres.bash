# A throwaway PostgreSQL cluster on 127.0.0.1 for tests (run as root, like CI). Source after
# tests/integration/lib.bash, then
#
#   start_postgres PKI_DIR        # TLS on with PKI_DIR/server.{pem,key}; only hostssl allowed
#   pg_set ssl off                # ALTER SYSTEM SET + reload
#   pg_hba_plaintext              # also accept TCP sessions without TLS, then reload
#
# Sets PG_PORT and PG_SOCK (the Unix socket directory for admin SQL as postgres, trust).
# The data directory lives outside $T (postgres cannot enter the test's private directory) and
# is removed, with the server stopped, when the test exits.
# shellcheck shell=bash

source "$WARD_SOURCE_DIR/tests/servers/ports.bash"

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

pg_psql() { runuser -u postgres -- "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 "$@"; }

start_postgres() {
  local pki=$1 dir
  [[ -x $PG_BIN/initdb ]] || fail "PostgreSQL server binaries not found under /usr/lib/postgresql"
  dir=$(mktemp -d /tmp/ward-pg.XXXXXX)
  chown postgres:postgres "$dir"
  chmod 700 "$dir"
  PG_SOCK=$dir
  PG_PORT=$(free_port)
  defer "runuser -u postgres -- '$PG_BIN/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1; rm -rf '$dir'"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    fail "initdb failed: $(cat "$dir/initdb.log")"
  install -o postgres -g postgres -m 600 "$pki/server.pem" "$dir/data/server.crt"
  install -o postgres -g postgres -m 600 "$pki/server.key" "$dir/data/server.key"
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$dir'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_min_protocol_version = 'TLSv1.2'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  cat >"$dir/data/pg_hba.conf" <<HBA
local     all all                trust
hostssl   all all 127.0.0.1/32   scram-sha-256
hostnossl all all 0.0.0.0/0      reject
HBA
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
    >/dev/null || fail "PostgreSQL did not start: $(cat "$dir/server.log")"
}

# pg_set NAME VALUE: change a setting and reload.
pg_set() {
  pg_psql -c "ALTER SYSTEM SET $1 = '$2'" >/dev/null
  pg_psql -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.3
}

# pg_hba_plaintext: let TCP sessions without TLS reach authentication.
pg_hba_plaintext() {
  local data=$PG_SOCK/data
  printf 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n' >"$data/pg_hba.conf"
  chown postgres:postgres "$data/pg_hba.conf"
  pg_psql -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.3
}
