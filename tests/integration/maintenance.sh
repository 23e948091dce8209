#!/usr/bin/env bash
# `ward maintenance` removes what interrupted work leaves behind, and never the last good copy.
# backends: file sftp
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

new_store
STORE=$WARD_TEST_STORE_DIR
printf 'first-secret-Aa1!xyz' | "$WARD" cred add a --type generic --secret-stdin --allow-weak >/dev/null
printf 'second-secret-Bb2!xyz' | "$WARD" cred add b --type generic --secret-stdin --allow-weak >/dev/null
"$WARD" key rotate >/dev/null
"$WARD" key rewrap >/dev/null

# What a rewrap killed before its cleanup leaves: an older generation beside the newer one.
mapfile -t objects < <(find "$STORE/creds" -name '*.g2' | sort)
((${#objects[@]} == 2)) || fail "expected 2 rewrapped objects, found ${#objects[@]}"
# (-p: on a remote backend the server's user must own what it later reads or removes)
cp -p "${objects[0]}" "${objects[0]%.g2}.g1"
cp -p "${objects[1]}" "${objects[1]%.g2}.g1"
# A damaged newest generation: its older, good generation must survive.
python3 - "${objects[1]}" <<'PY'
import sys
p = sys.argv[1]
data = bytearray(open(p, 'rb').read())
data[len(data) // 2] ^= 0x01
open(p, 'wb').write(bytes(data))
PY
# A temp file of a writer killed long ago, and one of a writer that may still be running.
touch -d '3 hours ago' "$STORE/.tmp/killed-writer.tmp"
touch "$STORE/.tmp/running-writer.tmp"

expect_exit 0 "$WARD" --json maintenance --temp-age 2h
python3 - "$OUT" <<'PY' || fail "unexpected maintenance report: $OUT"
import json, sys
r = json.loads(sys.argv[1])
assert r["schema"] == "ward.maintenance/v1", r
assert r["superseded_generations"] == 1, r
assert len(r["unopenable_newest"]) == 1, r
PY
[[ ! -e $STORE/.tmp/killed-writer.tmp ]] || fail "stale temp file not removed"
[[ -e $STORE/.tmp/running-writer.tmp ]] || fail "a fresh temp file was removed"
[[ ! -e ${objects[0]%.g2}.g1 ]] || fail "superseded generation not removed"
[[ -e ${objects[1]%.g2}.g1 ]] || fail "the last good generation was removed"

# Both credentials still read (b from its older, good generation).
expect_exit 0 "$WARD" cred get a
assert_eq "$OUT" "first-secret-Aa1!xyz"
expect_exit 0 "$WARD" cred get b
assert_eq "$OUT" "second-secret-Bb2!xyz"
# The damaged generation is still reported by verify.
expect_exit 1 "$WARD" store verify
assert_contains "$OUT" "fails authentication"
echo "maintenance: ok"
