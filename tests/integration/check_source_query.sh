#!/usr/bin/env bash
# `ward check source` on a PostgreSQL source whose login succeeds but whose trivial query fails:
# source.query.failed with the server's message, exit 1, and the secret nowhere in the output.
# No real PostgreSQL refuses SELECT 1 to a role it has just let in, so the server here is a
# stand-in (tests/servers/pg_standin_query_fails.py) speaking the wire protocol over verified TLS.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
require_cmd jq python3

findings() { jq -r '[.results[].findings[].id] | unique | join(" ")' <<<"$OUT"; }
has() {
  local f=" $(findings) " id
  for id; do [[ $f == *" $id "* ]] || fail "expected finding $id, got [$f]"; done
}
lacks() {
  local f=" $(findings) " id
  for id; do [[ $f != *" $id "* ]] || fail "unexpected finding $id in [$f]"; done
}

make_pki "$T/pki"
password='Standin-pw-Qx73!query'
printf '%s\n' "$password" >"$T/password"
python3 "$WARD_SOURCE_DIR/tests/servers/pg_standin_query_fails.py" "$T/port" \
  "$T/pki/server.pem" "$T/pki/server.key" "$T/password" &
defer "kill $! 2>/dev/null"
for _ in $(seq 50); do [[ -s $T/port ]] && break; sleep 0.1; done
[[ -s $T/port ]] || fail "the stand-in did not start"
port=$(cat "$T/port")
rm -f -- "$T/password"

new_store
add_db() { # NAME PASSWORD
  printf '%s' "$2" | "$WARD" cred add "$1" --type postgres --field host=localhost \
    --field "port=$port" --field user=app --field dbname=postgres --field sslmode=verify-full \
    --field-file "sslrootcert=$T/pki/ca.pem" --secret-stdin --allow-weak >/dev/null ||
    fail "cannot add credential $1"
}

# Login works, SELECT 1 is refused: the query finding, not an authentication or TLS one.
add_db db "$password"
expect_exit 1 "$WARD" --json check source db
has source.query.failed
lacks source.auth.failed source.unreachable source.tls.failed source.tls.cert_invalid
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" fail
assert_eq "$(jq -r '.results[0].facts.authenticated' <<<"$OUT")" true
assert_eq "$(jq -r '.results[0].facts.tls' <<<"$OUT")" true
assert_contains "$(jq -r '.results[0].findings[] | select(.id == "source.query.failed") | .message' <<<"$OUT")" \
  "stand-in refuses every query"
assert_not_contains "$OUT$ERR" "$password"

# The same stand-in with a wrong password: the authentication finding instead, never the query one.
add_db wrong 'Not-the-pw-Qx73!'
expect_exit 1 "$WARD" --json check source wrong
has source.auth.failed
lacks source.query.failed

# The human table names the finding too.
expect_exit 1 "$WARD" check source db
assert_contains "$OUT" "source.query.failed"
echo "check source with a failing query: ok"
