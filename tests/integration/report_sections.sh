#!/usr/bin/env bash
# ward audit report on a store populated by real ward runs (credentials, keys, TLS checks against
# openssl s_server, backups, verify): every section's numbers match what was done; a namespace
# with no data says so; a tampered audit event makes the report say so; --out store, FILE and the
# JUnit, Markdown and HTML renderings; audit export emits audit log's event objects.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
source "$WARD_SOURCE_DIR/tests/servers/tls.bash"
require_cmd jq faketime openssl

past() { env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "-$1" "${@:2}"; }
secret() { printf 'Vq8#rT2m!Lz5%s-Kp9' "$1"; }
days_ago() { date -u -d "-$1 days" +%Y-%m-%dT%H:%M:%SZ; }

new_store
expect_exit 0 "$WARD" ns create empty

# --- what was done ------------------------------------------------------------------------
expect_exit 0 "$WARD" cred add fresh --type postgres --field host=127.0.0.1 --secret-stdin \
  --rotate-every 90d < <(secret a)
expect_exit 0 past 10d "$WARD" cred add stale --type generic --secret-stdin --rotate-every 7d \
  < <(secret b)
expect_exit 0 past 80d "$WARD" cred add soon --type api-key --secret-stdin --rotate-every 90d \
  < <(secret c)
expect_exit 0 "$WARD" cred add weak --type generic --secret-stdin --allow-weak < <(printf 'password1')
expect_exit 0 "$WARD" cred add made --type generic --generate
expect_exit 0 "$WARD" cred add gone --type generic --secret-stdin < <(secret d)
expect_exit 0 "$WARD" cred revoke gone
expect_exit 0 "$WARD" cred rotate fresh --secret-stdin < <(secret e)
# A second key version, with nothing rewrapped yet: v1 still wraps every object.
expect_exit 0 "$WARD" key rotate

make_pki "$T/pki"
P=$T/pki
start_tls_server good -cert "$P/server.pem" -key "$P/server.key"
start_tls_server expiring -cert "$P/expiring.pem" -key "$P/server.key"
expect_exit 0 "$WARD" --json check tls "127.0.0.1:${TLS_PORT[good]}" --ca "$P/ca.pem"
good_status=$(jq -r '.results[0].status' <<<"$OUT")
good_findings=$(jq -r '[.results[0].findings[] | select(.severity != "info")] | length' <<<"$OUT")
# medium finding (tls.cert.expiring): below the default --fail-on threshold
expect_exit 0 "$WARD" check tls "127.0.0.1:${TLS_PORT[expiring]}" --ca "$P/ca.pem"

mkdir -p "$T/data" && echo "payload" >"$T/data/file.txt"
for d in 0 1 2 3 4 5 6 7 14 21; do
  expect_exit 0 "$WARD" backup create --source app --time "$(days_ago "$d")" "$T/data"
done
expect_exit 0 "$WARD" backup create --source db --time "$(days_ago 3)" "$T/data"
expect_exit 0 "$WARD" backup verify

# Redaction jobs: a daily one that last ran 3 days ago (overdue), a monthly one run today, and an
# unscheduled one; each file holds two e-mail addresses and one card number.
mkdir -p "$T/redact"
for job in nightly weekly adhoc; do
  printf 'to a@example.com and b@example.org\npaid 4111111111111111\n' >"$T/redact/$job.log"
done
printf '{"name": "nightly", "expect_every": "1d", "targets": [{"type": "file", "paths": ["nightly.log"]}]}' >"$T/redact/nightly.json"
printf '{"name": "weekly", "expect_every": "30d", "targets": [{"type": "file", "paths": ["weekly.log"]}]}' >"$T/redact/weekly.json"
printf '{"name": "adhoc", "targets": [{"type": "file", "paths": ["adhoc.log"]}]}' >"$T/redact/adhoc.json"
expect_exit 0 past 3d "$WARD" redact run "$T/redact/nightly.json"
expect_exit 0 "$WARD" redact run "$T/redact/weekly.json"
expect_exit 0 "$WARD" redact run "$T/redact/adhoc.json"

# --- the report ------------------------------------------------------------------------------
expect_exit 0 "$WARD" audit report --format json
R=$OUT
j() { jq -r "$1" <<<"$R"; }
assert_eq "$(j .schema)" "ward.audit.report/v1"
assert_eq "$(j '.namespaces | sort | join(",")')" "default,empty"

# credentials: 6 stored, 1 revoked, 1 weak, 1 overdue, 1 due; inventory by type
assert_eq "$(j .credentials.total)" "6"
assert_eq "$(j .credentials.revoked)" "1"
assert_eq "$(j .credentials.weak)" "1"
assert_eq "$(j .credentials.overdue)" "1"
assert_eq "$(j .credentials.due)" "1"
assert_eq "$(j '.credentials.by_namespace_type.default.generic')" "4"
assert_eq "$(j '.credentials.by_namespace_type.default["api-key"]')" "1"
c() { j ".credentials.items[] | select(.name==\"$1\") | $2"; }
assert_eq "$(c stale .rotation)" "overdue"
assert_eq "$(c stale .age_days)" "10"
assert_eq "$(c soon .rotation)" "due"
assert_eq "$(c soon .age_days)" "80"
assert_eq "$(c fresh .rotation)" "ok"
assert_eq "$(c fresh .current_version)" "2"
assert_eq "$(c gone .rotation)" "revoked"
assert_eq "$(c weak .strength)" "weak"
assert_eq "$(c made .strength)" "generated"
assert_eq "$(c fresh .strength)" "ok"
assert_not_contains "$R" "password1"  # never a value

# keys: two versions in default, v2 current, v1 still wraps objects
assert_eq "$(j '[.keys.versions[] | select(.namespace=="default")] | length')" "2"
assert_eq "$(j '.keys.versions[] | select(.namespace=="default" and .version==1) | .state')" \
  "rewrap pending"
assert_eq "$(j '.keys.versions[] | select(.namespace=="default" and .version==2) | .current')" "true"
assert_eq "$(j .keys.rewrap_pending)" "1"

# checks: two targets, the expiring certificate on the timeline with about 10 days left
assert_eq "$(j '.checks.latest | length')" "2"
left=$(j ".checks.certificates[] | select(.target==\"127.0.0.1:${TLS_PORT[expiring]}\") | .days_left")
((left >= 9 && left <= 10)) || fail "expiring certificate: $left days left"
# the stored result is what the check printed
assert_eq "$(j ".checks.latest[] | select(.target==\"127.0.0.1:${TLS_PORT[good]}\") | .status")" \
  "$good_status"
assert_eq "$(j "[.findings[] | select(.subject==\"tls 127.0.0.1:${TLS_PORT[good]}\")] | length")" \
  "$good_findings"
assert_eq "$(j '[.findings[] | select(.id=="certificate.expiring")] | length')" "1"

# backups: app has 7 of 7 daily and 4 of 4 weekly; db has one, 3 days old; verify ok
a() { j ".backups.sources[] | select(.source==\"$1\") | $2"; }
assert_eq "$(a app .snapshots)" "10"
assert_eq "$(a app .daily_kept)/$(a app .weekly_kept)/$(a app .compliant)" "7/4/true"
assert_eq "$(a db .daily_kept)/$(a db .weekly_kept)/$(a db .compliant)" "1/1/false"
assert_eq "$(j '.backups.last_verify[0].outcome')" "ok"
assert_eq "$(j '[.findings[] | select(.id=="backup.stale")] | .[0].subject')" "db"

# redaction: one row per job from its run records, counts per detector, schedules judged
assert_eq "$(j .redaction.run_records_available)" "true"
assert_eq "$(j '[.redaction.jobs[].job] | join(",")')" "adhoc,nightly,weekly"
r() { j ".redaction.jobs[] | select(.job==\"$1\") | $2"; }
assert_eq "$(r nightly .schedule)/$(r weekly .schedule)/$(r adhoc .schedule)" "overdue/ok/null"
assert_eq "$(r weekly .last_items)/$(r weekly .runs_in_window)/$(r weekly .last_status)" "3/1/ok"
assert_eq "$(r weekly .detectors_in_window.email)/$(r weekly .detectors_in_window.card)" "2/1"
assert_eq "$(r nightly .expect_every_seconds)" "86400"
assert_eq "$(j '[.findings[] | select(.section=="redaction")] | map(.id + ":" + .subject) | join(",")')" \
  "redaction.schedule.overdue:nightly"
assert_eq "$(j '.findings[] | select(.id=="redaction.schedule.overdue") | .controls | join(",")')" "C1.2,P4.3"

# audit: intact; every action done above is counted
assert_eq "$(j .audit.verified)" "true"
assert_eq "$(j '.audit.problems | length')" "0"
actor=$(j '.audit.actions_by_actor | keys[0]')
assert_eq "$(j ".audit.actions_by_actor[\"$actor\"][\"backup.create\"]")" "11"
# `soon` was added 80 days ago: outside the 30-day window
assert_eq "$(j ".audit.actions_by_actor[\"$actor\"][\"cred.add\"]")" "5"
assert_eq "$(j ".audit.actions_by_actor[\"$actor\"][\"check.tls\"]")" "2"

# findings are mapped to controls from data/controls.json
assert_eq "$(j '.findings[] | select(.id=="credential.rotation.overdue") | .controls | join(",")')" "CC6.1"
assert_eq "$(j '.findings[] | select(.id=="backup.stale") | .controls | join(",")')" "A1.2"
assert_eq "$(j '.findings[] | select(.id=="certificate.expiring") | .controls | join(",")')" "CC6.7"
assert_eq "$(j '.findings[0].severity')" "high"

# --- a namespace with no data ------------------------------------------------------------------
expect_exit 0 "$WARD" --ns empty audit report --format json
E=$OUT
assert_eq "$(jq -r '.credentials.total' <<<"$E")" "0"
assert_eq "$(jq -r '.checks.latest | length' <<<"$E")" "0"
assert_eq "$(jq -r '.backups.sources | length' <<<"$E")" "0"
expect_exit 0 "$WARD" --ns empty audit report
assert_contains "$OUT" "No data: no credentials are stored in these namespaces."
assert_contains "$OUT" "No data: no stored check results"
assert_contains "$OUT" "No data: no backup snapshots in these namespaces."
assert_contains "$OUT" "No data: no redaction job has run in these namespaces"

# --- renderings and destinations ------------------------------------------------------------
expect_exit 0 "$WARD" audit report --format md --out "$T/report.md"
assert_contains "$(cat "$T/report.md")" "## Credentials"
assert_contains "$(cat "$T/report.md")" "| default | stale | generic |"
assert_contains "$(cat "$T/report.md")" "| default | weekly |"
assert_contains "$(cat "$T/report.md")" "| card 1, email 2 | 30d | ok |"
expect_exit 0 "$WARD" audit report --format junit --out "$T/report.xml"
assert_contains "$(cat "$T/report.xml")" '<testsuites'
assert_contains "$(cat "$T/report.xml")" 'classname="ward.audit.credential"'
assert_contains "$(cat "$T/report.xml")" 'type="credential.rotation.overdue"'
# each kind's verdict carries the id of its finding, once
assert_contains "$(cat "$T/report.xml")" 'type="redaction.schedule.overdue"'
assert_not_contains "$(cat "$T/report.xml")" 'redaction.rotation'
assert_eq "$(grep -o 'type="redaction.schedule.overdue"' "$T/report.xml" | wc -l)" "1"
assert_eq "$(grep -o 'type="certificate.expiring"' "$T/report.xml" | wc -l)" "1"
expect_exit 0 "$WARD" audit report --format html --out "$T/report.html"
assert_not_contains "$(cat "$T/report.html")" "<script"
assert_not_contains "$(cat "$T/report.html")" "http://"
assert_not_contains "$(cat "$T/report.html")" "https://"
# --out store: sealed under the namespace KEK in reports/, ciphertext like every object
expect_exit 0 "$WARD" --json audit report --format json --out store
stored=$(jq -r .written <<<"$OUT")
[[ $stored == reports/*/*.json ]] || fail "stored report name: $stored"
[[ -f $WARD_TEST_STORE_DIR/$stored.g1 ]] || fail "no object for $stored"
if grep -q stale "$WARD_TEST_STORE_DIR/$stored.g1"; then fail "the stored report is plaintext"; fi
expect_exit 0 "$WARD" store verify
assert_not_contains "$OUT" "not a ward object"
# audit reports lists it and prints it back exactly as rendered
expect_exit 0 "$WARD" --json audit reports
assert_eq "$(jq -r '.reports | length' <<<"$OUT")" "1"
assert_eq "$(jq -r '.reports[0].name' <<<"$OUT")" "${stored##*/}"
assert_eq "$(jq -r '.reports[0].format' <<<"$OUT")" "json"
expect_exit 0 "$WARD" audit reports latest
assert_eq "$(jq -r .schema <<<"$OUT")" "ward.audit.report/v1"
assert_eq "$(jq -r '.redaction.jobs | length' <<<"$OUT")" "3"
latest=$OUT
expect_exit 0 "$WARD" audit reports "${stored##*/}"
assert_eq "$OUT" "$latest"
expect_exit 3 "$WARD" audit reports 20990101T000000Z-000000000000.json
assert_contains "$ERR" "no stored report named"
# after `key rewrap` no key version waits for objects (the stored report was rewrapped too)
expect_exit 0 "$WARD" key rewrap
expect_exit 0 "$WARD" --json audit report --format json
assert_eq "$(jq -r .keys.rewrap_pending <<<"$OUT")" "0"
# the rewrapped report still reads back; a damaged one is an integrity failure
expect_exit 0 "$WARD" audit reports latest
assert_eq "$OUT" "$latest"
obj=$(ls "$WARD_TEST_STORE_DIR/${stored%/*}/")
cp "$WARD_TEST_STORE_DIR/${stored%/*}/$obj" "$T/report.obj"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-5]^=1; open(p,"wb").write(b)' \
  "$WARD_TEST_STORE_DIR/${stored%/*}/$obj"
expect_exit 4 "$WARD" audit reports latest
cp "$T/report.obj" "$WARD_TEST_STORE_DIR/${stored%/*}/$obj"
expect_exit 0 "$WARD" --json audit log --action audit.report
assert_eq "$(jq -r '.events | length' <<<"$OUT")" "8"
assert_eq "$(jq -r '[.events[] | select(.details.destination=="store")] | .[0].details.object' <<<"$OUT")" \
  "$stored"

expect_exit 2 "$WARD" audit report --format pdf
assert_contains "$ERR" "ward: error: unknown report format 'pdf'"
expect_exit 2 "$WARD" audit report --since yesterday
expect_exit 2 "$WARD" audit report --format md --out https://127.0.0.1:9/r

# --- audit export shares audit log's serializer ----------------------------------------------
expect_exit 0 "$WARD" --json audit log
log_events=$(jq -c '.events[]' <<<"$OUT")
expect_exit 0 "$WARD" audit export --format jsonl
export_events=$(head -n "$(wc -l <<<"$log_events")" <<<"$OUT")
assert_eq "$export_events" "$log_events"
assert_eq "$(head -1 <<<"$OUT" | jq -r .schema)" "ward.audit.event/v1"
expect_exit 0 "$WARD" audit export --since 1h
n_recent=$(wc -l <<<"$OUT")
((n_recent > 20)) || fail "export --since 1h gave $n_recent events"
expect_exit 2 "$WARD" audit export --format csv

# --- a tampered event: the report says so -----------------------------------------------------
victim=$WARD_TEST_STORE_DIR/audit/000000000003
[[ -f $victim ]] || fail "expected a single audit event object at $victim"
flip_bit "$victim" 40
expect_exit 0 "$WARD" audit report --format json
assert_eq "$(jq -r .audit.verified <<<"$OUT")" "false"
assert_contains "$(jq -r '.audit.problems | join(" ")' <<<"$OUT")" "3"
assert_eq "$(jq -r '.findings[0].id + " " + .findings[0].severity' <<<"$OUT")" "audit.integrity critical"
assert_contains "$(jq -r .audit.activity_unavailable <<<"$OUT")" "activity not counted"
expect_exit 0 "$WARD" audit report
assert_contains "$OUT" "Chain verified: **NO**"
expect_exit 1 "$WARD" audit verify

echo "report_sections: ok"
