#!/usr/bin/env bash
# The store goes away in the middle of `ward backup create`: an SFTP store whose sshd (the
# listener and every session) is killed after the first packs are committed. The create fails
# with exit 6; once the server is back, `verify --read-data` is clean, the next create reuses
# the packs already uploaded, both snapshots restore byte-identical, and the dead create's lock
# does not block a prune.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/sftp.bash"
require_cmd python3 cmp
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

start_sftp_store
expect_exit 0 "$WARD" init --key-file "$T/master.key"
export WARD_KEY_FILE=$T/master.key
STORE=$WARD_TEST_STORE_DIR

seq 1 50000 >"$T/early.txt"
expect_exit 0 "$WARD" --json backup create "$T/early.txt" --source early
early_id=$(json_field '["id"]' <<<"$OUT")
before=$(find "$STORE/backups" -path '*/index/*' -type f | wc -l)

head -c $((40 * 1024 * 1024)) /dev/urandom >"$T/part1.bin"
head -c $((24 * 1024 * 1024)) /dev/urandom >"$T/part2.bin"
# The first part is uploaded; the second arrives after the server is gone.
"$WARD" backup create --from-command "cat '$T/part1.bin'; sleep 4; cat '$T/part2.bin'" \
  --stdin-name db.bin --source db >"$T/gone.out" 2>"$T/gone.err" &
victim=$!
defer "kill -9 $victim 2>/dev/null"
for _ in $(seq 1 300); do
  (($(find "$STORE/backups" -path '*/index/*' -type f | wc -l) > before)) && break
  sleep 0.1
done
(($(find "$STORE/backups" -path '*/index/*' -type f | wc -l) > before)) ||
  fail "the create committed no pack in 30 s: $(cat "$T/gone.err")"
stop_sshd
rc=0
wait "$victim" || rc=$?
[[ $rc == 6 ]] || fail "a create whose store went away exited $rc, not 6: $(cat "$T/gone.err" "$T/gone.out"; ls -R "$STORE/backups" | head -40)"
assert_contains "$(cat "$T/gone.err")" "ward: error:"
assert_contains "$(cat "$T/gone.err")" "cannot connect to $SSHD_HOST:$SSHD_PORT"
assert_contains "$(cat "$T/gone.err")" "ward: hint:"
expect_exit 6 "$WARD" backup list

restart_sshd
expect_exit 0 "$WARD" backup list
assert_contains "$OUT" "1 snapshot(s)"
expect_exit 0 "$WARD" backup verify --read-data
assert_contains "$OUT" "backups intact"
cat "$T/part1.bin" "$T/part2.bin" >"$T/whole.bin"
expect_exit 0 "$WARD" --json backup create --from-command "cat '$T/whole.bin'" --stdin-name db.bin --source db
dedup=$(json_field '["stats"]["dedup_bytes"]' <<<"$OUT")
new=$(json_field '["stats"]["new_bytes"]' <<<"$OUT")
total=$(json_field '["stats"]["bytes"]' <<<"$OUT")
((total == $(stat -c %s "$T/whole.bin"))) || fail "the create after the outage read $total bytes"
((dedup >= 16 * 1024 * 1024)) || fail "the create after the store came back reused only $dedup bytes"
# What the dead create committed is not uploaded again: only the rest is new.
((new <= total - 16 * 1024 * 1024)) ||
  fail "the create after the outage uploaded $new of $total bytes again (reused $dedup)"
db_id=$(json_field '["id"]' <<<"$OUT")
expect_exit 0 "$WARD" backup restore "$db_id" --to "$T/r1"
cmp "$T/whole.bin" "$T/r1/db.bin" || fail "the snapshot made after the outage differs"
expect_exit 0 "$WARD" backup restore "$early_id" --to "$T/r2"
cmp "$T/early.txt" "$T/r2$T/early.txt" || fail "the snapshot from before the outage differs"
expect_exit 0 "$WARD" backup prune --keep-last 5
expect_exit 0 "$WARD" backup verify --read-data
expect_exit 0 "$WARD" store verify
echo "backup_store_gone: ok"
