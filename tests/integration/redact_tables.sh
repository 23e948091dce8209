#!/usr/bin/env bash
# `ward redact run` on database tables with retention rules: a real PostgreSQL (TLS, a postgres
# credential from the vault) and a SQLite file, each with rows of mixed ages and statuses, where
# exactly the rows past their retention are redacted — incomplete ones after 14 days, submitted
# ones 60 days after retrieval — in batches smaller than the table; a rerun changes nothing; an
# unknown column, a missing table, an unreachable server and a wrong password are reported
# before any row changes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
source "$WARD_SOURCE_DIR/tests/servers/postgres.bash"
source "$WARD_SOURCE_DIR/tests/servers/ports.bash"
require_cmd jq psql python3

make_pki "$T/pki"
start_postgres "$T/pki"
app_password='Redact-pw-Zq81!tables'
pg_psql -c "CREATE ROLE app LOGIN PASSWORD '$app_password'" >/dev/null
pg_psql -c "CREATE DATABASE app OWNER app" >/dev/null
new_store
printf '%s' "$app_password" | "$WARD" cred add db/app --type postgres --field host=localhost \
  --field "port=$PG_PORT" --field user=app --field dbname=app \
  --field-file "sslrootcert=$T/pki/ca.pem" --secret-stdin --allow-weak >/dev/null ||
  fail "cannot add the credential"
app_sql() { pg_psql -d app "$@"; }

# 40 applications: id, status, created/retrieved ages in days, and personal data. Row i:
#   status: submitted when i % 3 == 0, draft when i % 3 == 1, NULL otherwise;
#   created i*2 days ago, retrieved (submitted only) i*2 - 5 days ago (both 12 hours later, so
#   no row sits on a boundary).
# Expected: drafts/NULL older than 14 days (i*2 > 14 → i >= 8), submitted retrieved more than
# 60 days ago (i*2 - 5 > 60 → i >= 33).
expected_ids() {
  local i
  for i in $(seq 1 40); do
    if ((i % 3 == 0)); then ((i * 2 - 5 > 60)) && echo "$i"; else ((i * 2 > 14)) && echo "$i"; fi
  done | tr '\n' ' '
}
app_sql <<'SQL' >/dev/null
CREATE TABLE applications (
  id integer PRIMARY KEY, status text, created_at timestamptz, retrieved_at timestamptz,
  email text, phone text, notes text, score integer);
INSERT INTO applications
SELECT i,
       CASE i % 3 WHEN 0 THEN 'submitted' WHEN 1 THEN 'draft' END,
       now() - make_interval(days => i * 2) + interval '12 hours',
       CASE WHEN i % 3 = 0 THEN now() - make_interval(days => i * 2 - 5) + interval '12 hours' END,
       'user' || i || '@example.com', '+49151' || lpad(i::text, 7, '0'),
       'call me at +49151' || lpad(i::text, 7, '0') || ' or user' || i || '@example.com, ok',
       i
FROM generate_series(1, 40) AS i;
ALTER TABLE applications OWNER TO app;
SQL
snapshot() { app_sql -c "SELECT id, status, email, phone, notes FROM applications ORDER BY id"; }
original=$(snapshot)

cat >"$T/pg.json" <<'JOB'
{
  "name": "applications",
  "expect_every": "1d",
  "targets": [{
    "type": "postgres", "credential": "db/app", "table": "applications", "key": "id", "batch": 7,
    "columns": {"email": "hash", "phone": "drop",
                "notes": {"detectors": ["email", "phone"], "action": "mask"}},
    "rules": [
      {"where": {"status": {"not_in": ["submitted"]}}, "older_than": "14d", "age_column": "created_at"},
      {"where": {"status": "submitted"}, "older_than": "60d", "age_column": "retrieved_at"}
    ]
  }]
}
JOB

# Refused before any row changes.
sed 's/"phone": "drop"/"fone": "drop"/' "$T/pg.json" >"$T/pg-column.json"
expect_exit 2 "$WARD" redact run "$T/pg-column.json"
assert_contains "$ERR" "unknown column 'fone'"
sed 's/"table": "applications"/"table": "aplications"/' "$T/pg.json" >"$T/pg-table.json"
expect_exit 3 "$WARD" redact run "$T/pg-table.json"
sed 's/"age_column": "retrieved_at"/"age_column": "retrieved"/' "$T/pg.json" >"$T/pg-age.json"
expect_exit 2 "$WARD" redact run "$T/pg-age.json"
printf 'wrong-Password-9x!' | "$WARD" cred add db/wrong --type postgres --field host=localhost \
  --field "port=$PG_PORT" --field user=app --field dbname=app \
  --field-file "sslrootcert=$T/pki/ca.pem" --secret-stdin --allow-weak >/dev/null
sed 's#"db/app"#"db/wrong"#' "$T/pg.json" >"$T/pg-wrong.json"
expect_exit 4 "$WARD" redact run "$T/pg-wrong.json"
assert_not_contains "$ERR" "wrong-Password-9x!"
closed=$(free_port)
printf '%s' "$app_password" | "$WARD" cred add db/gone --type postgres --field host=localhost \
  --field "port=$closed" --field user=app --field dbname=app \
  --field-file "sslrootcert=$T/pki/ca.pem" --secret-stdin --allow-weak >/dev/null
sed 's#"db/app"#"db/gone"#' "$T/pg.json" >"$T/pg-gone.json"
expect_exit 6 "$WARD" redact run "$T/pg-gone.json"
sed 's#"db/app"#"db/none"#' "$T/pg.json" >"$T/pg-none.json"
expect_exit 3 "$WARD" redact run "$T/pg-none.json"
assert_eq "$(snapshot)" "$original"

# Dry run: counts, no change.
expect_exit 0 "$WARD" --json redact run "$T/pg.json" --dry-run
want=$(expected_ids)
n_want=$(wc -w <<<"$want")
assert_eq "$(jq -r .rows_touched <<<"$OUT")" "$n_want"
assert_eq "$(snapshot)" "$original"

# The real run: exactly the expected rows, and within them only the named columns.
expect_exit 0 "$WARD" --json redact run "$T/pg.json"
assert_eq "$(jq -r .rows_touched <<<"$OUT")" "$n_want"
assert_eq "$(jq -r '.columns["applications:email"]' <<<"$OUT")" "$n_want"
assert_eq "$(jq -r '.detectors.email.count' <<<"$OUT")" "$n_want"
got=$(app_sql -c "SELECT id FROM applications WHERE email LIKE 'pii\_%' ORDER BY id" | tr '\n' ' ')
assert_eq "$got" "$want"
got=$(app_sql -c "SELECT id FROM applications WHERE phone IS NULL ORDER BY id" | tr '\n' ' ')
assert_eq "$got" "$want"
got=$(app_sql -c "SELECT id FROM applications WHERE notes = 'call me at ' || repeat('*', 13) || ' or ' || repeat('*', length('user' || id || '@example.com')) || ', ok' ORDER BY id" | tr '\n' ' ')
assert_eq "$got" "$want"
untouched=$(app_sql -c "SELECT count(*) FROM applications WHERE email = 'user' || id || '@example.com' AND phone = '+49151' || lpad(id::text, 7, '0')")
assert_eq "$untouched" "$((40 - n_want))"
assert_eq "$(app_sql -c "SELECT count(*) FROM applications WHERE score = id")" 40
# The same value gives the same pseudonym in a file (joins survive).
row8=$(app_sql -c "SELECT email FROM applications WHERE id = 8")
expect_exit 0 "$WARD" redact run --action hash --detectors email - -o - <<<"user8@example.com"
assert_eq "$OUT" "$row8"

after=$(snapshot)
expect_exit 0 "$WARD" --json redact run "$T/pg.json"
assert_eq "$(jq -r .rows_touched <<<"$OUT")" 0
assert_eq "$(snapshot)" "$after"
expect_exit 0 "$WARD" --json redact jobs
assert_eq "$(jq -r '.jobs[0].name' <<<"$OUT")" applications
assert_eq "$(jq -r '.jobs[0].last_run.rows_touched' <<<"$OUT")" 0
assert_eq "$(jq -r '.jobs[0].overdue' <<<"$OUT")" false

# --- SQLite: the same rules on a file, key rowid by default ----------------------------------
python3 - "$T/app.db" <<'PY'
import sqlite3, sys, datetime
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE leads (status TEXT, created_at TEXT, email TEXT, card TEXT)")
now = datetime.datetime.now(datetime.timezone.utc)
for i in range(1, 31):
    status = "converted" if i % 2 == 0 else "open"
    created = now - datetime.timedelta(days=i)
    # Two spellings of time: ISO with T and Z, and SQLite's own "YYYY-MM-DD HH:MM:SS".
    text = created.strftime("%Y-%m-%dT%H:%M:%SZ") if i % 4 else created.strftime("%Y-%m-%d %H:%M:%S")
    db.execute("INSERT INTO leads VALUES (?, ?, ?, ?)", (status, text, f"lead{i}@example.com", "4111111111111111"))
db.commit()
PY
cat >"$T/sqlite.json" <<'JOB'
{"name": "leads", "targets": [{"type": "sqlite", "database": "app.db", "table": "leads", "batch": 4,
  "columns": {"email": "encrypt", "card": {"action": "partial", "keep": 4}},
  "rules": [{"where": {"status": {"ne": "converted"}}, "older_than": "10d", "age_column": "created_at"}]}]}
JOB
sql() { python3 -c 'import sqlite3,sys; print("\n".join("|".join("" if v is None else str(v) for v in r) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))' "$T/app.db" "$1"; }
sed 's/"card": {/"cards": {/' "$T/sqlite.json" >"$T/sqlite-bad.json"
expect_exit 2 "$WARD" redact run "$T/sqlite-bad.json"
assert_contains "$ERR" "unknown column 'cards'"
sed 's/app.db/nope.db/' "$T/sqlite.json" >"$T/sqlite-missing.json"
expect_exit 3 "$WARD" redact run "$T/sqlite-missing.json"
[[ ! -e $T/nope.db ]] || fail "ward created a SQLite database"
expect_exit 0 "$WARD" --json redact run "$T/sqlite.json"
want=$(for i in $(seq 11 2 30); do echo "$i"; done | tr '\n' ' ')
assert_eq "$(jq -r .rows_touched <<<"$OUT")" "$(wc -w <<<"$want")"
got=$(sql "SELECT rowid FROM leads WHERE email LIKE 'wtk1.%' ORDER BY rowid" | tr '\n' ' ')
assert_eq "$got" "$want"
got=$(sql "SELECT rowid FROM leads WHERE card = '************1111' ORDER BY rowid" | tr '\n' ' ')
assert_eq "$got" "$want"
token=$(sql "SELECT email FROM leads WHERE rowid = 11")
expect_exit 0 "$WARD" redact reveal "$token"
assert_eq "$OUT" "lead11@example.com"
expect_exit 0 "$WARD" --json redact run "$T/sqlite.json"
assert_eq "$(jq -r .rows_touched <<<"$OUT")" 0
expect_exit 0 "$WARD" store verify
echo "redact_tables: ok"
