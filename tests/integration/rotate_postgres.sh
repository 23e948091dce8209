#!/usr/bin/env bash
# `ward cred rotate --apply` and `cred revoke --apply` against a real PostgreSQL over verified
# TLS, directly and through OpenSSH's sshd as a bastion: afterwards the old password is refused
# and the new one connects; the new password reaches the server only as a SCRAM verifier (the
# server logs every statement here); a grace period ends with a brief maintenance run; failures
# before the change leave everything as it was; the server stopped between change and verify,
# and ward killed at either step, leave a state the message names and a re-run converges; two
# rotations at once change the target once.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
source "$WARD_SOURCE_DIR/tests/servers/postgres.bash"
source "$WARD_SOURCE_DIR/tests/servers/sshd.bash"
require_cmd jq psql

make_pki "$T/pki"
start_postgres "$T/pki"
pg_set log_statement all
PG_LOG=$PG_SOCK/server.log
old_pw='Old-pw-Zq81!rotate'
pg_psql -c "CREATE ROLE app LOGIN PASSWORD '$old_pw'" >/dev/null
pg_psql -c "CREATE ROLE \"odd\"\"role\" LOGIN PASSWORD '$old_pw'" >/dev/null
pg_psql -c "CREATE ROLE pgadmin LOGIN CREATEROLE PASSWORD '$old_pw'" >/dev/null
new_store

add_db() { # NAME ROLE EXTRA-ARGS...
  local name=$1 role=$2
  shift 2
  printf '%s' "$old_pw" | "$WARD" cred add "$name" --type postgres --field host=localhost \
    --field "port=$PG_PORT" --field "user=$role" --field dbname=postgres \
    --field-file "sslrootcert=$T/pki/ca.pem" --secret-stdin --allow-weak "$@" >/dev/null ||
    fail "cannot add credential $name"
}
# connects ROLE PASSWORD: whether the server lets ROLE log in with PASSWORD over verified TLS.
connects() {
  PGPASSWORD=$2 psql "host=localhost hostaddr=127.0.0.1 port=$PG_PORT user=$1 dbname=postgres \
    sslmode=verify-full sslrootcert=$T/pki/ca.pem gssencmode=disable" -Atc 'select 1' >/dev/null 2>&1
}
alter_count() { grep -c 'ALTER ROLE' "$PG_LOG" || true; }
secret_of() { "$WARD" cred get "$1"; }
# A fast (clean) shutdown: the fixture runs with synchronous_commit=off, so an immediate stop
# could lose the ALTER ROLE the server already acknowledged, which is not the case under test.
pg_stop() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_SOCK/data" -m fast -w stop >/dev/null; }
pg_start() {
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_SOCK/data" -l "$PG_LOG" -w -t 30 start >/dev/null ||
    fail "PostgreSQL did not restart"
}
newest_version() { "$WARD" --json cred show "$1" | jq -r '.credential.version'; }
wait_for_pending() { # NAME VERSION-BEFORE: wait until a newer (pending) version is stored
  local i
  for i in $(seq 100); do (($(newest_version "$1") > $2)) && return 0; sleep 0.1; done
  fail "no pending version of $1 appeared"
}
wait_for_alter() { # COUNT-BEFORE: wait until the server has logged one more ALTER ROLE
  local i
  for i in $(seq 100); do (($(alter_count) > $1)) && return 0; sleep 0.1; done
  fail "the server never saw the ALTER ROLE"
}

# --- A rotation on the target, verified, committed; the old version revoked at once (grace 0).
add_db db app
expect_exit 0 "$WARD" --json cred rotate db --generate --apply
assert_eq "$(jq -r '.schema' <<<"$OUT")" ward.cred.rotate/v1
assert_eq "$(jq -r '.state' <<<"$OUT")" rotated
assert_eq "$(jq -r '.verified' <<<"$OUT")" true
assert_eq "$(jq -r '.driver' <<<"$OUT")" postgres
assert_eq "$(jq -r '.previous_version' <<<"$OUT")" 1
assert_eq "$(jq -r '.pending_version' <<<"$OUT")" 2
assert_eq "$(jq -r '.current_version' <<<"$OUT")" 3
assert_eq "$(jq -r '.previous_revoked' <<<"$OUT")" true
new_pw=$(secret_of db)
[[ $new_pw != "$old_pw" && ${#new_pw} -ge 20 ]] || fail "no new generated password"
connects app "$new_pw" || fail "the new password does not connect"
connects app "$old_pw" && fail "the old password still connects"
expect_exit 0 "$WARD" --json cred show db
assert_eq "$(jq -r '.credential.current_version' <<<"$OUT")" 3
expect_exit 3 "$WARD" cred get db --version 1
# The password crossed the wire only as a SCRAM verifier: the server's statement log has the
# ALTER ROLE with the verifier, never the plaintext.
grep -q 'ALTER ROLE "app" PASSWORD .SCRAM-SHA-256\$' "$PG_LOG" || fail "no SCRAM verifier in the log"
grep -qF "$new_pw" "$PG_LOG" && fail "the new password is in the server log"
assert_not_contains "$OUT$ERR" "$new_pw"
# ...nor in the store's files, nor in a temp file left behind.
grep -rqF "$new_pw" "$WARD_TEST_STORE_DIR" && fail "the new password is in the store in clear"
[[ -z $(find "$TMPDIR" -type f) ]] || fail "rotation left temp files: $(find "$TMPDIR" -type f)"
expect_exit 0 "$WARD" --json audit log --action cred.rotate
assert_eq "$(jq -r '.events[-1].details.state' <<<"$OUT")" rotated
assert_not_contains "$OUT" "$new_pw"
# The human summary; a role name that needs quoting.
add_db odd 'odd"role'
expect_exit 0 "$WARD" cred rotate odd --apply
assert_contains "$OUT" "rotated odd on PostgreSQL localhost:$PG_PORT (sslmode=verify-full): version 3 is current and verified"
connects 'odd"role' "$(secret_of odd)" || fail "the quoted role cannot log in with its new password"

# --- A grace period: the old version stays readable, then the next command revokes it.
prev=$(secret_of db)
expect_exit 0 "$WARD" --json cred rotate db --apply --grace 8s
assert_eq "$(jq -r '.previous_revoked' <<<"$OUT")" false
[[ -n $(jq -r '.revoke_at' <<<"$OUT") ]] || fail "no revoke_at"
expect_exit 0 "$WARD" cred get db --version 3
assert_eq "$OUT" "$prev"
sleep 8
expect_exit 0 "$WARD" cred list # any command's brief maintenance
expect_exit 3 "$WARD" cred get db --version 3
expect_exit 0 "$WARD" --json audit log --action cred.revoke
assert_eq "$(jq -r '.events[-1].details.reason' <<<"$OUT")" "grace period over"
assert_eq "$(jq -r '.events[-1].details.version' <<<"$OUT")" 3
expect_exit 0 "$WARD" --json maintenance
assert_eq "$(jq -r '.revoked_versions' <<<"$OUT")" 0

# --- Failures before the change leave target and store as they were.
printf 'Wrong-pw-Zz1!xx' | "$WARD" cred add baddb --type postgres --field host=localhost \
  --field "port=$PG_PORT" --field user=app --field-file "sslrootcert=$T/pki/ca.pem" \
  --secret-stdin --allow-weak >/dev/null
before=$(alter_count)
expect_exit 4 "$WARD" cred rotate baddb --apply
assert_contains "$ERR" "nothing changed on the target"
assert_contains "$ERR" "version 1 (the old secret) is still current and still works"
assert_contains "$ERR" "pending version 2 was discarded"
assert_eq "$(alter_count)" "$before"
expect_exit 0 "$WARD" --json cred show baddb
assert_eq "$(jq -r '.credential.current_version' <<<"$OUT")" 1
assert_eq "$(secret_of baddb)" 'Wrong-pw-Zz1!xx'
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '%s' "$old_pw" | "$WARD" cred add gone --type postgres --field host=127.0.0.1 \
  --field "port=$closed" --field user=app --secret-stdin --allow-weak >/dev/null
expect_exit 6 "$WARD" --json cred rotate gone --apply --timeout 2s
assert_eq "$(jq -r '.state' <<<"$OUT")" unchanged
assert_contains "$ERR" '"schema":"ward.error/v1"'
# A usage error: a type without a driver; revoked credentials; flags that do not go together.
printf 'Api-token-Zz9!aa' | "$WARD" cred add token --type api-key --secret-stdin >/dev/null
expect_exit 2 "$WARD" cred rotate token --apply
assert_contains "$ERR" "no driver"
expect_exit 2 "$WARD" cred rotate db --apply --field sslmode=require
expect_exit 2 "$WARD" cred rotate --all db
expect_exit 2 "$WARD" cred rotate db --grace 1h
expect_exit 2 "$WARD" cred rotate db --apply --grace bogus

# --- Through the bastion: the change and the verification both go through sshd.
start_sshd
expect_exit 0 "$WARD" cred add bastion --type ssh --field host=127.0.0.1 --field "port=$SSHD_PORT" \
  --field "user=$SSHD_USER" --field "hostkey=$SSHD_HOSTKEY_FP" --secret-field private_key --secret-file "$SSHD_KEY"
pg_psql -c "CREATE ROLE behind LOGIN PASSWORD '$old_pw'" >/dev/null
add_db behind behind --field bastion=bastion
forwards_before=$(grep -c 'direct-tcpip\|Accepted publickey' "$SSHD_LOG" || true)
expect_exit 0 "$WARD" --json cred rotate behind --apply
assert_eq "$(jq -r '.state' <<<"$OUT")" rotated
assert_contains "$(jq -r '.route' <<<"$OUT")" "through bastion 'bastion'"
(($(grep -c 'direct-tcpip\|Accepted publickey' "$SSHD_LOG") > forwards_before)) ||
  fail "sshd saw no connection for the rotation"
connects behind "$(secret_of behind)" || fail "the new password does not connect (bastion)"
connects behind "$old_pw" && fail "the old password still connects (bastion)"

# --- The server stopped between change and verify: the target took the new secret, so the
# store commits it and says it is unverified; once the server is back, it works, and a re-run
# rotates normally.
pg_psql -c "CREATE ROLE flaky LOGIN PASSWORD '$old_pw'" >/dev/null
add_db flaky flaky
before=$(alter_count)
WARD_TEST_ROTATE_PAUSE=after-change=3 "$WARD" cred rotate flaky --apply --timeout 2s \
  >"$T/flaky.out" 2>"$T/flaky.err" &
pid=$!
wait_for_alter "$before"
pg_stop
rc=0
wait "$pid" || rc=$?
assert_eq "$rc" 6
assert_contains "$(cat "$T/flaky.err")" "the target accepted the new secret and version 3 is current in the store, but ward could not verify it"
assert_contains "$(cat "$T/flaky.err")" "version 1 (the old secret) stays readable and is not retired"
pg_start
committed=$(secret_of flaky)
connects flaky "$committed" || fail "the committed (unverified) password does not connect"
connects flaky "$old_pw" && fail "the old password still connects after the change"
expect_exit 0 "$WARD" --json check source flaky
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" pass
expect_exit 0 "$WARD" --json cred rotate flaky --apply
assert_eq "$(jq -r '.state' <<<"$OUT")" rotated
connects flaky "$(secret_of flaky)" || fail "the re-run's password does not connect"

# --- ward killed after the change: the pending version is left; the next run asks the target,
# which accepts the pending secret, and commits it.
before=$(alter_count)
cur_before=$("$WARD" --json cred show flaky | jq -r '.credential.current_version')
WARD_TEST_ROTATE_PAUSE=after-change=30 "$WARD" cred rotate flaky --apply >/dev/null 2>&1 &
pid=$!
wait_for_alter "$before"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
expect_exit 0 "$WARD" --json cred show flaky
pending=$(jq -r '.credential.version' <<<"$OUT")
assert_eq "$(jq -r '.credential.current_version' <<<"$OUT")" "$cur_before"
assert_eq "$(secret_of flaky)" "$(secret_of flaky)" # the current secret is still readable
expect_exit 0 "$WARD" --json cred rotate flaky --apply
assert_eq "$(jq -r '.state' <<<"$OUT")" resolved
assert_contains "$(jq -r '.resolution' <<<"$OUT")" "the target accepts pending version $pending"
assert_eq "$(jq -r '.current_version' <<<"$OUT")" $((pending + 1))
connects flaky "$(secret_of flaky)" || fail "the resolved password does not connect"
# ...killed before the change: the next run finds the target still on the current secret,
# discards the pending version and rotates anew.
before=$(alter_count)
v_before=$(newest_version flaky)
WARD_TEST_ROTATE_PAUSE=after-pending=30 "$WARD" cred rotate flaky --apply >/dev/null 2>&1 &
pid=$!
wait_for_pending flaky "$v_before"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
assert_eq "$(alter_count)" "$before"
expect_exit 0 "$WARD" --json cred rotate flaky --apply
assert_eq "$(jq -r '.state' <<<"$OUT")" rotated
assert_contains "$(jq -r '.resolution' <<<"$OUT")" "discarded"
connects flaky "$(secret_of flaky)" || fail "the password after a discarded pending version does not connect"

# --- Two rotations at once: one wins; the loser exits 5 and changes nothing on the target.
before=$(alter_count)
v_before=$(newest_version db)
WARD_TEST_ROTATE_PAUSE=after-pending=3 "$WARD" cred rotate db --apply >/dev/null 2>"$T/a.err" &
pid=$!
wait_for_pending db "$v_before"
expect_exit 5 "$WARD" cred rotate db --apply
assert_contains "$ERR" "another rotation of 'db' is in progress"
assert_contains "$ERR" "nothing was changed"
wait "$pid" || fail "the first rotation failed: $(cat "$T/a.err")"
assert_eq "$(alter_count)" $((before + 1))
connects app "$(secret_of db)" || fail "the winner's password does not connect"
# Started together, racing for the same version number: still one change on the target.
for trial in 1 2 3; do
  before=$(alter_count)
  "$WARD" cred rotate db --apply >/dev/null 2>"$T/r1.err" &
  p1=$!
  "$WARD" cred rotate db --apply >/dev/null 2>"$T/r2.err" &
  p2=$!
  rc1=0 rc2=0
  wait "$p1" || rc1=$?
  wait "$p2" || rc2=$?
  codes=$(printf '%s\n' "$rc1" "$rc2" | sort | tr '\n' ' ')
  case $codes in
    "0 5 ") assert_eq "$(alter_count)" $((before + 1)) ;;
    "0 0 ") assert_eq "$(alter_count)" $((before + 2)) ;; # one after the other, no overlap
    *) fail "trial $trial: exit codes $codes: $(cat "$T/r1.err" "$T/r2.err")" ;;
  esac
  connects app "$(secret_of db)" || fail "trial $trial: the stored password does not connect"
done

# --- Revocation on the target: NOLOGIN through an admin credential, then revoked in the store.
add_db pgadmin pgadmin
pg_psql -c "CREATE ROLE leaver LOGIN PASSWORD '$old_pw'" >/dev/null
add_db leaver leaver --field admin=pgadmin
expect_exit 0 "$WARD" --json cred revoke leaver --apply
assert_eq "$(jq -r '.applied' <<<"$OUT")" true
assert_eq "$(pg_psql -c "select rolcanlogin from pg_roles where rolname = 'leaver'")" f
connects leaver "$old_pw" && fail "a revoked role still logs in"
expect_exit 3 "$WARD" cred get leaver
# A role cannot disable itself without an admin: the store keeps it as it was.
pg_psql -c "CREATE ROLE selfish LOGIN PASSWORD '$old_pw'" >/dev/null
add_db selfish selfish
expect_exit 4 "$WARD" cred revoke selfish --apply
assert_contains "$ERR" "nothing was revoked"
assert_contains "$ERR" "admin"
expect_exit 0 "$WARD" cred get selfish

# --- rotate --all: the policy module's verdict (--due), a dry run, and failures that do not
# stop the others.
pg_psql -c "CREATE ROLE due1 LOGIN PASSWORD '$old_pw'" >/dev/null
add_db due1 due1 --rotate-every 1s
sleep 2
expect_exit 0 "$WARD" --json cred list --due
assert_eq "$(jq -r '[.credentials[].name] | join(" ")' <<<"$OUT")" due1
assert_eq "$(jq -r '.credentials[0].due' <<<"$OUT")" overdue
expect_exit 0 "$WARD" --json cred rotate --all --due --dry-run
assert_eq "$(jq -r '.schema' <<<"$OUT")" ward.cred.rotate.all/v1
assert_eq "$(jq -r '[.would_rotate[].name] | join(" ")' <<<"$OUT")" due1
assert_eq "$(secret_of due1)" "$old_pw"
expect_exit 0 "$WARD" --json cred rotate --all --type generic --dry-run
assert_eq "$(jq -r '.would_rotate | length' <<<"$OUT")" 0
expect_exit 1 "$WARD" --json cred rotate --all --type postgres --timeout 2s --parallel 3
assert_eq "$(jq -r '[.results[] | select(.ok | not) | .name] | sort | join(" ")' <<<"$OUT")" "baddb gone"
assert_eq "$(jq -r '[.results[] | select(.ok) | .name] | sort | join(" ")' <<<"$OUT")" \
  "behind db due1 flaky odd pgadmin selfish"
assert_eq "$(jq -r '.failed' <<<"$OUT")" 2
for pair in app:db due1:due1 flaky:flaky behind:behind pgadmin:pgadmin selfish:selfish; do
  connects "${pair%%:*}" "$(secret_of "${pair##*:}")" || fail "${pair##*:} does not connect after rotate --all"
done
expect_exit 1 "$WARD" cred rotate --all --type postgres --timeout 2s
assert_contains "$OUT" "7 rotated, 2 failed"
echo "rotate on PostgreSQL: ok"
