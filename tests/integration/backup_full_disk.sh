#!/usr/bin/env bash
# A disk that fills up during `ward backup create`: the create fails with exit 6 and a clear
# error, nothing already stored is damaged (`verify --read-data` clean, the earlier snapshot
# restores byte-identical), and once there is space again the next create reuses the packs
# the failed one had committed. The store lives on a small tmpfs in a private mount namespace
# (as in full_disk.sh), which is grown afterwards with a remount.
if [[ ${WARD_FULL_DISK_INNER:-} != 1 ]]; then
  command -v unshare >/dev/null || { echo "FAIL: unshare is missing" >&2; exit 1; }
  unshare_flags=(--mount --propagation private)
  [[ $(id -u) -eq 0 ]] || unshare_flags=(--user --map-root-user "${unshare_flags[@]}")
  WARD_FULL_DISK_INNER=1 exec unshare "${unshare_flags[@]}" bash "${BASH_SOURCE[0]}"
fi
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd python3 cmp
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

mnt=$T/small
mkdir -p "$mnt"
mount -t tmpfs -o size=40m tmpfs "$mnt" || fail "cannot mount a tmpfs for the test"
defer "umount '$mnt'"
export WARD_STORE=file://$mnt/store
expect_exit 0 "$WARD" init --key-file "$T/master.key"
export WARD_KEY_FILE=$T/master.key

mkdir -p "$T/first" "$T/second"
seq 1 100000 >"$T/first/numbers.txt"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$T/first/small.bin"
expect_exit 0 "$WARD" --json backup create "$T/first" --source first
first_id=$(json_field '["id"]' <<<"$OUT")

# 64 MiB of incompressible data does not fit in what is left of 40 MiB.
head -c $((64 * 1024 * 1024)) /dev/urandom >"$T/second/big.bin"
expect_exit 6 "$WARD" backup create "$T/second" --source second
assert_contains "$ERR" "No space left on device"
assert_contains "$ERR" "ward: error: cannot"
committed=$(find "$mnt/store/backups" -path '*/index/*' -type f | wc -l)
((committed >= 2)) || fail "the failed create committed no pack before the disk filled ($committed index objects)"

# Still full: reading works, and nothing is damaged.
expect_exit 0 "$WARD" backup list
assert_contains "$OUT" "1 snapshot(s)"
expect_exit 0 "$WARD" backup verify --read-data
assert_contains "$OUT" "backups intact"
expect_exit 0 "$WARD" backup restore "$first_id" --to "$T/r1"
cmp "$T/first/small.bin" "$T/r1$T/first/small.bin" || fail "the earlier snapshot no longer restores"
cmp "$T/first/numbers.txt" "$T/r1$T/first/numbers.txt" || fail "the earlier snapshot no longer restores"
# No empty or torn object is left where readers look.
[[ -z $(find "$mnt/store" -path '*/.tmp' -prune -o -type f -size 0 -print) ]] ||
  fail "an empty object was left in the store"

# Space again: the next create reuses what the failed one stored.
mount -o remount,size=200m "$mnt" || fail "cannot grow the tmpfs"
expect_exit 0 "$WARD" --json backup create "$T/second" --source second
dedup=$(json_field '["stats"]["dedup_bytes"]' <<<"$OUT")
((dedup >= 16 * 1024 * 1024)) || fail "the create after a full disk reused only $dedup bytes"
second_id=$(json_field '["id"]' <<<"$OUT")
expect_exit 0 "$WARD" backup verify --read-data
expect_exit 0 "$WARD" backup restore "$second_id" --to "$T/r2"
cmp "$T/second/big.bin" "$T/r2$T/second/big.bin" || fail "the snapshot after a full disk differs"
expect_exit 0 "$WARD" backup restore "$first_id" --to "$T/r3"
cmp "$T/first/small.bin" "$T/r3$T/first/small.bin" || fail "the first snapshot differs"
# The failed create's leftovers (its lock, packs without a snapshot) do not block a prune.
expect_exit 0 "$WARD" backup prune --keep-last 5
expect_exit 0 "$WARD" backup verify --read-data
expect_exit 0 "$WARD" store verify
echo "backup_full_disk: ok"
