#!/usr/bin/env bash
# `ward cred leaks`: a PostgreSQL role's password, managed by ward, is planted in log and config
# files in the ways it leaks in practice (a connection URL's userinfo, KEY=VALUE, JSON, YAML,
# base64); ward finds each by keyed hash, names the credential, file, line and column, masks the
# value, and exits 1. `--rotate` changes the password on the real server and revokes the leaked
# version at once: afterwards the old password is refused, the new one connects, and the same
# files no longer hold a live secret (exit 0). A clean file exits 0, a leaked secret without a
# rotation driver is reported as not rotated, a missing path exits 3; everything is audited and
# no plaintext secret appears in ward's output, the store, its state or temp files.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
source "$WARD_SOURCE_DIR/tests/servers/postgres.bash"
require_cmd jq psql base64

make_pki "$T/pki"
start_postgres "$T/pki"
old_pw="Leak-pw-$RANDOM-Zq81!x"
pg_psql -c "CREATE ROLE app LOGIN PASSWORD '$old_pw'" >/dev/null
new_store
STORE=${WARD_TEST_STORE_DIR:-$XDG_DATA_HOME/ward/store}

printf '%s' "$old_pw" | "$WARD" cred add db --type postgres --field host=localhost \
  --field "port=$PG_PORT" --field user=app --field dbname=postgres \
  --field-file "sslrootcert=$T/pki/ca.pem" --secret-stdin --allow-weak >/dev/null ||
  fail "cannot add the postgres credential"
hook_token="Hook-Token-$RANDOM-kq2Lx9"
printf '%s' "$hook_token" | "$WARD" cred add api/hookless --type api-key --secret-stdin \
  --allow-weak >/dev/null || fail "cannot add the api-key credential"
connects() {
  PGPASSWORD=$2 psql "host=localhost hostaddr=127.0.0.1 port=$PG_PORT user=$1 dbname=postgres \
    sslmode=verify-full sslrootcert=$T/pki/ca.pem gssencmode=disable" -Atc 'select 1' >/dev/null 2>&1
}
connects app "$old_pw" || fail "the planted password does not connect to begin with"

mkdir -p "$T/logs/sub" "$T/logs/.git"
{
  echo "2026-12-01T10:00:00Z INFO worker started"
  echo "2026-12-01T10:00:01Z DEBUG dsn=postgres://app:$old_pw@localhost:$PG_PORT/postgres"
  echo "2026-12-01T10:00:02Z INFO nothing to see: x${old_pw}x"
} >"$T/logs/app.log"
printf 'DATABASE_PASSWORD="%s"\n' "$old_pw" >"$T/logs/sub/.env"
printf '{"db": {"user": "app", "password": "%s"}}\n' "$old_pw" >"$T/logs/sub/config.json"
printf 'data:\n  password: %s\n' "$(printf '%s' "$old_pw" | base64)" >"$T/logs/sub/secret.yaml"
printf 'password: %s\n' "$old_pw" >"$T/logs/.git/ignored" # .git is not scanned
printf 'all quiet here\n' >"$T/clean.log"

# --- Found, named, masked; exit 1 -----------------------------------------------------------
expect_exit 0 "$WARD" cred leaks "$T/clean.log"
assert_contains "$OUT" "0 leak(s)"
expect_exit 1 "$WARD" cred leaks "$T/logs"
assert_contains "$OUT" "$T/logs/app.log:2:"
assert_contains "$OUT" "$T/logs/sub/.env:1:20"
assert_contains "$ERR" "ward: error: 1 managed credential(s) leaked"
assert_not_contains "$OUT$ERR" "$old_pw"
expect_exit 1 "$WARD" --json cred leaks "$T/logs"
assert_eq "$(jq -r '.schema' <<<"$OUT")" ward.cred.leaks/v1
assert_eq "$(jq -r '.scanned.files' <<<"$OUT")" 4
assert_eq "$(jq -r '.leaks | length' <<<"$OUT")" 4
assert_eq "$(jq -r '[.leaks[].credential] | unique | join(",")' <<<"$OUT")" db
assert_eq "$(jq -r '.leaks[0] | "\(.file):\(.line):\(.column) v\(.version) \(.field) \(.form) \(.current)"' <<<"$OUT")" \
  "$T/logs/app.log:2:47 v1 password value true"
assert_eq "$(jq -r '[.leaks[].form] | join(",")' <<<"$OUT")" "value,value,value,base64"
assert_eq "$(jq -r '.leaks[0].masked' <<<"$OUT")" "Le**********"
assert_not_contains "$OUT" "$old_pw"
# Standard input, and a CI log piped in.
expect_exit 1 "$WARD" --json cred leaks - <"$T/logs/sub/config.json"
assert_eq "$(jq -r '.leaks[0].file' <<<"$OUT")" "<stdin>"
expect_exit 3 "$WARD" cred leaks "$T/nosuch.log"
assert_contains "$ERR" "no file or directory $T/nosuch.log"
expect_exit 2 "$WARD" cred leaks

# --- --rotate: changed on the server, the leaked version revoked on the spot ----------------
printf 'token=%s\n' "$hook_token" >>"$T/logs/app.log"
expect_exit 1 "$WARD" --json cred leaks --rotate "$T/logs"
assert_eq "$(jq -r '[.rotations[] | "\(.name):\(.action)"] | join(",")' <<<"$OUT")" \
  "api/hookless:failed,db:rotated"
assert_contains "$(jq -r '.rotations[0].error.message' <<<"$OUT")" "api/hookless"
assert_eq "$(jq -r '.rotations[1].leaked_version' <<<"$OUT")" 1
assert_contains "$ERR" "1 rotated or revoked, 1 failed"
assert_not_contains "$OUT$ERR" "$old_pw"
new_pw=$("$WARD" cred get db)
[[ $new_pw != "$old_pw" && ${#new_pw} -ge 20 ]] || fail "no new generated password"
connects app "$new_pw" || fail "the new password does not connect"
connects app "$old_pw" && fail "the leaked password still connects"
expect_exit 3 "$WARD" cred get db --version 1
assert_contains "$ERR" "revoked"
# The same files now hold only a dead secret for db: only the hookless token is still live.
expect_exit 1 "$WARD" --json cred leaks "$T/logs"
assert_eq "$(jq -r '[.leaks[].credential] | unique | join(",")' <<<"$OUT")" api/hookless
expect_exit 0 "$WARD" cred revoke api/hookless
expect_exit 0 "$WARD" cred leaks "$T/logs"

# Audited: the scan (counts and ids, never values) and the rotation marked as a leak response.
expect_exit 0 "$WARD" --json audit log --action cred.leaks
assert_eq "$(jq -r '.events[-1].details.rotate' <<<"$OUT")" false
assert_eq "$(jq -r '[.events[] | select(.details.rotate)] | .[0].details.leaks' <<<"$OUT")" 5
expect_exit 0 "$WARD" --json audit log --action cred.rotate
assert_eq "$(jq -r '[.events[] | select(.details.leak and .outcome == "ok")] | length' <<<"$OUT")" 1
assert_not_contains "$OUT" "$old_pw"

# --- no secret in plaintext where ward keeps things ------------------------------------------
for s in "$old_pw" "$new_pw" "$hook_token"; do
  hits=$(grep -ralF -- "$s" "$STORE" "$XDG_STATE_HOME" "$TMPDIR" 2>/dev/null || true)
  [[ -z $hits ]] || fail "a secret is in plaintext in: $hits"
done
