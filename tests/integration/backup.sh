#!/usr/bin/env bash
# ward backup end to end: create from paths, stdin and a command; list; restore with modes,
# times, symlinks and unusual names; refusal to overwrite; incremental dedup; diff; restore of a
# subpath; verify and verify --read-data; a tampered pack found by verify (1) and restore (4);
# key rotate, rewrap and retire with backups present; a planted secret and file name never in
# the store in plaintext; audit events with counts.
# backends: file sftp s3
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd python3 cmp diff stat grep

new_store
STORE=$WARD_TEST_STORE_DIR
SRC=$T/src/data
CANARY="PLANTED-SECRET-$RANDOM-$RANDOM-backup"
CANARY_NAME="planted-name-$RANDOM-$RANDOM.txt"

json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

# --- a tree with the awkward cases --------------------------------------------------------
mkdir -p "$SRC/sub dir/deeper" "$SRC/private"
: >"$SRC/empty"
for i in $(seq 1 2000); do printf 'INSERT INTO t VALUES (%d, %s);\n' "$i" "$CANARY"; done >"$SRC/$CANARY_NAME"
head -c $((6 * 1024 * 1024)) /dev/urandom >"$SRC/big.bin"
printf 'spaces\n' >"$SRC/sub dir/with space.txt"
printf 'newline\n' >"$SRC/sub dir/new"$'\n'"line"
printf 'latin1\n' >"$SRC/sub dir/caf"$'\xe9'
truncate -s 3M "$SRC/sparse"
printf 'tail' >>"$SRC/sparse"
ln -s "../empty" "$SRC/sub dir/link-to-empty"
ln -s "/nonexistent/target" "$SRC/dangling"
printf 'x\n' >"$SRC/private/key"
chmod 0600 "$SRC/private/key"
chmod 0750 "$SRC/private"
chmod 0755 "$SRC/sub dir/deeper"
touch -d '2020-02-03 04:05:06.123456789' "$SRC/sub dir/with space.txt"
touch -h -d '2019-01-01 00:00:00' "$SRC/sub dir/link-to-empty"

# --- create and list ----------------------------------------------------------------------
expect_exit 0 "$WARD" --json backup create "$SRC" --tag first --tag nightly
assert_contains "$OUT" '"schema": "ward.backup.create/v1"'
ID1=$(json_field '["id"]' <<<"$OUT")
[[ $(json_field '["stats"]["files"]' <<<"$OUT") == 8 ]] || fail "expected 8 files: $OUT"
[[ $(json_field '["stats"]["dedup_bytes"]' <<<"$OUT") -lt 1048576 ]] || fail "first backup deduplicated a lot: $OUT"
expect_exit 0 "$WARD" backup list
assert_contains "$OUT" "${ID1:0:8}"
assert_contains "$OUT" "first,nightly"
expect_exit 0 "$WARD" --json backup list --tag nightly
assert_contains "$OUT" '"schema": "ward.backup.list/v1"'
assert_contains "$OUT" "$ID1"
expect_exit 0 "$WARD" --json backup list --tag nope
assert_not_contains "$OUT" "$ID1"

# --- restore: content, modes, times, symlinks ---------------------------------------------
expect_exit 0 "$WARD" backup restore "${ID1:0:8}" --to "$T/r1"
assert_contains "$OUT" "8 files"
R1=$T/r1$SRC
diff -r --no-dereference "$SRC" "$R1" || fail "restored tree differs"
meta() { (cd "$1" && find . -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort); }
# Directory times of the parent of the source are not compared; everything inside is.
assert_eq "$(meta "$R1")" "$(meta "$SRC")"
[[ $(readlink "$R1/dangling") == /nonexistent/target ]] || fail "dangling symlink not restored"

# Refuses to overwrite; --overwrite replaces.
printf 'changed' >"$R1/empty"
expect_exit 5 "$WARD" backup restore latest --to "$T/r1"
assert_contains "$ERR" "refusing to overwrite"
[[ $(cat "$R1/empty") == changed ]] || fail "a refused restore changed a file"
expect_exit 0 "$WARD" backup restore latest --to "$T/r1" --overwrite
[[ ! -s $R1/empty ]] || fail "--overwrite did not replace the file"
diff -r --no-dereference "$SRC" "$R1" || fail "tree differs after --overwrite"

# --- incremental: a one-byte insertion in the middle of the big file ----------------------
python3 - "$SRC/big.bin" <<'PY'
import sys
p = sys.argv[1]
b = open(p, 'rb').read()
open(p, 'wb').write(b[:3_000_000] + b'!' + b[3_000_000:])
PY
printf 'new file\n' >"$SRC/added.txt"
rm "$SRC/sub dir/with space.txt"
chmod 0700 "$SRC/private/key"
expect_exit 0 "$WARD" --json backup create "$SRC" --tag second
ID2=$(json_field '["id"]' <<<"$OUT")
new=$(json_field '["stats"]["new_bytes"]' <<<"$OUT")
dedup=$(json_field '["stats"]["dedup_bytes"]' <<<"$OUT")
((new < 4 * 1024 * 1024)) || fail "a one-byte insertion stored $new new bytes"
((dedup > 5 * 1024 * 1024)) || fail "only $dedup bytes deduplicated"

# Nothing changed: every file is taken over from the parent without reading, nothing is new.
expect_exit 0 "$WARD" --json backup create "$SRC"
assert_eq "$(json_field '["parent"]' <<<"$OUT")" "$ID2"
# (Only the tree may be new: the ancestor directories above $SRC changed.)
(($(json_field '["stats"]["new_chunks"]' <<<"$OUT") <= 1)) || fail "an unchanged tree stored new chunks"
(($(json_field '["stats"]["dedup_bytes"]' <<<"$OUT") >= $(json_field '["stats"]["bytes"]' <<<"$OUT"))) ||
  fail "unchanged files were not all deduplicated"
# Same size and modification time, other content: the change time gives it away.
old_mtime=$(stat -c %y "$SRC/sub dir/caf"$'\xe9')
printf 'LATIN1\n' >"$SRC/sub dir/caf"$'\xe9'
touch -d "$old_mtime" "$SRC/sub dir/caf"$'\xe9'
expect_exit 0 "$WARD" --json backup create "$SRC"
ID2B=$(json_field '["id"]' <<<"$OUT")
expect_exit 0 "$WARD" backup restore "$ID2B" --to "$T/r2b" --include "$SRC/sub dir"
[[ $(cat "$T/r2b$SRC/sub dir/caf"$'\xe9') == LATIN1 ]] || fail "a rewritten file with its old mtime was taken from the parent"

expect_exit 0 "$WARD" backup diff "$ID1" "$ID2"
assert_contains "$OUT" "+    $SRC/added.txt"
assert_contains "$OUT" "-    $SRC/sub dir/with space.txt"
assert_contains "$OUT" "M    $SRC/big.bin"
assert_contains "$OUT" "U    $SRC/private/key"
assert_not_contains "$OUT" "$SRC/empty"
expect_exit 0 "$WARD" --json backup diff "$ID1" latest
assert_contains "$OUT" '"schema": "ward.backup.diff/v1"'

# A subpath only.
expect_exit 0 "$WARD" backup restore latest --to "$T/r2" --include "$SRC/private"
[[ -f $T/r2$SRC/private/key && ! -e $T/r2$SRC/big.bin ]] || fail "--include restored the wrong set"
[[ $(stat -c %a "$T/r2$SRC/private") == 750 ]] || fail "directory mode not restored"
expect_exit 3 "$WARD" backup restore latest --to "$T/r3" --include /no/such/path
cmp "$SRC/big.bin" <(cat "$T/r1$SRC/big.bin") >/dev/null 2>&1 && fail "test bug: big.bin did not change"
expect_exit 0 "$WARD" backup restore "$ID2" --to "$T/r4"
cmp "$SRC/big.bin" "$T/r4$SRC/big.bin" || fail "big.bin of the second snapshot differs"

# --- stdin and --from-command ---------------------------------------------------------------
printf 'from stdin %s\n' "$CANARY" >"$T/stdin.txt"
expect_exit 0 "$WARD" --json backup create --stdin --stdin-name dumps/db.sql --source db <"$T/stdin.txt"
ID3=$(json_field '["id"]' <<<"$OUT")
expect_exit 0 "$WARD" backup restore "$ID3" --to "$T/r5"
cmp "$T/stdin.txt" "$T/r5/dumps/db.sql" || fail "stdin content differs"
expect_exit 0 "$WARD" --json backup create --from-command "cat '$T/stdin.txt'" --stdin-name again.sql --source db
assert_eq "$(json_field '["stats"]["new_chunks"]' <<<"$OUT")" "1"  # the tree only: data deduplicated
expect_exit 0 "$WARD" backup list --source db
assert_contains "$OUT" "2 snapshot(s)"
expect_exit 1 "$WARD" backup create --from-command "echo partial; exit 3" --source db
assert_contains "$ERR" "exit status 3"
expect_exit 0 "$WARD" backup list --source db
assert_contains "$OUT" "2 snapshot(s)"
expect_exit 2 "$WARD" backup create
expect_exit 2 "$WARD" backup create "$SRC" --stdin
expect_exit 3 "$WARD" backup restore ffffffff --to "$T/r6"
expect_exit 2 "$WARD" backup create "$SRC" --time yesterday

# --- verify, tampering ------------------------------------------------------------------------
expect_exit 0 "$WARD" backup verify
assert_contains "$OUT" "backups intact"
expect_exit 0 "$WARD" --json backup verify --read-data
assert_contains "$OUT" '"ok": true'
expect_exit 0 "$WARD" backup verify --read-data-subset 50%
expect_exit 2 "$WARD" backup verify --read-data-subset 0%
expect_exit 0 "$WARD" store verify

# Nothing readable in the store: not the planted content, not the file name, not the paths.
if grep -rqaF -- "$CANARY" "$STORE"; then fail "the planted secret is in the store in plaintext"; fi
if grep -rqaF -- "$CANARY_NAME" "$STORE"; then fail "a file name is in the store in plaintext"; fi
if grep -rqaF -- "sub dir" "$STORE"; then fail "a directory name is in the store in plaintext"; fi
if grep -rqaF -- "INSERT INTO" "$STORE"; then fail "file content is in the store in plaintext"; fi

cp -a "$STORE" "$T/store-good"
# One flipped bit in the middle of every pack.
mapfile -t packs < <(store_object_files "$STORE/backups" | grep -E '/backups/[^/]+/data/')
((${#packs[@]} > 0)) || fail "no pack found"
python3 - "${packs[@]}" <<'PY'
import sys
for p in sys.argv[1:]:
    b = bytearray(open(p, 'rb').read())
    b[len(b) // 2] ^= 0x01
    open(p, 'wb').write(bytes(b))
PY
store_objects_rewritten "${packs[@]}"
expect_exit 1 "$WARD" backup verify --read-data
assert_contains "$OUT" "failed authentication"
expect_exit 4 "$WARD" backup restore "$ID1" --to "$T/r7"
assert_contains "$ERR" "failed authentication"
rm -rf "$STORE" && cp -a "$T/store-good" "$STORE"
# A tampered index object: verify 1, restore 4.
index=$(store_object_files "$STORE/backups" | grep -E '/backups/[^/]+/index/' | head -1)
flip_bit "$index" 100
store_objects_rewritten "$index"
expect_exit 1 "$WARD" backup verify
expect_exit 4 "$WARD" backup restore "$ID1" --to "$T/r8"
rm -rf "$STORE" && cp -a "$T/store-good" "$STORE"
expect_exit 0 "$WARD" backup verify --read-data

# --- key rotation covers backups by rewrapping small objects, never packs -------------------
packs_before=$(store_object_files "$STORE/backups" | grep -E '/backups/[^/]+/data/' | xargs stat -c '%n %s %.9Y' | sort)
expect_exit 0 "$WARD" key rotate
expect_exit 0 "$WARD" --json key status
assert_contains "$OUT" '"objects": '
expect_exit 5 "$WARD" key retire 1
expect_exit 0 "$WARD" --json key rewrap
expect_exit 0 "$WARD" key retire 1
packs_after=$(store_object_files "$STORE/backups" | grep -E '/backups/[^/]+/data/' | xargs stat -c '%n %s %.9Y' | sort)
assert_eq "$packs_after" "$packs_before"
expect_exit 0 "$WARD" backup verify --read-data
expect_exit 0 "$WARD" backup restore "$ID2" --to "$T/r9"
cmp "$SRC/big.bin" "$T/r9$SRC/big.bin" || fail "restore after key retire differs"
expect_exit 0 "$WARD" maintenance

# --- audit: every command recorded, with counts, without names ------------------------------
expect_exit 0 "$WARD" --json audit log
for action in backup.create backup.list backup.restore backup.verify backup.diff; do
  assert_contains "$OUT" "\"$action\""
done
assert_contains "$OUT" '"new_bytes"'
assert_not_contains "$OUT" "$CANARY_NAME"
expect_exit 0 "$WARD" audit verify
# --- destroying a namespace crypto-shreds its backups and removes its packs ------------------
expect_exit 0 "$WARD" ns create tenant
expect_exit 0 "$WARD" --ns tenant backup create "$T/stdin.txt"
expect_exit 0 "$WARD" --ns tenant backup list
assert_contains "$OUT" "1 snapshot(s)"
expect_exit 0 "$WARD" backup list
assert_not_contains "$OUT" "$T/stdin.txt"
before=$(store_object_files "$STORE/backups" | wc -l)
expect_exit 0 "$WARD" ns destroy tenant --yes
after=$(store_object_files "$STORE/backups" | wc -l)
((after < before)) || fail "ns destroy left the namespace's backup objects ($before -> $after)"
expect_exit 0 "$WARD" backup verify --read-data
expect_exit 0 "$WARD" store verify
echo "backup: all checks passed"
