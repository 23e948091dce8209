#!/usr/bin/env bash
# Retention: a month of daily snapshots (made with --time) pruned with --keep-daily 7
# --keep-weekly 4 keeps exactly the newest snapshot of each of the last 7 days and of each of the
# last 4 ISO weeks; --dry-run changes nothing; prune removes the data only the forgotten
# snapshots used, repacks what is partly used, and every kept snapshot still restores.
# backends: file sftp s3
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd python3 cmp

new_store
STORE=$WARD_TEST_STORE_DIR
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

# 2026-11-01 is a Sunday, 2026-11-30 a Monday. Each day's data is 1 MiB of its own random bytes
# plus a shared 2 MiB file, so each forgotten day frees data of its own.
mkdir -p "$T/data"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/data/shared.bin"
declare -A ids
for day in $(seq -w 1 30); do
  head -c $((1024 * 1024)) /dev/urandom >"$T/data/daily.bin"
  cp "$T/data/daily.bin" "$T/day$day.bin"
  expect_exit 0 "$WARD" --json backup create "$T/data" --source db --time "2026-11-${day}T02:00:00Z"
  ids[$day]=$(json_field '["id"]' <<<"$OUT")
done
expect_exit 0 "$WARD" backup list --source db
assert_contains "$OUT" "30 snapshot(s)"

expected_days="15 22 24 25 26 27 28 29 30"
kept_days() {
  local day out=""
  for day in $(seq -w 1 30); do
    [[ $1 == *"${ids[$day]}"* ]] && out+="${day#0} "
  done
  echo "${out% }"
}

expect_exit 0 "$WARD" --json backup prune --keep-daily 7 --keep-weekly 4 --dry-run
kept_json=$(python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)["snapshots"] if s["keep"]))' <<<"$OUT")
assert_eq "$(kept_days "$kept_json")" "$expected_days"
assert_contains "$OUT" '"snapshots_removed": 21'
expect_exit 0 "$WARD" backup list --source db
assert_contains "$OUT" "30 snapshot(s)"

size_before=$(du -sb "$STORE/backups" | cut -f1)
expect_exit 0 "$WARD" backup prune --keep-daily 7 --keep-weekly 4
assert_contains "$OUT" "removed 21 snapshot(s)"
expect_exit 0 "$WARD" --json backup list --source db
assert_eq "$(kept_days "$OUT")" "$expected_days"
size_after=$(du -sb "$STORE/backups" | cut -f1)
((size_after < size_before - 15 * 1024 * 1024)) ||
  fail "prune freed too little: $size_before -> $size_after bytes"
expect_exit 0 "$WARD" backup verify --read-data
assert_not_contains "$OUT" "problem"

for day in 15 22 30; do
  expect_exit 0 "$WARD" backup restore "${ids[$day]}" --to "$T/r$day"
  cmp "$T/day$day.bin" "$T/r$day$T/data/daily.bin" || fail "day $day does not restore"
  cmp "$T/data/shared.bin" "$T/r$day$T/data/shared.bin" || fail "day $day shared file differs"
done
expect_exit 3 "$WARD" backup restore "${ids[14]}" --to "$T/r14"

# Pruning again with the same policy changes nothing; a policy is required.
expect_exit 0 "$WARD" --json backup prune --keep-daily 7 --keep-weekly 4
assert_contains "$OUT" '"snapshots_removed": 0'
assert_contains "$OUT" '"packs_removed": 0'
expect_exit 2 "$WARD" backup prune
expect_exit 0 "$WARD" --json audit log
assert_contains "$OUT" '"backup.prune"'
echo "backup_retention: all checks passed"
