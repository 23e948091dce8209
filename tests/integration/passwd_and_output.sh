#!/usr/bin/env bash
# `ward passwd` (bcrypt, strength policy) and the output contract shared by every command:
# JSON documents with a schema, the ward.error/v1 document on stderr, usage errors, no colour
# when piped, JSON logs.
# backends: file sftp s3
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

# --- passwd ---------------------------------------------------------------------------------
expect_exit 0 "$WARD" passwd hash --cost 4 < <(printf 'correct horse battery staple\n')
hash=$OUT
[[ $hash == '$2b$04$'* ]] || fail "not a \$2b\$ cost-4 hash: $hash"
((${#hash} == 60)) || fail "bcrypt hash has ${#hash} characters"
expect_exit 0 "$WARD" passwd verify "$hash" < <(printf 'correct horse battery staple\n')
assert_eq "$OUT" "match"
expect_exit 1 "$WARD" passwd verify "$hash" < <(printf 'Correct horse battery staple\n')
assert_eq "$OUT" "no match"
expect_exit 2 "$WARD" passwd hash --cost 3 < <(printf 'x\n')
expect_exit 2 "$WARD" passwd hash --cost 32 < <(printf 'x\n')
# The password never reaches the output or the errors.
expect_exit 2 "$WARD" passwd hash --cost 4 < <(printf '%080d\n' 7)
assert_not_contains "$ERR" "0000000000"
expect_exit 0 "$WARD" --json passwd hash --cost 4 < <(printf 'another pass phrase\n')
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["schema"]=="ward.passwd.hash/v1" and d["cost"]==4 and d["hash"].startswith("$2b$04$")' "$OUT" ||
  fail "bad passwd hash JSON: $OUT"

expect_exit 1 "$WARD" passwd check < <(printf 'password\n')
assert_contains "$OUT" "weak"
assert_contains "$OUT" "commonly used"
expect_exit 1 "$WARD" passwd check < <(printf 'Tr0ub4d&r\n')
assert_contains "$OUT" "shorter than 12"
expect_exit 0 "$WARD" passwd check < <(printf 'vK#9q2!Lm8zR$w4Tx7pE\n')
assert_contains "$OUT" "acceptable"
expect_exit 0 "$WARD" passwd check --min-length 4 --min-entropy 10 < <(printf 'k9#Lz\n')
expect_exit 1 "$WARD" --json passwd check < <(printf 'letmein\n')
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["schema"]=="ward.passwd.check/v1" and d["acceptable"] is False and d["problems"]' "$OUT" ||
  fail "bad passwd check JSON: $OUT"

# --- output contract ----------------------------------------------------------------------------
expect_exit 0 "$WARD" --version
[[ $OUT == "ward "[0-9]* ]] || fail "unexpected --version output: $OUT"
expect_exit 2 "$WARD"
expect_exit 2 "$WARD" frobnicate
expect_exit 2 "$WARD" cred
expect_exit 2 "$WARD" cred add x --type nosuchtype --generate

new_store
expect_exit 3 "$WARD" --json cred get no-such-credential
[[ -z $OUT ]] || fail "a failed --json command printed on stdout: $OUT"
python3 - "$ERR" <<'PY' || fail "no ward.error/v1 document on stderr: $ERR"
import json, sys
docs = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
assert len(docs) == 1, docs
d = docs[0]
assert d["schema"] == "ward.error/v1" and d["code"] == 3 and "no-such-credential" in d["message"], d
PY
assert_contains "$ERR" "ward: error: no credential 'no-such-credential'"
assert_contains "$ERR" "ward: hint:"

# Piped output carries no terminal escapes, even with colour not disabled.
"$WARD" cred add c1 --type generic --generate >/dev/null
expect_exit 0 "$WARD" cred list
[[ $OUT != *$'\033'* ]] || fail "escape sequences in piped output"
assert_contains "$OUT" "c1"
expect_exit 0 "$WARD" --json cred list
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["schema"]=="ward.cred.list/v1" and d["credentials"][0]["name"]=="c1"' "$OUT" ||
  fail "bad cred list JSON"

# JSON logs: every stderr line is a JSON object with a level.
expect_exit 0 "$WARD" -v --log-format json cred get c1
[[ -n $ERR ]] || fail "-v logged nothing"
python3 - "$ERR" <<'PY' || fail "stderr lines are not JSON logs: $ERR"
import json, sys
for line in sys.argv[1].splitlines():
    d = json.loads(line)
    assert d["level"] in ("debug", "info", "warning", "error", "trace"), d
PY
expect_exit 0 "$WARD" -q cred get c1
[[ -z $ERR ]] || fail "-q still logged: $ERR"
echo "passwd and output: ok"
