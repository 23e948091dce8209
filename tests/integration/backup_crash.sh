#!/usr/bin/env bash
# Interrupted and concurrent backups: `ward backup create` killed with SIGKILL (by hand in the
# middle of an upload, and by the fault harness at many points) leaves a store that verifies,
# and the next create reuses the packs already committed; two creates at once both succeed;
# prune and create at the same time lose nothing (the later one exits 5); prune killed at many
# points leaves every kept snapshot restorable.
#
# WARD_FAULT_LONG=1 runs many more kill points.
# shellcheck disable=SC2016  # --check commands are run by the harness with bash later
# backends: file
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/fault/fault.bash"
require_cmd python3 setsid cmp

if [[ $FAULT_LONG == 1 ]]; then
  TIME_POINTS=30 SYSCALL_TRIALS=300
else
  TIME_POINTS=4 SYSCALL_TRIALS=16
fi
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

new_store
STORE=$XDG_DATA_HOME/ward/store
head -c $((40 * 1024 * 1024)) /dev/urandom >"$T/big.bin"

# --- SIGKILL while a create is waiting for more input: committed packs are reused -----------
setsid "$WARD" backup create --from-command "cat '$T/big.bin'; sleep 60" --stdin-name big.bin \
  --source killed >"$T/killed.out" 2>&1 &
victim=$!
defer "kill -9 -- -$victim 2>/dev/null"
for _ in $(seq 1 600); do
  (($(find "$STORE/backups" -path '*/index/*' -type f 2>/dev/null | wc -l) >= 1)) && break
  sleep 0.1
done
kill -9 -- "-$victim"
wait "$victim" 2>/dev/null || true
(($(find "$STORE/backups" -path '*/index/*' -type f | wc -l) >= 1)) ||
  fail "the killed create committed no packs in 60 s"
expect_exit 0 "$WARD" backup list
assert_contains "$OUT" "0 snapshot(s)"
expect_exit 0 "$WARD" backup verify --read-data
expect_exit 0 "$WARD" store verify
expect_exit 0 "$WARD" --json backup create --from-command "cat '$T/big.bin'" --stdin-name big.bin --source killed
dedup=$(json_field '["stats"]["dedup_bytes"]' <<<"$OUT")
((dedup >= 16 * 1024 * 1024)) || fail "the next create reused only $dedup bytes of the killed one's packs"
ID=$(json_field '["id"]' <<<"$OUT")
expect_exit 0 "$WARD" backup restore "$ID" --to "$T/r1"
cmp "$T/big.bin" "$T/r1/big.bin" || fail "restore after a killed create differs"
# The killed create's lock belonged to a process that is gone: prune is not blocked by it.
expect_exit 0 "$WARD" backup prune --keep-last 5
expect_exit 0 "$WARD" backup verify --read-data
assert_not_contains "$OUT" "without an index object"

# --- two creates at once both succeed ---------------------------------------------------------
head -c $((20 * 1024 * 1024)) /dev/urandom >"$T/a.bin"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$T/b.bin"
"$WARD" backup create "$T/a.bin" --source a >"$T/a.out" 2>&1 &
pa=$!
"$WARD" backup create "$T/b.bin" --source b >"$T/b.out" 2>&1 &
pb=$!
wait "$pa" || fail "concurrent create a failed: $(cat "$T/a.out")"
wait "$pb" || fail "concurrent create b failed: $(cat "$T/b.out")"
expect_exit 0 "$WARD" backup list --source a
assert_contains "$OUT" "1 snapshot(s)"
expect_exit 0 "$WARD" --json backup list --source b
id_b=$(json_field '["snapshots"][0]["id"]' <<<"$OUT")
expect_exit 0 "$WARD" backup restore "$id_b" --to "$T/r2" --include "$T/b.bin"
cmp "$T/b.bin" "$T/r2$T/b.bin" || fail "a snapshot made beside another create does not restore"
expect_exit 0 "$WARD" backup verify --read-data

# --- prune and create at the same time: the later one exits 5, nothing is lost -------------
"$WARD" backup create --from-command "sleep 3; cat '$T/a.bin'" --stdin-name slow.bin --source slow \
  >"$T/slow.out" 2>&1 &
ps=$!
for _ in $(seq 1 50); do
  [[ -n $(find "$STORE/backups" -path '*/locks/*' -type f 2>/dev/null) ]] && break
  sleep 0.1
done
expect_exit 5 "$WARD" backup prune --keep-last 1
assert_contains "$ERR" "backup is running"
wait "$ps" || fail "the create running beside a prune failed: $(cat "$T/slow.out")"
expect_exit 0 "$WARD" backup prune --keep-last 1
expect_exit 0 "$WARD" backup restore latest --to "$T/r3"
cmp "$T/a.bin" "$T/r3/slow.bin" || fail "the snapshot made beside a prune does not restore"
expect_exit 0 "$WARD" backup verify --read-data

# --- the fault harness: create and prune killed at many points ------------------------------
TPL=$FAULT_ROOT/tpl
mkdir -p "$TPL/state" "$TPL/data/sub"
head -c $((9 * 1024 * 1024)) /dev/urandom >"$TPL/data/one.bin"
seq 1 200000 >"$TPL/data/sub/two.txt"
ln -s one.bin "$TPL/data/link"
export WARD_STORE=file://$TPL/store WARD_KEY_FILE=$TPL/master.key XDG_STATE_HOME=$TPL/state
expect_exit 0 "$WARD" init --key-file "$WARD_KEY_FILE"
for day in 01 02 03 04; do
  printf 'day %s\n' "$day" >>"$TPL/data/sub/two.txt"
  expect_exit 0 "$WARD" backup create "$TPL/data" --source tpl --time "2026-11-${day}T02:00:00Z"
done
unset WARD_STORE WARD_KEY_FILE XDG_STATE_HOME
cp -a "$TPL/data" "$T/expected"

restores='d=$(mktemp -d) && "$WARD" backup restore latest --to "$d" && cmp "$d'"$TPL"'/data/one.bin" "'"$T"'/expected/one.bin" && cmp "$d'"$TPL"'/data/sub/two.txt" "'"$T"'/expected/sub/two.txt"'
run_harness --name "backup create" --store-template "$TPL" \
  --env 'WARD_STORE=file://{dir}/store' --env 'WARD_KEY_FILE={dir}/master.key' \
  --env 'XDG_STATE_HOME={dir}/state' \
  --victim "$(json_argv "$WARD" backup create "$TPL/data" --source tpl --time 2026-11-05T02:00:00Z)" \
  --check '"$WARD" store verify' \
  --check '"$WARD" backup verify --read-data' \
  --check "$restores" \
  --check '"$WARD" backup create '"'$TPL/data'"' --source tpl' \
  --check '"$WARD" backup verify --read-data' \
  --time-points "$TIME_POINTS" --syscall-points auto --max-syscall-trials "$SYSCALL_TRIALS"
run_harness --name "backup prune" --store-template "$TPL" \
  --env 'WARD_STORE=file://{dir}/store' --env 'WARD_KEY_FILE={dir}/master.key' \
  --env 'XDG_STATE_HOME={dir}/state' \
  --victim "$(json_argv "$WARD" backup prune --keep-last 1)" \
  --check '"$WARD" store verify' \
  --check '"$WARD" backup verify --read-data' \
  --check "$restores" \
  --check '"$WARD" backup prune --keep-last 1' \
  --check '"$WARD" backup verify --read-data' \
  --check "$restores" \
  --time-points "$TIME_POINTS" --syscall-points auto --max-syscall-trials "$SYSCALL_TRIALS"
fault_finish
echo "backup_crash: all checks passed"
