#!/usr/bin/env bash
# Tampering: one flipped byte in any object, an object copied over another's path, deleted,
# reordered or truncated audit events, and an edited config must be detected — reading
# commands exit 4, judging commands (store verify, audit verify) exit 1 — never accepted.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd python3

new_store
STORE=$XDG_DATA_HOME/ward/store
json_get() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$OUT" "$1"; }

# flip FILE [POS]: xor one bit of the byte at POS (default: the middle of the file).
flip() {
  python3 - "$@" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
assert b, p + " is empty"
i = int(sys.argv[2]) if len(sys.argv) > 2 else len(b) // 2
if i < 0: i += len(b)
b[i] ^= 0x01
open(p, "wb").write(b)
EOF
}

# copy_store: a fresh copy of the pristine store at $C (and $CS, its URL).
C=$T/copy CS=file://$T/copy
copy_store() { rm -rf "$C" && cp -a "$STORE" "$C"; }
# one FILE-GLOB: the single file under the copy matching the glob.
one() {
  local -a m
  mapfile -t m < <(cd "$C" && compgen -G "$1")
  ((${#m[@]} == 1)) || fail "expected one object matching $1 in the store, found ${#m[@]}: ${m[*]}"
  printf '%s' "$C/${m[0]}"
}

# --- a store with something in every family -------------------------------------------------
sa="Tamper-A-$RANDOM-Rk2#vM8!qZ5p" sb="Tamper-B-$RANDOM-Lx7!nW3#tJ9c"
expect_exit 0 "$WARD" cred add alpha --type generic --secret-stdin < <(printf '%s' "$sa")
expect_exit 0 "$WARD" cred add beta --type generic --secret-stdin < <(printf '%s' "$sb")
for _ in 1 2 3 4; do expect_exit 0 "$WARD" cred get alpha; done
expect_exit 0 "$WARD" --json cred show alpha
ida=$(json_get 'd["credential"]["id"]')
expect_exit 0 "$WARD" --json cred show beta
idb=$(json_get 'd["credential"]["id"]')
expect_exit 0 "$WARD" --json ns list
nsid=$(json_get '[n["id"] for n in d["namespaces"] if n["name"]=="default"][0]')
expect_exit 0 "$WARD" store verify
expect_exit 0 "$WARD" audit verify
# Note: `store verify` and `audit verify` are audited too, so the trail keeps growing.
nevents=$(cd "$STORE/audit" && compgen -G '[0-9]*' | wc -l)
((nevents >= 8)) || fail "expected at least 8 audit events, found $nevents"

# --- the pristine copy works (so every failure below is the tampering's doing) --------------
copy_store
expect_exit 0 "$WARD" --store "$CS" cred get alpha
assert_eq "$OUT" "$sa"
expect_exit 0 "$WARD" --store "$CS" store verify
expect_exit 0 "$WARD" --store "$CS" audit verify

# --- a credential object: first byte (header), middle, last byte (tag) ----------------------
for pos in 0 mid -1; do
  copy_store
  obj=$(one "creds/$nsid/$ida/v000001.g*")
  if [[ $pos == mid ]]; then flip "$obj"; else flip "$obj" "$pos"; fi
  expect_exit 4 "$WARD" --store "$CS" cred get alpha
  assert_not_contains "$OUT" "$sa"
  expect_exit 0 "$WARD" --store "$CS" cred get beta
  assert_eq "$OUT" "$sb"
  expect_exit 1 "$WARD" --store "$CS" store verify
done

# --- a KEK object ---------------------------------------------------------------------------
copy_store
flip "$(one "keys/ns/$nsid/kek/v000001.g*")"
expect_exit 4 "$WARD" --store "$CS" cred get alpha
assert_not_contains "$OUT" "$sa"
expect_exit 1 "$WARD" --store "$CS" store verify

# --- the root keys --------------------------------------------------------------------------
copy_store
flip "$(one "keys/root/store.g*")"
expect_exit 4 "$WARD" --store "$CS" cred get alpha
assert_not_contains "$OUT" "$sa"
rc=0; "$WARD" --store "$CS" store verify >/dev/null 2>&1 || rc=$?
[[ $rc != 0 ]] || fail "store verify accepted tampered root keys"

# --- a namespace meta object ----------------------------------------------------------------
copy_store
flip "$(one "keys/ns/$nsid/meta.g*")"
expect_exit 4 "$WARD" --store "$CS" cred get alpha
assert_not_contains "$OUT" "$sa"
rc=0; "$WARD" --store "$CS" store verify >/dev/null 2>&1 || rc=$?
[[ $rc != 0 ]] || fail "store verify accepted a tampered namespace meta object"

# --- an unlock entry: the only one, so the store cannot be unlocked -------------------------
copy_store
flip "$(one "keys/unlock/*")"
expect_exit 4 "$WARD" --store "$CS" cred get alpha
assert_contains "$ERR" "cannot unlock"
assert_not_contains "$OUT" "$sa"
# Its wrapped master key specifically (a base64 character changed to another).
copy_store
python3 - "$(one "keys/unlock/*")" <<'EOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
w = d["wrapped_master"]
i = len(w) // 2
d["wrapped_master"] = w[:i] + ("A" if w[i] != "A" else "B") + w[i + 1:]
json.dump(d, open(p, "w"), indent=2)
EOF
expect_exit 4 "$WARD" --store "$CS" cred get alpha
assert_contains "$ERR" "cannot unlock"

# --- config: a flipped byte, and an edited value -------------------------------------------
copy_store
flip "$C/config"
expect_exit 4 "$WARD" --store "$CS" cred get alpha
assert_not_contains "$OUT" "$sa"
copy_store
grep -q '"kek_max_age": "90d"' "$C/config" || fail "config does not hold kek_max_age 90d: $(cat "$C/config")"
sed -i 's/"kek_max_age": "90d"/"kek_max_age": "1d"/' "$C/config"
expect_exit 4 "$WARD" --store "$CS" cred get alpha
assert_not_contains "$OUT" "$sa"
expect_exit 4 "$WARD" --store "$CS" key status
expect_exit 4 "$WARD" --store "$CS" cred add new --type generic --generate
copy_store
sed -i 's/"put_if_absent": "atomic"/"put_if_absent": "suffix"/' "$C/config"
! cmp -s "$C/config" "$STORE/config" || fail "the put_if_absent edit did not change config"
expect_exit 4 "$WARD" --store "$CS" cred get alpha

# --- an object copied over another's path ---------------------------------------------------
copy_store
cp "$(one "creds/$nsid/$ida/v000001.g*")" "$(one "creds/$nsid/$idb/v000001.g*")"
expect_exit 4 "$WARD" --store "$CS" cred get beta
assert_not_contains "$OUT" "$sa"
expect_exit 0 "$WARD" --store "$CS" cred get alpha
expect_exit 1 "$WARD" --store "$CS" store verify
# ... and over another version of the same credential.
copy_store
expect_exit 0 "$WARD" --store "$CS" cred rotate alpha --generate
cp "$(one "creds/$nsid/$ida/v000001.g*")" "$(one "creds/$nsid/$ida/v000002.g*")"
expect_exit 4 "$WARD" --store "$CS" cred get alpha
assert_not_contains "$OUT" "$sa"
# ... and into another namespace.
copy_store
expect_exit 0 "$WARD" --store "$CS" ns create other
expect_exit 0 "$WARD" --store "$CS" --ns other cred add alpha --type generic --generate
expect_exit 0 "$WARD" --json --store "$CS" ns list
nsother=$(json_get '[n["id"] for n in d["namespaces"] if n["name"]=="other"][0]')
expect_exit 0 "$WARD" --json --store "$CS" --ns other cred show alpha
idother=$(json_get 'd["credential"]["id"]')
cp "$(one "creds/$nsid/$ida/v000001.g*")" "$(one "creds/$nsother/$idother/v000001.g*")"
expect_exit 4 "$WARD" --store "$CS" --ns other cred get alpha
assert_not_contains "$OUT" "$sa"

# --- audit events: modified, deleted, reordered ---------------------------------------------
copy_store
flip "$C/audit/000000000003"
expect_exit 1 "$WARD" --store "$CS" audit verify
assert_contains "$OUT$ERR" "event 3"
expect_exit 1 "$WARD" --store "$CS" store verify

copy_store
rm "$C/audit/000000000003"
expect_exit 1 "$WARD" --store "$CS" audit verify
assert_contains "$OUT$ERR" "missing"
assert_contains "$OUT$ERR" "3"
expect_exit 1 "$WARD" --store "$CS" store verify

copy_store
mv "$C/audit/000000000003" "$T/ev3"
mv "$C/audit/000000000004" "$C/audit/000000000003"
mv "$T/ev3" "$C/audit/000000000004"
expect_exit 1 "$WARD" --store "$CS" audit verify
expect_exit 1 "$WARD" --store "$CS" store verify

copy_store
cp "$C/audit/000000000002" "$C/audit/000000000003"
expect_exit 1 "$WARD" --store "$CS" audit verify

# --- truncation, against a checkpoint kept outside the store --------------------------------
expect_exit 0 "$WARD" audit checkpoint
line=$OUT
[[ $line == ward-checkpoint/v1\ * ]] || fail "audit checkpoint printed: $line"
copy_store
expect_exit 0 "$WARD" --store "$CS" audit verify --checkpoint "$line"
printf '%s\n' "$line" >"$T/checkpoint.txt"
expect_exit 0 "$WARD" --store "$CS" audit verify --checkpoint "$T/checkpoint.txt"

copy_store
mapfile -t evs < <(cd "$C/audit" && compgen -G '[0-9]*' | sort)
rm "$C/audit/${evs[-1]}" "$C/audit/${evs[-2]}"
# The attacker also removes the store's own checkpoints: only the saved line can tell.
rm -rf "$C/audit/checkpoints"
expect_exit 0 "$WARD" --store "$CS" audit verify
expect_exit 1 "$WARD" --store "$CS" audit verify --checkpoint "$line"
assert_contains "$OUT$ERR" "truncated"
expect_exit 1 "$WARD" --store "$CS" audit verify --checkpoint "$T/checkpoint.txt"
# New events appended after the truncation rewrite the history the checkpoint signed.
for _ in 1 2 3; do expect_exit 0 "$WARD" --store "$CS" cred get beta; done
expect_exit 1 "$WARD" --store "$CS" audit verify --checkpoint "$line"
# The untouched store still matches.
expect_exit 0 "$WARD" audit verify --checkpoint "$line"

# A forged or foreign checkpoint.
forged=$(python3 -c 'import sys; s=sys.argv[1].split(" "); s[3]="0"*64; print(" ".join(s))' "$line")
expect_exit 1 "$WARD" audit verify --checkpoint "$forged"
expect_exit 0 "$WARD" --store "file://$T/other" init --key-file "$T/other.key"
expect_exit 0 "$WARD" --store "file://$T/other" --key-file "$T/other.key" audit checkpoint
foreign=$OUT
rc=0; "$WARD" audit verify --checkpoint "$foreign" >/dev/null 2>&1 || rc=$?
[[ $rc == 1 || $rc == 2 ]] || fail "a checkpoint of another store gave exit $rc (want 1 or 2)"
expect_exit 2 "$WARD" audit verify --checkpoint "not a checkpoint"

# The original store was never harmed by any of this.
expect_exit 0 "$WARD" store verify
expect_exit 0 "$WARD" cred get alpha
assert_eq "$OUT" "$sa"

# --- contract checks that fail today (kept out of the committed test; see the bug report) ---
# store verify is a judging command: damage it finds is exit 1, not 4 (DESIGN.md, exit codes).
copy_store
flip "$(one "keys/root/store.g*")"
expect_exit 1 "$WARD" --store "$CS" store verify
copy_store
flip "$(one "keys/ns/$nsid/meta.g*")"
expect_exit 1 "$WARD" --store "$CS" store verify
# A damaged newest audit event: store verify must report it (1), not die appending its own event.
copy_store
mapfile -t evs < <(cd "$C/audit" && compgen -G '[0-9]*' | sort)
flip "$C/audit/${evs[-1]}"
expect_exit 1 "$WARD" --store "$CS" audit verify
expect_exit 1 "$WARD" --store "$CS" store verify
# Errors say what failed, on what: a tampered credential object is named.
copy_store
flip "$(one "creds/$nsid/$ida/v000001.g*")"
expect_exit 4 "$WARD" --store "$CS" cred get alpha
[[ $ERR == *alpha* || $ERR == *"$ida"* ]] || fail "the error does not name the damaged credential: $ERR"
# Every byte of an unlock entry is authenticated: an edited 'created' is not silently accepted.
copy_store
entry=$(one "keys/unlock/*")
python3 - "$entry" <<'PY'
import json, sys
p = sys.argv[1]
t = open(p).read()
d = json.loads(t)
c = d["created"]
new = str(int(c[:4]) - 1) + c[4:]
assert t.count(c) == 1
open(p, "w").write(t.replace(c, new))
PY
! cmp -s "$entry" "$STORE/${entry#"$C"/}" || fail "the edit did not change the unlock entry"
expect_exit 4 "$WARD" --store "$CS" cred get alpha

echo "tamper: ok"
