#!/usr/bin/env bash
# A full disk: writes fail with a clear error (exit 6, the store cannot be written), nothing
# that was stored is lost, and once space is free again everything works. The audit events of
# the failed actions wait in the local spool (sealed, no secret in it) and reach the trail with
# the next command that can write the store; a tampered spool entry fails `audit verify`. The store lives on
# a tiny tmpfs mounted in a private mount namespace (unshare), so nothing leaks to the host.
if [[ ${WARD_FULL_DISK_INNER:-} != 1 ]]; then
  # Re-run this script inside a new mount namespace (as root, or as a mapped root user).
  command -v unshare >/dev/null || { echo "FAIL: unshare is missing" >&2; exit 1; }
  unshare_flags=(--mount --propagation private)
  [[ $(id -u) -eq 0 ]] || unshare_flags=(--user --map-root-user "${unshare_flags[@]}")
  WARD_FULL_DISK_INNER=1 exec unshare "${unshare_flags[@]}" bash "${BASH_SOURCE[0]}"
fi
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

mnt=$T/small
mkdir -p "$mnt"
mount -t tmpfs -o size=512k tmpfs "$mnt" || fail "cannot mount a tmpfs for the test"
export WARD_STORE=file://$mnt/store
expect_exit 0 "$WARD" init --key-file "$T/master.key"
export WARD_KEY_FILE=$T/master.key
printf 'kept-secret-Zz9!kept' | "$WARD" cred add kept --type generic --secret-stdin --allow-weak >/dev/null ||
  fail "cannot add the first credential"

# Fill the file system, leaving almost nothing.
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null || true
sync

expect_exit 6 "$WARD" cred add more --type generic --generate
assert_contains "$ERR" "No space left on device"
assert_contains "$ERR" "cannot"
expect_exit 6 "$WARD" cred rotate kept --generate
# Nothing half-written is left that a reader would trip over.
[[ -z $(find "$mnt/store" -path '*/.tmp' -prune -o -type f -size 0 -print) ]] ||
  fail "an empty object was left in the store"

# The failed actions' events are spooled, sealed: two entries, neither holding the secret.
spool=$(find "$XDG_STATE_HOME/ward/spool" -path '*/events/*' -type f | sort)
[[ $(wc -l <<<"$spool") -eq 2 ]] || fail "expected 2 spooled audit events, found: $spool"
assert_contains "$ERR" "spooled locally"
for entry in $spool; do
  ! grep -q "kept-secret" "$entry" || fail "the spool holds a secret in plaintext"
  ! grep -q '"action"' "$entry" || fail "the spool holds an event in plaintext"
done

rm -f "$mnt/filler"
expect_exit 0 "$WARD" -v cred get kept
assert_eq "$OUT" "kept-secret-Zz9!kept"
assert_contains "$ERR" "delivered 2 audit event(s) spooled"
[[ -z $(find "$XDG_STATE_HOME/ward/spool" -path '*/events/*' -type f) ]] ||
  fail "the spool was not emptied after delivery"
expect_exit 0 "$WARD" --json audit log --action cred.rotate
assert_contains "$OUT" '"spooled": true'
assert_contains "$OUT" '"outcome": "error"'
expect_exit 0 "$WARD" store verify
expect_exit 0 "$WARD" cred add more --type generic --generate
expect_exit 0 "$WARD" audit verify

# A spooled entry that was changed on disk is refused at delivery and fails verification.
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null || true
expect_exit 6 "$WARD" cred rotate kept --generate
entry=$(find "$XDG_STATE_HOME/ward/spool" -path '*/events/*' -type f | head -1)
[[ -n $entry ]] || fail "no spooled event after the second failure"
flip_bit "$entry" 20
rm -f "$mnt/filler"
expect_exit 1 "$WARD" audit verify
assert_contains "$OUT" "fails authentication"
umount "$mnt"
echo "full disk: ok"
