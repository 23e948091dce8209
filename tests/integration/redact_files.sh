#!/usr/bin/env bash
# `ward redact` on files: scan as a CI gate (exit 1, counts, masked samples, JSON), ad-hoc runs
# to a file, to stdout from stdin and in place (mode kept, bytes outside findings identical),
# the keyed actions (stable pseudonyms across key rotation, encrypt tokens that reveal back),
# jobs over text, CSV and JSONL (idempotent, dry run, run records, `redact jobs`, audit events
# with counts), spec errors caught before anything changes, and planted PII that never reaches
# the store, the logs or a temp file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd jq python3 cmp stat

EMAIL=canary.person@example.org
CARD=4111111111111111
PHONE=+4915112345678

# --- scan: exit 1 with counts and masked samples; 0 on clean input --------------------------
cat >"$T/app.log" <<LOG
2026-11-23T14:43:00Z login user=$EMAIL from 192.168.1.20
2026-11-23T14:43:01Z charge card=$CARD amount=12.50 order 2026-11-23
2026-11-23T14:43:02Z callback $PHONE ok; not a card 4111111111111112
LOG
printf 'nothing to see, version 1.2.3.4.5 at 14:43:00\n' >"$T/clean.log"

expect_exit 1 "$WARD" redact scan "$T/app.log"
assert_contains "$ERR" "4 items of personal data or secrets found"
assert_contains "$OUT" "email"
assert_not_contains "$OUT" "$EMAIL"
assert_not_contains "$OUT" "$CARD"
expect_exit 1 "$WARD" --json redact scan "$T/app.log" "$T/clean.log"
assert_eq "$(jq -r .schema <<<"$OUT")" "ward.redact.scan/v1"
assert_eq "$(jq -r .found <<<"$OUT")" 4
assert_eq "$(jq -r '.detectors.card.count' <<<"$OUT")" 1
assert_eq "$(jq -r '.detectors.card.samples[0]' <<<"$OUT")" "************1111"
assert_eq "$(jq -r '.detectors.ipv4.count' <<<"$OUT")" 1
assert_eq "$(jq -r '.detectors.phone.count' <<<"$OUT")" 1
assert_eq "$(jq -r '.files[1].items' <<<"$OUT")" 0
expect_exit 0 "$WARD" redact scan "$T/clean.log"
assert_contains "$OUT" "no personal data or secrets found"
expect_exit 1 "$WARD" --json redact scan --detectors email - <"$T/app.log"
assert_eq "$(jq -r .found <<<"$OUT")" 1
expect_exit 2 "$WARD" redact scan --detectors emial "$T/app.log"
assert_contains "$ERR" "unknown detector 'emial'"
expect_exit 3 "$WARD" redact scan "$T/missing.log"

# --- ad-hoc run: to a file, in place (atomic, mode kept), stdin to stdout --------------------
python3 - "$T/app.log" "$T/expected.log" "$EMAIL" "$CARD" "$PHONE" <<'PY'
import sys
src, dst, *items = sys.argv[1:]
text = open(src).read()
for item in items + ["192.168.1.20"]:
    text = text.replace(item, "*" * len(item))
open(dst, "w").write(text)
PY
expect_exit 0 "$WARD" redact run --action mask "$T/app.log" -o "$T/out.log"
cmp "$T/out.log" "$T/expected.log" || fail "redact run -o changed more than the findings"
assert_contains "$OUT" "redacted 4 items"
cp "$T/app.log" "$T/inplace.log"
chmod 640 "$T/inplace.log"
expect_exit 0 "$WARD" redact run --action mask --in-place "$T/inplace.log"
cmp "$T/inplace.log" "$T/expected.log" || fail "redact run --in-place differs"
assert_eq "$(stat -c %a "$T/inplace.log")" 640
[[ -z $(find "$T" -name '*.ward-*') ]] || fail "a temp file was left beside the input"
before=$(stat -c %Y.%i "$T/inplace.log")
sleep 1
expect_exit 0 "$WARD" redact run --action mask --in-place "$T/inplace.log"
assert_eq "$(stat -c %Y.%i "$T/inplace.log")" "$before"  # nothing left: not rewritten
"$WARD" redact run --action mask - -o - <"$T/app.log" >"$T/piped.log" || fail "pipe run failed"
cmp "$T/piped.log" "$T/expected.log" || fail "stdin to stdout differs"
expect_exit 0 "$WARD" redact run --action partial --detectors card "$T/app.log" -o -
assert_contains "$OUT" "card=************1111 amount"
assert_contains "$OUT" "$EMAIL"
expect_exit 2 "$WARD" redact run --action mask "$T/app.log"
assert_contains "$ERR" "-o FILE"
expect_exit 0 "$WARD" --json redact run --action mask --dry-run "$T/app.log"
assert_eq "$(jq -r .items <<<"$OUT")" 4

# CSV by column and JSONL by field path.
printf 'id,email,note\n1,%s,"call %s, thanks"\n2,"bob@example.com",plain\n' "$EMAIL" "$PHONE" >"$T/users.csv"
expect_exit 0 "$WARD" redact run --action replace --replacement '[x]' --column email "$T/users.csv" -o "$T/users.out.csv"
assert_eq "$(cat "$T/users.out.csv")" "$(printf 'id,email,note\n1,[x],"call %s, thanks"\n2,"[x]",plain' "$PHONE")"
expect_exit 2 "$WARD" redact run --action mask --column mail "$T/users.csv" -o "$T/never.csv"
assert_contains "$ERR" "unknown column 'mail'"
[[ ! -e $T/never.csv ]] || fail "an unknown column still wrote output"
printf '{"user":{"email":"%s","name":"C"},"n":1}\n{"user":{"email":null}}\n' "$EMAIL" >"$T/events.jsonl"
expect_exit 0 "$WARD" redact run --action drop --column '$.user.email' "$T/events.jsonl" -o -
assert_eq "$OUT" "$(printf '{"user":{"email":null,"name":"C"},"n":1}\n{"user":{"email":null}}')"

# --- keyed actions: hash is stable across key rotation, encrypt reveals back -------------------
new_store
expect_exit 0 "$WARD" redact run --action hash --detectors email "$T/app.log" -o "$T/hashed1.log"
pseudonym=$(grep -o 'pii_[a-z2-7]*' "$T/hashed1.log")
[[ ${#pseudonym} == 30 ]] || fail "unexpected pseudonym '$pseudonym'"
expect_exit 0 "$WARD" key rotate
expect_exit 0 "$WARD" key rewrap
expect_exit 0 "$WARD" redact run --action hash --detectors email "$T/app.log" -o "$T/hashed2.log"
cmp "$T/hashed1.log" "$T/hashed2.log" || fail "pseudonyms changed with the key rotation"
expect_exit 0 "$WARD" redact run --action encrypt --detectors email,card "$T/app.log" -o "$T/enc.log"
mapfile -t tokens < <(grep -o 'wtk1\.[A-Za-z0-9_-]*' "$T/enc.log")
((${#tokens[@]} == 2)) || fail "expected two tokens, got ${#tokens[@]}"
expect_exit 0 "$WARD" redact reveal "${tokens[@]}"
assert_eq "$OUT" "$(printf '%s\n%s' "$EMAIL" "$CARD")"
expect_exit 0 "$WARD" --json redact reveal - < <(printf '%s\n' "${tokens[0]}")
assert_eq "$(jq -r .schema <<<"$OUT")" "ward.redact.reveal/v1"
assert_eq "$(jq -r '.values[0].value' <<<"$OUT")" "$EMAIL"
expect_exit 0 "$WARD" ns create other
expect_exit 4 "$WARD" --ns other redact reveal "${tokens[0]}"
expect_exit 2 "$WARD" redact reveal not-a-token

# --- jobs: spec errors first, then a run, an idempotent rerun, records and audit -------------
mkdir -p "$T/job/logs" "$T/job/exports"
cp "$T/app.log" "$T/job/logs/app.log"
cp "$T/users.csv" "$T/job/exports/users.csv"
cp "$T/events.jsonl" "$T/job/exports/events.jsonl"
cp -a "$T/job" "$T/job.orig"
cat >"$T/job/job.json" <<'JOB'
{
  "name": "nightly-exports",
  "expect_every": "1d",
  "detectors": [{"name": "order_id", "regex": "ORD-[0-9]{8}"}],
  "targets": [
    {"type": "file", "paths": ["logs/app.log"], "action": "mask"},
    {"type": "file", "paths": ["exports/users.csv"],
     "columns": {"email": "hash", "note": {"detectors": ["phone"], "action": "partial", "keep": 2}}},
    {"type": "file", "paths": ["exports/events.jsonl"], "fields": {"$.user.email": "encrypt"}}
  ]
}
JOB
bad() { # NAME JSON EXPECTED-CODE MESSAGE
  printf '%s' "$2" >"$T/job/$1.json"
  expect_exit "$3" "$WARD" redact run "$T/job/$1.json"
  assert_contains "$ERR" "$4"
}
bad malformed '{"name": "x", "targets": [' 2 "not valid JSON"
bad nokey '{"name": "x", "targets": [{"type": "file", "paths": ["logs/app.log"], "actoin": "mask"}]}' 2 "unknown key 'actoin'"
bad column '{"name": "x", "targets": [{"type": "file", "paths": ["logs/app.log"], "action": "mask"}, {"type": "file", "paths": ["exports/users.csv"], "columns": {"mail": "hash"}}]}' 2 "unknown column 'mail'"
bad missing '{"name": "x", "targets": [{"type": "file", "paths": ["logs/nope.log"]}]}' 3 "not a readable file"
bad duration '{"name": "x", "expect_every": "1 day", "targets": [{"type": "file", "paths": ["logs/app.log"]}]}' 2 "duration"
bad regex '{"name": "x", "detectors": [{"name": "r", "regex": "(a"}], "targets": [{"type": "file", "paths": ["logs/app.log"]}]}' 2 "cannot compile"
bad password '{"name": "x", "targets": [{"type": "postgres", "table": "t", "columns": {"a": "mask"}}]}' 2 "credential"
# Nothing changed by any refused job, not even the first target of the unknown-column one.
diff -r "$T/job.orig/logs" "$T/job/logs" >/dev/null || fail "a refused job changed a file"

expect_exit 0 "$WARD" --json redact run "$T/job/job.json" --dry-run
assert_eq "$(jq -r .dry_run <<<"$OUT")" true
assert_eq "$(jq -r .files_touched <<<"$OUT")" 3
diff -r "$T/job.orig/exports" "$T/job/exports" >/dev/null || fail "--dry-run changed a file"
expect_exit 0 "$WARD" --json redact run "$T/job/job.json"
assert_eq "$(jq -r .schema <<<"$OUT")" "ward.redact.run/v1"
assert_eq "$(jq -r .files_touched <<<"$OUT")" 3
assert_eq "$(jq -r '.columns["email"]' <<<"$OUT")" 2
assert_eq "$(jq -r '.columns["note"]' <<<"$OUT")" 1
assert_eq "$(jq -r '.columns["$.user.email"]' <<<"$OUT")" 1
cmp "$T/job/logs/app.log" "$T/expected.log" || fail "the job's text target differs"
assert_contains "$(cat "$T/job/exports/users.csv")" "\"call $(printf '%*s' 12 '' | tr ' ' '*')78, thanks\""
token=$(grep -o 'wtk1\.[A-Za-z0-9_-]*' "$T/job/exports/events.jsonl")
expect_exit 0 "$WARD" redact reveal "$token"
assert_eq "$OUT" "$EMAIL"
sums=$(md5sum "$T"/job/logs/* "$T"/job/exports/*)
expect_exit 0 "$WARD" --json redact run "$T/job/job.json"
assert_eq "$(jq -r .files_touched <<<"$OUT")" 0
assert_eq "$(jq -r .items <<<"$OUT")" 0
assert_eq "$(md5sum "$T"/job/logs/* "$T"/job/exports/*)" "$sums"

expect_exit 0 "$WARD" --json redact jobs "$T/job/job.json" "$WARD_SOURCE_DIR/examples/redaction-retention.json"
assert_eq "$(jq -r .schema <<<"$OUT")" "ward.redact.jobs/v1"
assert_eq "$(jq -r '.jobs | map(.name) | join(" ")' <<<"$OUT")" "applications-retention nightly-exports"
assert_eq "$(jq -r '.jobs[0].overdue' <<<"$OUT")" true   # never ran, expected daily
assert_eq "$(jq -r '.jobs[1].overdue' <<<"$OUT")" false
assert_eq "$(jq -r '.jobs[1].last_run.items' <<<"$OUT")" 0
assert_eq "$(jq -r '.jobs[1].expect_every' <<<"$OUT")" 1d
expect_exit 0 "$WARD" redact jobs
assert_contains "$OUT" "nightly-exports"
expect_exit 0 "$WARD" --json audit log --action redact.run
assert_contains "$OUT" '"items"'
assert_contains "$OUT" '"files_touched"'
assert_not_contains "$OUT" "$EMAIL"
expect_exit 0 "$WARD" store verify
expect_exit 0 "$WARD" audit verify

# --- the planted values never reach the store, the logs or a temp file ----------------------
"$WARD" -v --log-format json redact run "$T/job.orig/logs/app.log" --action encrypt -o "$T/v.log" \
  >"$T/verbose.out" 2>"$T/verbose.err" || fail "verbose run failed"
"$WARD" -v redact scan "$T/job.orig/logs/app.log" >>"$T/verbose.out" 2>>"$T/verbose.err" || true
for value in "$EMAIL" "$CARD" "$PHONE"; do
  if grep -rqF -- "$value" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$TMPDIR" "$T/verbose.out" "$T/verbose.err"; then
    fail "the planted value $value was found in the store, state, temp files or logs"
  fi
done
echo "redact_files: ok"
