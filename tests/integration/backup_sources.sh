#!/usr/bin/env bash
# Named backup sources and schedules, verify records, and progress on a terminal:
# `--expect-every` on create, `backup source set|list`, the config file's backup.sources, a
# source planned but never backed up, overdue and unverified states, verify results kept in the
# store, records covered by key rotate/rewrap/retire, a tampered record refused (exit 4), bad
# input (exit 2); progress drawn on a pseudo-terminal (script(1)) and not one byte of it when
# stderr is a pipe.
# backends: file sftp s3
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd python3 script grep od

new_store
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }
# source_field NAME FIELD: a field of source NAME in `backup source list --json`.
source_field() {
  expect_exit 0 "$WARD" --json backup source list
  python3 -c '
import json, sys
doc = json.loads(sys.argv[1])
assert doc["schema"] == "ward.backup.source.list/v1", doc["schema"]
match = [s for s in doc["sources"] if s["name"] == sys.argv[2]]
print(json.dumps(match[0][sys.argv[3]]) if match else "MISSING")' "$OUT" "$1" "$2"
}

mkdir -p "$T/data"
seq 1 50000 >"$T/data/numbers.txt"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$T/data/random.bin"
two_days_ago=$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%SZ)

# --- a scheduled source whose latest snapshot is older than its schedule: overdue ----------
expect_exit 0 "$WARD" --json backup create "$T/data" --source db --expect-every 1d --time "$two_days_ago"
assert_eq "$(json_field '["expect_every"]' <<<"$OUT")" "1d"
assert_eq "$(source_field db schedule)" '"overdue"'
assert_eq "$(source_field db verify)" '"unverified"'
assert_eq "$(source_field db expect_every)" '"1d"'
assert_eq "$(source_field db snapshots)" '1'
# ward status judges it through the policy module: overdue, exit 1
expect_exit 1 "$WARD" --json status
python3 -c '
import json, sys
items = [i for i in json.loads(sys.argv[1])["items"] if i["kind"] == "backup" and i["subject"] == "db"]
assert items and items[0]["state"] == "overdue", items' "$OUT" || fail "status does not report db overdue: $OUT"

# verify is recorded in the store and covers the latest snapshot
expect_exit 0 "$WARD" backup verify
assert_eq "$(source_field db verify)" '"verified"'
expect_exit 0 "$WARD" --json backup source list
assert_eq "$(json_field '["last_verify"]["ok"]' <<<"$OUT")" "True"
assert_eq "$(json_field '["last_verify"]["read_data"]' <<<"$OUT")" "False"

# a new snapshot is within the schedule but not verified yet; verify --read-data covers it
expect_exit 0 "$WARD" backup create "$T/data" --source db
assert_eq "$(source_field db schedule)" '"ok"'
assert_eq "$(source_field db verify)" '"unverified"'
assert_eq "$(source_field db snapshots)" '2'
# fresh but unverified: due in ward status, even with no look-ahead window
expect_exit 1 "$WARD" --json status --due 0s
python3 -c '
import json, sys
items = [i for i in json.loads(sys.argv[1])["items"] if i["kind"] == "backup" and i["subject"] == "db"]
assert items and items[0]["state"] == "due", items' "$OUT" || fail "status does not report db due: $OUT"
expect_exit 0 "$WARD" backup verify --read-data
assert_eq "$(source_field db verify)" '"verified"'
expect_exit 0 "$WARD" --json status --due 0s
python3 -c '
import json, sys
items = [i for i in json.loads(sys.argv[1])["items"] if i["kind"] == "backup" and i["subject"] == "db"]
assert items and items[0]["state"] == "ok", items' "$OUT" || fail "status does not report db ok: $OUT"
assert_eq "$(source_field db last_verify | json_field '["read_data"]')" "True"
expect_exit 0 "$WARD" backup source list
assert_contains "$OUT" "SOURCE"
assert_contains "$OUT" "db"
assert_contains "$OUT" "last verify"

# --- planned but never backed up: listed with no snapshot; due one period after it was set --
expect_exit 0 "$WARD" backup source set planned --expect-every 12h
assert_contains "$OUT" "expected every 12h"
assert_eq "$(source_field planned snapshots)" '0'
assert_eq "$(source_field planned latest)" 'null'
assert_eq "$(source_field planned schedule)" '"ok"'
due=$(source_field planned due_at)
[[ $due == \"20* ]] || fail "a planned source has no due time: $due"
expect_exit 0 "$WARD" --json backup source set planned --unscheduled
assert_contains "$OUT" '"schema": "ward.backup.source.set/v1"'
assert_eq "$(json_field '["version"]' <<<"$OUT")" "2"
assert_eq "$(source_field planned schedule)" '"unscheduled"'
assert_eq "$(source_field planned expect_every)" 'null'

# a source without a schedule stays unscheduled
expect_exit 0 "$WARD" backup create --stdin --stdin-name x.txt --source adhoc < <(echo hello)
assert_eq "$(source_field adhoc schedule)" '"unscheduled"'

# --- the config file names a schedule: the create that backs the source up records it -------
mkdir -p "$XDG_CONFIG_HOME/ward"
printf '{"backup": {"sources": {"nightly": {"expect_every": "2d"}}}}\n' >"$XDG_CONFIG_HOME/ward/config.json"
expect_exit 0 "$WARD" -v backup create "$T/data" --source nightly
assert_contains "$ERR" "is now expected every 2d"
assert_eq "$(source_field nightly expect_every)" '"2d"'
# once recorded, the same schedule is not written again
expect_exit 0 "$WARD" -v backup create "$T/data" --source nightly
assert_not_contains "$ERR" "is now expected"
rm "$XDG_CONFIG_HOME/ward/config.json"
# without the config file, the store still knows (the CI machine's view)
assert_eq "$(source_field nightly expect_every)" '"2d"'

# --- bad input ----------------------------------------------------------------------------
expect_exit 2 "$WARD" backup source set db
assert_contains "$ERR" "--expect-every"
expect_exit 2 "$WARD" backup source set db --expect-every 1d --unscheduled
expect_exit 2 "$WARD" backup source set db --expect-every soon
expect_exit 2 "$WARD" backup create "$T/data" --source db --expect-every 0s
printf '{"backup": {"sources": {"db": {"expect_every": 3}}}}\n' >"$T/bad.json"
expect_exit 2 "$WARD" --config "$T/bad.json" backup create "$T/data" --source db
assert_contains "$ERR" "expect_every"
assert_eq "$(source_field db expect_every)" '"1d"'

# --- the records are under the key hierarchy: rotate, rewrap, retire the old KEK ------------
expect_exit 0 "$WARD" key rotate
expect_exit 0 "$WARD" key rewrap
expect_exit 0 "$WARD" key retire 1
assert_eq "$(source_field db expect_every)" '"1d"'
assert_eq "$(source_field db verify)" '"verified"'

# --- a tampered record is refused, not ignored ---------------------------------------------
[[ -d $WARD_TEST_STORE_DIR ]] || fail "no store directory $WARD_TEST_STORE_DIR"
mapfile -t records < <(store_object_files "$WARD_TEST_STORE_DIR/backups" | grep -E '/backups/[^/]+/sources/')
((${#records[@]} >= 4)) || fail "expected source records in the store, found ${#records[@]}"
mkdir -p "$T/saved"
for i in "${!records[@]}"; do
  record=${records[i]}
  ! grep -q -a "nightly\|planned" "$record" || fail "a source record holds its name in plaintext"
  cp "$record" "$T/saved/$i"
  python3 - "$record" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[-5] ^= 1
open(p, 'wb').write(bytes(b))
PY
done
store_objects_rewritten "${records[@]}"
expect_exit 4 "$WARD" backup source list
assert_contains "$ERR" "ward: error:"
for i in "${!records[@]}"; do cp "$T/saved/$i" "${records[i]}"; done
store_objects_rewritten "${records[@]}"
expect_exit 0 "$WARD" backup source list

# --- audit ---------------------------------------------------------------------------------
expect_exit 0 "$WARD" --json audit log --action backup.source.set
assert_contains "$OUT" '"target": "planned"'

# --- progress: on a terminal, and nothing of it when piped -------------------------------
[[ $WARD_TEST_BACKEND == file ]] || { echo "backup_sources: ok"; exit 0; }
head -c $((64 * 1024 * 1024)) /dev/urandom >"$T/data/large.bin"
"$WARD" backup create "$T/data" --source piped >"$T/piped.out" 2>"$T/piped.err" ||
  fail "piped create failed: $(cat "$T/piped.err")"
if od -c "$T/piped.out" "$T/piped.err" | grep -q '\\r\|033'; then
  fail "piped output holds progress bytes: $(od -c "$T/piped.err" | head)"
fi
assert_not_contains "$(cat "$T/piped.err")" "backing up"
"$WARD" backup restore latest --to "$T/r-piped" >"$T/rp.out" 2>"$T/rp.err" ||
  fail "piped restore failed: $(cat "$T/rp.err")"
assert_not_contains "$(cat "$T/rp.err")" "restoring"
! od -c "$T/rp.err" | grep -q '\\r' || fail "piped restore printed progress"

# script(1) gives ward a pseudo-terminal; throttle the reads so progress has time to draw.
printf '%s\n' '#!/usr/bin/env bash' \
  "exec \"$WARD\" backup create --from-command 'for i in 1 2 3 4 5 6; do head -c 4194304 /dev/urandom; sleep 0.3; done' --stdin-name slow.bin --source tty" \
  >"$T/tty-create.sh"
printf '%s\n' '#!/usr/bin/env bash' "exec \"$WARD\" backup restore latest --to \"$T/r-tty\"" \
  >"$T/tty-restore.sh"
chmod +x "$T/tty-create.sh" "$T/tty-restore.sh"
script -q -e -c "$T/tty-create.sh" "$T/tty-create.log" >/dev/null </dev/null ||
  fail "create under script failed: $(cat "$T/tty-create.log")"
grep -q -a "backing up" "$T/tty-create.log" || fail "no progress on a terminal: $(cat -v "$T/tty-create.log")"
grep -q -a "MiB/s" "$T/tty-create.log" || fail "progress shows no rate: $(cat -v "$T/tty-create.log")"
grep -q -a $'\r' "$T/tty-create.log" || fail "progress is not redrawn in place"
grep -q -a "snapshot .* saved" "$T/tty-create.log" || fail "the result is missing under script"
# restore of a known size: totals, percentage and ETA
"$WARD" backup create "$T/data" --source big >/dev/null 2>&1 || fail "create of big failed"
script -q -e -c "$T/tty-restore.sh" "$T/tty-restore.log" >/dev/null </dev/null ||
  fail "restore under script failed: $(cat "$T/tty-restore.log")"
grep -q -a "restored snapshot" "$T/tty-restore.log" || fail "restore result missing: $(cat -v "$T/tty-restore.log")"
echo "backup_sources: ok"
