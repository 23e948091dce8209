#!/usr/bin/env bash
# ward store migrate: file -> s3 (s3rver) and s3 -> file, verified copies that open and
# verify at the destination, an interrupted migration that resumes, idempotent reruns, a
# conflicting destination (exit 5), and a missing source (exit 3).
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/s3.bash"
require_cmd python3
json_get() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$OUT" "$1"; }

new_store
SRC=file://$XDG_DATA_HOME/ward/store
secret="Migrate-Secret-$RANDOM-x#8Qw"
expect_exit 0 "$WARD" cred add db/prod --type postgres --field host=db.example.org \
  --secret-stdin < <(printf '%s' "$secret")
for i in $(seq 1 24); do
  expect_exit 0 "$WARD" cred add "svc-$i" --type api-key --generate
done
start_s3rver
s3_env

# --- file -> s3 ---------------------------------------------------------------------------------
DST=$(s3_url migrated)
expect_exit 0 "$WARD" --json store migrate "$SRC" "$DST"
assert_contains "$OUT" '"schema": "ward.store.migrate/v1"'
objects=$(json_get 'd["objects"]')
(( objects > 40 )) || fail "expected more than 40 objects, got $objects"
assert_eq "$(json_get 'd["copied"]')" "$objects"
assert_eq "$(json_get 'd["skipped"]')" 0
assert_eq "$(json_get 'd["destination_put_if_absent"]')" suffix
assert_eq "$(json_get 'd["audited"]')" True
expect_exit 0 "$WARD" --store "$DST" store verify
assert_contains "$OUT" "store intact"
expect_exit 0 "$WARD" --store "$DST" cred get db/prod
assert_eq "$OUT" "$secret"
expect_exit 0 "$WARD" --store "$DST" --json audit log
assert_contains "$OUT" "store.migrate"

# Idempotent: a second run copies nothing.
expect_exit 0 "$WARD" --json store migrate "$SRC" "$DST"
assert_eq "$(json_get 'd["copied"]')" 0
assert_eq "$(json_get 'd["skipped"]')" "$objects"

# --- s3 -> file (no unlock material: copied, not audited, and it says so) ----------------------
BACK=file://$T/back
expect_exit 0 env -u WARD_KEY_FILE "$WARD" store migrate "$DST" "$BACK"
assert_contains "$OUT" "verified"
assert_contains "$ERR" "not recorded in the audit trail"
expect_exit 0 "$WARD" --store "$BACK" store verify
expect_exit 0 "$WARD" --store "$BACK" cred get db/prod
assert_eq "$OUT" "$secret"

# --- interrupted, then resumed -----------------------------------------------------------------
DST2=$(s3_url interrupted)
"$WARD" store migrate "$SRC" "$DST2" >"$T/mig.out" 2>"$T/mig.err" &
migrator=$!
for _ in $(seq 2000); do
  n=$(find "$S3_DATA/$S3_BUCKET/interrupted" -name '*._S3rver_metadata.json' 2>/dev/null | wc -l) || true
  ((n >= 5)) && break
  sleep 0.005
done
kill -KILL "$migrator"
wait "$migrator" 2>/dev/null || true
# The config goes last: what was left does not open as a store.
expect_exit 3 "$WARD" --store "$DST2" store info
assert_contains "$ERR" "no ward store"
expect_exit 0 "$WARD" --json store migrate "$SRC" "$DST2"
skipped=$(json_get 'd["skipped"]')
copied=$(json_get 'd["copied"]')
(( skipped >= 3 && copied > 0 )) || fail "the resumed migration skipped $skipped and copied $copied"
expect_exit 0 "$WARD" --store "$DST2" store verify
expect_exit 0 "$WARD" --store "$DST2" cred get db/prod
assert_eq "$OUT" "$secret"

# --- conflicts and bad input -------------------------------------------------------------------
OTHER=$(s3_url other)
expect_exit 0 "$WARD" --store "$OTHER" init --key-file "$T/other.key"
expect_exit 5 "$WARD" store migrate "$SRC" "$OTHER"
assert_contains "$ERR" "different content"
expect_exit 0 "$WARD" --store "$OTHER" --key-file "$T/other.key" store verify
expect_exit 3 "$WARD" store migrate "file://$T/nothing-here" "$BACK-2"
assert_contains "$ERR" "no ward store"
expect_exit 2 "$WARD" store migrate "$SRC" "$SRC"
expect_exit 2 "$WARD" store migrate "$SRC"
