#!/usr/bin/env bash
# Credential lifecycle against the real binary: add from every secret source, get, show, list,
# rotate, revoke (one version, all, --purge), exec, generate with policies, the strength
# policy, usage errors, conflicts, and namespace isolation and destruction.
# backends: file sftp s3
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd python3

new_store
# Where the store's objects are on disk (the server's data directory on a remote backend).
STORE=${WARD_TEST_STORE_DIR:-$XDG_DATA_HOME/ward/store}
[[ -n $(find "$STORE" -maxdepth 1 -name 'config*' -type f) ]] || fail "no config in the store $STORE"
# json_get EXPR: evaluate a python expression over the JSON document in $OUT (bound to d).
json_get() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$OUT" "$1"; }

# --- add: the four non-interactive sources --------------------------------------------------
secret1="Stdin-Secret-$RANDOM-q8Zr!x2Lw#9vKp"
expect_exit 0 "$WARD" cred add db/prod --type postgres --field host=db.example.org \
  --field user=app --field dbname=orders --secret-stdin < <(printf '%s' "$secret1")
assert_contains "$OUT" "version 1"

expect_exit 0 "$WARD" cred add gen-token --type api-key --generate
expect_exit 0 "$WARD" cred get gen-token
[[ ${#OUT} -ge 20 ]] || fail "generated secret is too short: ${#OUT} characters"

filesecret="File-Secret-$RANDOM-Vb7#mQ2zT!r4"
printf '%s\n' "$filesecret" >"$T/secret.txt"
expect_exit 0 "$WARD" cred add from-file --type generic --secret-file "$T/secret.txt"
expect_exit 0 "$WARD" cred get from-file
assert_eq "$OUT" "$filesecret"

envsecret="Env-Secret-$RANDOM-Hq3!vN8xLp#2"
expect_exit 0 env MY_SECRET_VAR="$envsecret" "$WARD" cred add from-env --type generic \
  --secret-env MY_SECRET_VAR
expect_exit 0 "$WARD" cred get from-env
assert_eq "$OUT" "$envsecret"
expect_exit 2 "$WARD" cred add from-env2 --type generic --secret-env WARD_TEST_UNSET_VARIABLE

# --- get: the bare secret, byte for byte; a field; a version --------------------------------
"$WARD" cred get db/prod >"$T/get.out" || fail "cred get db/prod failed"
# Exactly the secret plus one newline, nothing else on stdout.
printf '%s\n' "$secret1" | cmp -s - "$T/get.out" || fail "cred get output is not exactly the secret"
expect_exit 0 "$WARD" cred get db/prod --field host
assert_eq "$OUT" "db.example.org"
expect_exit 0 "$WARD" cred get db/prod --field dbname
assert_eq "$OUT" "orders"
expect_exit 3 "$WARD" cred get db/prod --field no-such-field

# --- show never prints the secret; list -----------------------------------------------------
expect_exit 0 "$WARD" cred show db/prod
assert_contains "$OUT" "db.example.org"
assert_not_contains "$OUT" "$secret1"
assert_not_contains "$ERR" "$secret1"
expect_exit 0 "$WARD" --json cred show db/prod
assert_not_contains "$OUT" "$secret1"
assert_eq "$(json_get 'd["schema"]')" "ward.cred.show/v1"
assert_eq "$(json_get 'd["credential"]["current_version"]')" "1"
assert_eq "$(json_get 'd["credential"]["fields"]["user"]')" "app"
assert_eq "$(json_get '"password" in d["credential"]["fields"]')" "False"

expect_exit 0 "$WARD" cred list
for n in db/prod gen-token from-file from-env; do assert_contains "$OUT" "$n"; done
assert_not_contains "$OUT" "$secret1"
expect_exit 0 "$WARD" --json cred list
assert_not_contains "$OUT" "$secret1"
assert_eq "$(json_get 'd["schema"]')" "ward.cred.list/v1"
assert_eq "$(json_get 'sorted(c["name"] for c in d["credentials"])')" \
  "['db/prod', 'from-env', 'from-file', 'gen-token']"
assert_eq "$(json_get '[c["type"] for c in d["credentials"] if c["name"]=="db/prod"][0]')" "postgres"

# --- rotate: a new value, version 2; version 1 still readable -------------------------------
secret2="Rotated-Secret-$RANDOM-Zk4!pW9#cR7m"
expect_exit 0 "$WARD" cred rotate db/prod --secret-stdin < <(printf '%s' "$secret2")
expect_exit 0 "$WARD" cred get db/prod
assert_eq "$OUT" "$secret2"
expect_exit 0 "$WARD" cred get db/prod --version 1
assert_eq "$OUT" "$secret1"
expect_exit 0 "$WARD" cred get db/prod --version 2
assert_eq "$OUT" "$secret2"
expect_exit 3 "$WARD" cred get db/prod --version 9
expect_exit 0 "$WARD" --json cred show db/prod
assert_eq "$(json_get 'd["credential"]["current_version"]')" "2"
# The non-secret fields carry over to the new version.
expect_exit 0 "$WARD" cred get db/prod --field host
assert_eq "$OUT" "db.example.org"

expect_exit 0 "$WARD" cred rotate gen-token --generate
expect_exit 0 "$WARD" cred get gen-token --version 1
old_token=$OUT
expect_exit 0 "$WARD" cred get gen-token
[[ $OUT != "$old_token" ]] || fail "rotate --generate kept the same secret"

# --- revoke one version, then all -----------------------------------------------------------
expect_exit 0 "$WARD" cred revoke db/prod --version 1
expect_exit 3 "$WARD" cred get db/prod --version 1
expect_exit 0 "$WARD" cred get db/prod
assert_eq "$OUT" "$secret2"
expect_exit 0 "$WARD" cred revoke db/prod
expect_exit 3 "$WARD" cred get db/prod
expect_exit 3 "$WARD" cred get db/prod --version 2
expect_exit 0 "$WARD" --json cred show db/prod
assert_eq "$(json_get '2 in d["credential"]["revoked_versions"] and 1 in d["credential"]["revoked_versions"]')" "True"

# --- revoke --purge: the version objects leave the store -----------------------------------
expect_exit 0 "$WARD" --json cred show from-file
file_id=$(json_get 'd["credential"]["id"]')
[[ -n $(find "$STORE/creds" -path "*/$file_id/v000001.*" -type f) ]] ||
  fail "no object for from-file version 1 under $STORE/creds/*/$file_id"
expect_exit 0 "$WARD" cred revoke from-file --purge
[[ -z $(find "$STORE/creds" -path "*/$file_id/v000001.*" -type f) ]] ||
  fail "revoke --purge left the version 1 object of from-file in the store"
expect_exit 3 "$WARD" cred get from-file
expect_exit 3 "$WARD" cred get from-file --version 1
! grep -raF -- "$filesecret" "$STORE" >/dev/null || fail "purged secret still found in the store"

# --- exec: the child sees the credential, its exit code passes through ----------------------
pgsecret="Exec-Secret-$RANDOM-Yt6#nB1!sQ8w"
expect_exit 0 "$WARD" cred add pg --type postgres --field host=pg.internal --field user=svc \
  --secret-stdin < <(printf '%s' "$pgsecret")
expect_exit 0 "$WARD" cred exec pg -- sh -c 'printf "%s" "$PGPASSWORD" > "$1"; printf "%s" "$PGHOST" > "$2"' \
  sh "$T/child-pw" "$T/child-host"
assert_eq "$(cat "$T/child-pw")" "$pgsecret"
assert_eq "$(cat "$T/child-host")" "pg.internal"
expect_exit 42 "$WARD" cred exec pg -- sh -c 'exit 42'
expect_exit 0 "$WARD" cred exec pg --env MY_PW=password -- sh -c 'printf "%s" "$MY_PW" > "$1"' sh "$T/child-mypw"
assert_eq "$(cat "$T/child-mypw")" "$pgsecret"
[[ -z ${PGPASSWORD+x} ]] || fail "PGPASSWORD is set in the test's own environment"
expect_exit 2 "$WARD" cred exec pg
assert_not_contains "$OUT$ERR" "$pgsecret"

# --- generate with policies -----------------------------------------------------------------
for _ in 1 2 3 4 5; do
  expect_exit 0 "$WARD" cred generate --policy length=40,classes=ul,exclude=aeiouAEIOU
  [[ ${#OUT} -eq 40 ]] || fail "policy length=40 gave ${#OUT} characters: $OUT"
  [[ $OUT =~ ^[A-Za-z]+$ ]] || fail "policy classes=ul gave characters outside [A-Za-z]: $OUT"
  [[ $OUT != *[aeiouAEIOU]* ]] || fail "policy exclude=aeiouAEIOU not honoured: $OUT"
  [[ $OUT =~ [a-z] && $OUT =~ [A-Z] ]] || fail "policy classes=ul did not use both classes: $OUT"
  expect_exit 0 "$WARD" cred generate --policy pin
  [[ $OUT =~ ^[0-9]+$ ]] || fail "pin preset gave non-digits: $OUT"
  expect_exit 0 "$WARD" cred generate --policy length=64,classes=d
  [[ $OUT =~ ^[0-9]{64}$ ]] || fail "length=64,classes=d gave: $OUT"
  expect_exit 0 "$WARD" cred generate
  [[ ${#OUT} -ge 20 ]] || fail "default policy gave a short secret: $OUT"
done
a=$("$WARD" cred generate) b=$("$WARD" cred generate)
[[ $a != "$b" ]] || fail "two generated secrets are equal"
expect_exit 2 "$WARD" cred generate --policy length=abc
expect_exit 0 "$WARD" cred add gen-pin --type generic --generate --policy pin
expect_exit 0 "$WARD" cred get gen-pin
[[ $OUT =~ ^[0-9]+$ ]] || fail "cred add --generate --policy pin stored non-digits: $OUT"

# --- the strength policy --------------------------------------------------------------------
expect_exit 1 "$WARD" cred add weak --type generic --secret-stdin < <(printf 'password')
assert_contains "$ERR" "strength"
expect_exit 3 "$WARD" cred get weak
expect_exit 0 "$WARD" cred add weak --type generic --allow-weak --secret-stdin < <(printf 'password')
expect_exit 0 "$WARD" cred get weak
assert_eq "$OUT" "password"
expect_exit 1 "$WARD" cred rotate weak --secret-stdin < <(printf '123456')
expect_exit 0 "$WARD" cred get weak
assert_eq "$OUT" "password"

# --- usage errors, conflicts, not found -----------------------------------------------------
expect_exit 2 "$WARD" cred add argv-secret --type postgres --field password=hunter2 --generate
expect_exit 3 "$WARD" cred get argv-secret
expect_exit 2 "$WARD" cred add argv-secret --type api-key --field token=abc --generate
expect_exit 2 "$WARD" cred add bad-type --type no-such-type --generate
expect_exit 2 "$WARD" cred add no-source --type generic
expect_exit 5 "$WARD" cred add pg --type postgres --generate
assert_contains "$ERR" "exists"
expect_exit 0 "$WARD" cred get pg
assert_eq "$OUT" "$pgsecret"
expect_exit 3 "$WARD" cred get no-such-cred
expect_exit 3 "$WARD" cred show no-such-cred
expect_exit 3 "$WARD" cred rotate no-such-cred --generate
expect_exit 3 "$WARD" cred revoke no-such-cred
expect_exit 3 "$WARD" cred exec no-such-cred -- true

# --- namespaces: isolation, list, destroy ---------------------------------------------------
expect_exit 3 "$WARD" --ns t1 cred add x --type generic --generate
expect_exit 0 "$WARD" ns create t1
expect_exit 5 "$WARD" ns create t1
t1secret="Tenant-Secret-$RANDOM-Lm5!gH2#kP9z"
expect_exit 0 "$WARD" --ns t1 cred add only-in-t1 --type generic --secret-stdin < <(printf '%s' "$t1secret")
expect_exit 0 "$WARD" --ns t1 cred get only-in-t1
assert_eq "$OUT" "$t1secret"
expect_exit 3 "$WARD" cred get only-in-t1
expect_exit 0 "$WARD" cred list
assert_not_contains "$OUT" "only-in-t1"
expect_exit 0 "$WARD" --ns t1 cred list
assert_contains "$OUT" "only-in-t1"
assert_not_contains "$OUT" "gen-token"
# The same name in two namespaces is two credentials.
expect_exit 0 "$WARD" --ns t1 cred add pg --type postgres --generate
expect_exit 0 "$WARD" --ns t1 cred get pg
[[ $OUT != "$pgsecret" ]] || fail "pg in t1 reads the default namespace's secret"
expect_exit 0 "$WARD" cred get pg
assert_eq "$OUT" "$pgsecret"

expect_exit 0 "$WARD" --json ns list
assert_eq "$(json_get 'd["schema"]')" "ward.ns.list/v1"
assert_eq "$(json_get 'sorted(n["name"] for n in d["namespaces"])')" "['default', 't1']"
t1id=$(json_get '[n["id"] for n in d["namespaces"] if n["name"]=="t1"][0]')
[[ -n $t1id && -d $STORE/creds/$t1id && -d $STORE/keys/ns/$t1id ]] ||
  fail "namespace t1 (id $t1id) has no creds/ or keys/ns/ directory"

expect_exit 2 "$WARD" ns destroy t1
expect_exit 0 "$WARD" --ns t1 cred get only-in-t1
expect_exit 0 "$WARD" ns destroy t1 --yes
[[ -z $(find "$STORE/creds/$t1id" "$STORE/keys/ns/$t1id" -type f 2>/dev/null) ]] ||
  fail "ns destroy left objects: $(find "$STORE/creds/$t1id" "$STORE/keys/ns/$t1id" -type f)"
! grep -raF -- "$t1secret" "$STORE" >/dev/null || fail "destroyed namespace's secret still in the store"
expect_exit 0 "$WARD" ns list
assert_not_contains "$OUT" "t1"
expect_exit 3 "$WARD" --ns t1 cred get only-in-t1
expect_exit 3 "$WARD" ns destroy t1 --yes
# The default namespace is untouched.
expect_exit 0 "$WARD" cred get pg
assert_eq "$OUT" "$pgsecret"
expect_exit 0 "$WARD" store verify

# --- contract check that fails today (uncommitted; see the bug report) -----------------------
# Revoking an old version must not hide the current version's secret fields: show and list
# describe the credential's current version, not the newest object (the revocation marker).
expect_exit 0 "$WARD" cred add shown --type postgres --field host=h --generate
expect_exit 0 "$WARD" cred rotate shown --generate
expect_exit 0 "$WARD" cred revoke shown --version 1
expect_exit 0 "$WARD" cred get shown
expect_exit 0 "$WARD" --json cred show shown
assert_eq "$(json_get 'd["credential"]["current_version"]')" "2"
assert_eq "$(json_get 'd["credential"]["secret_fields"]')" "['password']"
expect_exit 0 "$WARD" cred show shown
assert_contains "$OUT" "password"
expect_exit 0 "$WARD" --json cred list
assert_eq "$(json_get '[c["secret_fields"] for c in d["credentials"] if c["name"]=="shown"][0]')" "['password']"

# exec's child gets the credential, not the means to unlock the whole store: WARD_KEY (the
# master-unlock key, base64) is not passed on, and a --passphrase-fd descriptor is closed.
expect_exit 0 env -u WARD_KEY_FILE WARD_KEY="$(base64 -w0 "$T/master.key")" "$WARD" cred exec pg -- \
  sh -c 'printf "%s" "${WARD_KEY-}" > "$1"' sh "$T/child-wardkey"
[[ ! -s $T/child-wardkey ]] || fail "cred exec passed WARD_KEY (the store's unlock key) to the child"
printf 'exec-fd-passphrase-%s-long' "$RANDOM" >"$T/pp"
expect_exit 0 "$WARD" key add-unlock --new-passphrase-file "$T/pp"
expect_exit 0 env -u WARD_KEY_FILE "$WARD" --passphrase-fd 7 cred exec pg -- \
  sh -c 'if [ -e /proc/$$/fd/7 ]; then echo open; fi > "$1"' sh "$T/child-fd" 7<"$T/pp"
[[ ! -s $T/child-fd ]] || fail "cred exec left the --passphrase-fd descriptor open in the child"

echo "cred_lifecycle: ok"
