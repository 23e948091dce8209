#!/usr/bin/env bash
# ward check tls --starttls against real servers on loopback: PostgreSQL (TLS required, then TLS
# off and plaintext allowed), MariaDB with TLS, and an SMTP server (aiosmtpd) with and without
# STARTTLS.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
source "$WARD_SOURCE_DIR/tests/servers/postgres.bash"
source "$WARD_SOURCE_DIR/tests/servers/mariadb.bash"
source "$WARD_SOURCE_DIR/tests/servers/smtp.bash"
require_cmd openssl jq runuser

P=$T/pki
make_pki "$P"

# check TARGET EXPECTED_EXIT PROTOCOL [ARGS...]
check() {
  local target=$1 want=$2 protocol=$3
  shift 3
  expect_exit "$want" "$WARD" --json check tls "$target" --starttls "$protocol" --ca "$P/ca.pem" \
    --timeout 3s "$@"
  RESULT=$(jq -c '.results[0]' <<<"$OUT")
  IDS=" $(jq -r '[.findings[].id] | join(" ")' <<<"$RESULT") "
}
has() { [[ $IDS == *" $1 "* ]] || fail "expected finding $1 ($CURRENT), got [$IDS]"; }
hasnt() { [[ $IDS != *" $1 "* ]] || fail "unexpected finding $1 ($CURRENT): $RESULT"; }

start_postgres "$P"
start_smtp tls "$P/server.pem" "$P/server.key"
start_smtp plain
start_mariadb "$P"

# --- PostgreSQL: TLS on, plaintext rejected by pg_hba.conf -------------------------------------
CURRENT="postgres ssl=on"
check "127.0.0.1:$PG_PORT" 0 postgres
hasnt tls.starttls.not_offered
hasnt tls.starttls.plaintext_accepted
hasnt tls.cert.hostname_mismatch
hasnt tls.protocol.legacy
has tls.protocol.tls13
assert_eq "$(jq -r .facts.plaintext <<<"$RESULT")" rejected
assert_eq "$(jq -r .facts.starttls <<<"$RESULT")" postgres
assert_eq "$(jq -r .facts.cert_verified <<<"$RESULT")" true
# PostgreSQL's default ssl_ciphers (HIGH:MEDIUM:+3DES:!aNULL) still allows static-RSA suites.
has tls.cipher.no_forward_secrecy
hasnt tls.cipher.3des
assert_eq "$(jq -r .status <<<"$RESULT")" fail

# ssl_min_protocol_version TLSv1.3: TLS 1.2 now refused, seen through STARTTLS too.
pg_set ssl_min_protocol_version TLSv1.3
check "127.0.0.1:$PG_PORT" 0 postgres --min-version 1.3
assert_eq "$(jq -r '.facts.protocols | join(",")' <<<"$RESULT")" TLSv1.3
hasnt tls.protocol.below_minimum

# --- PostgreSQL: plaintext sessions allowed -----------------------------------------------------
CURRENT="postgres plaintext allowed"
pg_hba_plaintext
check "127.0.0.1:$PG_PORT" 1 postgres
has tls.starttls.plaintext_accepted
hasnt tls.starttls.not_offered
assert_eq "$(jq -r .facts.plaintext <<<"$RESULT")" accepted

# --- PostgreSQL: TLS off -----------------------------------------------------------------------
CURRENT="postgres ssl=off"
pg_set ssl off
check "127.0.0.1:$PG_PORT" 1 postgres
has tls.starttls.not_offered
has tls.starttls.plaintext_accepted
assert_eq "$(jq -r .status <<<"$RESULT")" fail
assert_eq "$(jq -r '.findings[] | select(.id=="tls.starttls.not_offered") | .severity' <<<"$RESULT")" critical

# --- MariaDB with TLS ----------------------------------------------------------------------------
CURRENT=mariadb
check "127.0.0.1:$MARIADB_PORT" 0 mysql
hasnt tls.starttls.not_offered
hasnt tls.cert.untrusted
assert_contains "$(jq -r .facts.server <<<"$RESULT")" MariaDB
assert_contains "$(jq -r '.facts.protocols | join(",")' <<<"$RESULT")" TLSv1.2

# --- SMTP ------------------------------------------------------------------------------------
CURRENT="smtp starttls"
check "127.0.0.1:${SMTP_PORT[tls]}" 0 smtp
hasnt tls.starttls.not_offered
has tls.protocol.tls13
assert_contains "$(jq -r .facts.server <<<"$RESULT")" 220
CURRENT="smtp without starttls"
check "127.0.0.1:${SMTP_PORT[plain]}" 1 smtp
has tls.starttls.not_offered
hasnt tls.protocol.tls13

# A STARTTLS protocol that does not match the server: a clear error, exit 1.
CURRENT="mismatch"
expect_exit 1 "$WARD" --json check tls "127.0.0.1:$MARIADB_PORT" --starttls postgres --timeout 2s
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" error
assert_eq "$(jq -r '.results[0].findings[0].id' <<<"$OUT")" tls.starttls.failed
echo "check_starttls: ok"
