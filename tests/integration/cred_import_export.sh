#!/usr/bin/env bash
# `ward cred import` from a .env file, a JSON document and a real pass(1) store (gpg with a
# throwaway GNUPGHOME and a passphrase-less key), and `ward cred export`: values arrive intact,
# malformed input stores nothing and names the file and line, existing names are refused unless
# --overwrite (a new version, history kept), --dry-run changes nothing, export without --reveal
# holds no secret, export --reveal | import into another namespace gives identical credentials,
# both are audited, and no planted secret is left in plaintext in the store, temp files or logs.
# backends: file s3
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd jq pass gpg gpgconf

new_store
STORE=${WARD_TEST_STORE_DIR:-$XDG_DATA_HOME/ward/store}
count() { "$WARD" --json "$@" cred list | jq '.credentials | length'; }

s_db="Db-Pw-$RANDOM-q8Zr!x2Lw"
s_api="Api-$RANDOM-Vb7mQ2zTr4"
s_multi="Multi-$RANDOM"
mkdir -p "$T/in"
cat >"$T/in/app.env" <<ENV
# application secrets
export DB_PASSWORD="$s_db \"quoted\" # not a comment" # a comment
API_TOKEN = $s_api   # trailing comment
LITERAL='lit\$eral\n'
MULTI="$s_multi
second line"
ENV

# --- .env: dry run, import, values ------------------------------------------------------------
expect_exit 0 "$WARD" --json cred import "$T/in/app.env" --prefix app/ --dry-run
assert_eq "$(jq -r '.schema' <<<"$OUT")" ward.cred.import/v1
assert_eq "$(jq -r '.dry_run' <<<"$OUT")" true
assert_eq "$(jq -r '[.credentials[].name] | join(",")' <<<"$OUT")" \
  "app/DB_PASSWORD,app/API_TOKEN,app/LITERAL,app/MULTI"
assert_eq "$(jq -r '.credentials[1].origin' <<<"$OUT")" "$T/in/app.env:3"
assert_eq "$(count)" 0
expect_exit 0 "$WARD" cred import "$T/in/app.env" --prefix app/
assert_contains "$OUT" "imported 4 credential(s)"
expect_exit 0 "$WARD" cred get app/DB_PASSWORD
assert_eq "$OUT" "$s_db \"quoted\" # not a comment"
expect_exit 0 "$WARD" cred get app/API_TOKEN
assert_eq "$OUT" "$s_api"
expect_exit 0 "$WARD" cred get app/LITERAL
assert_eq "$OUT" 'lit$eral\n'
expect_exit 0 "$WARD" cred get app/MULTI
assert_eq "$OUT" "$s_multi"$'\n'"second line"

# --- existing names: refused whole; --overwrite adds a version and keeps the history ----------
printf 'NEW_ONE=%s\nAPI_TOKEN=%s-2\n' "$s_api" "$s_api" >"$T/in/more.env"
expect_exit 5 "$WARD" cred import "$T/in/more.env" --prefix app/
assert_contains "$ERR" "already exist in namespace default: app/API_TOKEN"
assert_contains "$ERR" "--overwrite"
expect_exit 3 "$WARD" cred get app/NEW_ONE # nothing half-imported
expect_exit 0 "$WARD" --json cred import "$T/in/more.env" --prefix app/ --overwrite
assert_eq "$(jq -r '[.credentials[].action] | join(",")' <<<"$OUT")" "add,new_version"
expect_exit 0 "$WARD" cred get app/API_TOKEN
assert_eq "$OUT" "$s_api-2"
expect_exit 0 "$WARD" cred get app/API_TOKEN --version 1
assert_eq "$OUT" "$s_api"
expect_exit 5 "$WARD" cred import "$T/in/more.env" --prefix app/ --type postgres --overwrite
assert_contains "$ERR" "is stored as a generic credential, not postgres"

# --- malformed input: exit 2, file and line, nothing stored, no value in the message ----------
before=$(count)
printf 'GOOD_ONE=%s\nGOOD_TWO=x\nBROKEN %s\n' "$s_api" "$s_db" >"$T/in/bad.env"
expect_exit 2 "$WARD" cred import "$T/in/bad.env"
assert_contains "$ERR" "ward: error: $T/in/bad.env:3: expected '=' after the key BROKEN"
assert_not_contains "$ERR" "$s_db"
printf 'A=1\nB="%s\n' "$s_db" >"$T/in/open.env"
expect_exit 2 "$WARD" cred import "$T/in/open.env"
assert_contains "$ERR" "open.env:2: the double-quoted value is never closed"
assert_not_contains "$ERR" "$s_db"
printf 'A=1\nA=2\n' >"$T/in/dup.env"
expect_exit 2 "$WARD" cred import "$T/in/dup.env"
assert_contains "$ERR" "dup.env:2: the key A is also on line 1"
printf '{"A": "%s",\n  "B": "%s' "$s_api" "$s_db" >"$T/in/bad.json"
expect_exit 2 "$WARD" cred import "$T/in/bad.json"
assert_contains "$ERR" "bad.json:2:"
assert_contains "$ERR" "not valid JSON"
assert_not_contains "$ERR" "$s_db"
printf '{"schema": "ward.cred.export/v1", "credentials": [{"name": "x", "type": "generic", "secrets": {"secret": "v"}}, {"name": "y", "type": "nosuch", "secrets": {"secret": "v"}}]}' >"$T/in/badtype.json"
expect_exit 2 "$WARD" cred import "$T/in/badtype.json"
assert_contains "$ERR" "badtype.json: credentials[1]: unknown credential type 'nosuch'"
expect_exit 3 "$WARD" cred import "$T/in/missing.env"
expect_exit 2 "$WARD" cred import "$T/in/app.env" --input-format yaml
assert_eq "$(count)" "$before"

# --- JSON: a flat object (sops -d), and the export round trip ---------------------------------
expect_exit 0 "$WARD" cred import - --type api-key < <(printf '{"FLAT_A": "%s", "FLAT_B": "b\\"c"}' "$s_multi")
expect_exit 0 "$WARD" --json cred show FLAT_A
assert_eq "$(jq -r '.credential.type' <<<"$OUT")" api-key
expect_exit 0 "$WARD" cred get FLAT_B
assert_eq "$OUT" 'b"c'
printf 'Pg-%s-Secret!9' "$RANDOM" >"$T/in/pgpw"
s_pg=$(cat "$T/in/pgpw")
printf 'KEY-MATERIAL-%s' "$RANDOM" >"$T/in/sslkey"
expect_exit 0 "$WARD" cred add db/prod --type postgres --field host=db.internal --field port=5432 \
  --field user=app --field-file "sslkey=$T/in/sslkey" --secret-file "$T/in/pgpw" --rotate-every 90d --allow-weak
expect_exit 0 "$WARD" cred rotate db/prod --generate --policy length=24
expect_exit 0 "$WARD" cred add gone --type generic --generate
expect_exit 0 "$WARD" cred revoke gone

expect_exit 0 "$WARD" cred export
hidden=$OUT
assert_eq "$(jq -r '.schema' <<<"$hidden")" ward.cred.export/v1
assert_eq "$(jq -r '.revealed' <<<"$hidden")" false
assert_eq "$(jq -r '[.credentials[] | select(.secrets)] | length' <<<"$hidden")" 0
assert_eq "$(jq -r '.credentials[] | select(.name == "db/prod") | .secret_fields | join(",")' <<<"$hidden")" \
  "password,sslkey"
assert_eq "$(jq -r '[.credentials[].name] | index("gone")' <<<"$hidden")" null
for s in "$s_db" "$s_api" "$s_pg" "$(cat "$T/in/sslkey")"; do assert_not_contains "$hidden" "$s"; done
expect_exit 3 "$WARD" --ns staging cred import "$T/in/app.env"
assert_contains "$ERR" "no namespace 'staging'"
expect_exit 0 "$WARD" ns create staging
expect_exit 2 "$WARD" --ns staging cred import - <<<"$hidden"
assert_contains "$ERR" "exported without --reveal"

expect_exit 0 "$WARD" cred export --reveal
revealed=$OUT
assert_eq "$(jq -r '.revealed' <<<"$revealed")" true
assert_eq "$(jq -r '.credentials[] | select(.name == "db/prod") | .metadata.version' <<<"$revealed")" 2
assert_eq "$(jq -r '.credentials[] | select(.name == "db/prod") | .rotate_every' <<<"$revealed")" 90d
expect_exit 0 "$WARD" --ns staging cred import - <<<"$revealed"
expect_exit 0 "$WARD" --ns staging cred export --reveal
strip='del(.namespace, .exported, .credentials[].metadata)'
assert_eq "$(jq -S "$strip" <<<"$OUT")" "$(jq -S "$strip" <<<"$revealed")"
expect_exit 0 "$WARD" --ns staging cred get db/prod --field sslkey
assert_eq "$OUT" "$(cat "$T/in/sslkey")"
expect_exit 0 "$WARD" --ns staging cred export db/prod app/MULTI
assert_eq "$(jq -r '[.credentials[].name] | join(",")' <<<"$OUT")" "app/MULTI,db/prod"
expect_exit 3 "$WARD" --ns staging cred export nosuch

# Both directions are audited, with whether secrets were revealed; never a value.
expect_exit 0 "$WARD" --json audit log --action cred.export
assert_eq "$(jq -r '[.events[] | select(.namespace == "default") | .details.revealed] | map(tostring) | join(",")' <<<"$OUT")" "false,true"
expect_exit 0 "$WARD" --json --ns staging audit log --action cred.import
assert_eq "$(jq -r '.events | map(select(.outcome == "ok" and .namespace == "staging")) | .[0].details.count' <<<"$OUT")" \
  "$(jq -r '.credentials | length' <<<"$revealed")"

# --- pass: a real store encrypted with gpg ----------------------------------------------------
export GNUPGHOME=$T/gnupg PASSWORD_STORE_DIR=$T/pass
mkdir -m 700 "$GNUPGHOME"
defer 'gpgconf --kill gpg-agent'
gpg --batch --quiet --passphrase '' --quick-gen-key 'ward test <test@ward.invalid>' \
  future-default default never 2>/dev/null || fail "cannot make a gpg test key"
pass init test@ward.invalid >/dev/null
s_pass="Pass-$RANDOM-Kq3!zz"
printf '%s\nuser: app\nhost: db.internal\ntoken: %s\nfree text note\notpauth://totp/x?secret=ABC\n' \
  "$s_pass" "$s_api" | pass insert -m pg/main >/dev/null
printf '%s\n' "$s_multi" | pass insert -m web/admin >/dev/null
mkdir -p "$PASSWORD_STORE_DIR/.git" && printf 'not an entry' >"$PASSWORD_STORE_DIR/.git/x.gpg"
expect_exit 0 "$WARD" --json cred import --input-format pass --prefix pass/ --type postgres --dry-run
assert_eq "$(jq -r '[.credentials[].name] | join(",")' <<<"$OUT")" "pass/pg/main,pass/web/admin"
expect_exit 0 "$WARD" cred import --input-format pass --prefix pass/ --type postgres
expect_exit 0 "$WARD" cred get pass/pg/main
assert_eq "$OUT" "$s_pass"
expect_exit 0 "$WARD" cred get pass/pg/main --field token
assert_eq "$OUT" "$s_api"
expect_exit 0 "$WARD" cred get pass/pg/main --field notes
assert_eq "$OUT" "free text note"
expect_exit 0 "$WARD" --json cred show pass/pg/main
assert_eq "$(jq -r '.credential.fields.user + "@" + .credential.fields.host' <<<"$OUT")" app@db.internal
assert_eq "$(jq -r '.credential.secret_fields | join(",")' <<<"$OUT")" "notes,otpauth,password,token"
expect_exit 0 "$WARD" cred get pass/web/admin
assert_eq "$OUT" "$s_multi"

# An entry this keyring cannot decrypt: exit 4, gpg's reason, nothing imported.
gpg --batch --quiet --passphrase '' --quick-gen-key 'other <other@ward.invalid>' \
  future-default default never 2>/dev/null
mkdir -p "$PASSWORD_STORE_DIR/locked"
pass init -p locked other@ward.invalid >/dev/null
printf 'x-%s\n' "$RANDOM" | pass insert -m locked/entry >/dev/null
fpr=$(gpg --with-colons --list-secret-keys other@ward.invalid | awk -F: '$1 == "fpr" {print $10; exit}')
gpg --batch --yes --delete-secret-keys "$fpr" 2>/dev/null || fail "cannot drop the other secret key"
expect_exit 4 "$WARD" --ns staging cred import --input-format pass --prefix p2/
assert_contains "$ERR" "cannot decrypt pass entry locked/entry"
assert_contains "$ERR" "No secret key"
expect_exit 3 "$WARD" --ns staging cred get p2/pg/main
expect_exit 3 "$WARD" cred import --input-format pass "$T/nosuch"

# --- no planted secret in plaintext in the store, the spool, temp files or HOME ---------------
for s in "$s_db" "$s_api" "$s_multi" "$s_pg" "$s_pass" "$(cat "$T/in/sslkey")"; do
  hits=$(grep -ralF -- "$s" "$STORE" "$XDG_STATE_HOME" "$TMPDIR" "$HOME" 2>/dev/null || true)
  [[ -z $hits ]] || fail "a planted secret is in plaintext in: $hits"
done
