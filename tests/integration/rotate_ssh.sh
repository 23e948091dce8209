#!/usr/bin/env bash
# SSH key rotation on OpenSSH's sshd: ward makes an Ed25519 key pair, appends its public key to
# the account's authorized_keys over SFTP, logs in with it, and after the grace period
# (`ward maintenance`) removes the old key, which sshd then refuses. `cred revoke --apply`
# removes the current key. Also the `command` driver: a hook that gets the new secret on stdin
# (never argv or environment), and a hook that fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/sshd.bash"
require_cmd jq ssh ssh-keygen

start_sshd
new_store
AUTH=$SSHD_HOME/authorized_keys

# logs_in KEY-FILE: whether sshd lets the test user in with this key (and nothing else).
logs_in() {
  ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none \
    -o PasswordAuthentication=no -o "UserKnownHostsFile=$SSHD_KNOWN_HOSTS" -o ConnectTimeout=5 \
    -i "$1" -p "$SSHD_PORT" "$SSHD_USER@$SSHD_HOST" true 2>/dev/null
}
key_of() { # NAME FILE: the credential's current private key, in a 0600 file for ssh
  (umask 077 && "$WARD" cred get "$1" >"$2")
}

expect_exit 0 "$WARD" cred add host --type ssh --field host=127.0.0.1 --field "port=$SSHD_PORT" \
  --field "user=$SSHD_USER" --field "hostkey=$SSHD_HOSTKEY_FP" --field "authorized_keys=$AUTH" \
  --secret-field private_key --secret-file "$SSHD_KEY"
logs_in "$SSHD_KEY" || fail "the original key does not log in"

# --- Rotate with a grace period: both keys work until it ends.
expect_exit 0 "$WARD" --json cred rotate host --generate --apply --grace 20s
assert_eq "$(jq -r '.state' <<<"$OUT")" rotated
assert_eq "$(jq -r '.driver' <<<"$OUT")" ssh-key
assert_eq "$(jq -r '.verified' <<<"$OUT")" true
key_of host "$T/new_key"
head -1 "$T/new_key" | grep -q 'BEGIN OPENSSH PRIVATE KEY' || fail "the new key is not in OpenSSH format"
ssh-keygen -y -f "$T/new_key" >"$T/new_key.pub" || fail "ssh-keygen cannot read ward's key"
assert_contains "$(cat "$T/new_key.pub")" "ssh-ed25519 "
expect_exit 0 "$WARD" --json cred show host
stored_pub=$(jq -r '.credential.fields.public_key' <<<"$OUT")
assert_eq "$(cut -d' ' -f1,2 <<<"$stored_pub")" "$(cut -d' ' -f1,2 "$T/new_key.pub")"
grep -qF "$(cut -d' ' -f2 "$T/new_key.pub")" "$AUTH" || fail "the new key is not in authorized_keys"
logs_in "$T/new_key" || fail "the new key does not log in"
logs_in "$SSHD_KEY" || fail "the old key stopped working inside the grace period"
expect_exit 0 "$WARD" --json check source host
assert_eq "$(jq -r '.results[0].facts.authenticated' <<<"$OUT")" true
# The private key never reached the server or a temp file.
grep -rqF "$(sed -n 2p "$T/new_key")" "$SSHD_HOME" && fail "the private key is on the server"
[[ -z $(find "$TMPDIR" -type f) ]] || fail "rotation left temp files"

# --- After the grace period `ward maintenance` removes the old key; sshd refuses it.
sleep 20
expect_exit 0 "$WARD" --json maintenance
assert_eq "$(jq -r '.revoked_versions' <<<"$OUT")" 1
logs_in "$SSHD_KEY" && fail "the old key still logs in after the grace period"
logs_in "$T/new_key" || fail "the new key stopped working"
assert_eq "$(grep -c . "$AUTH")" 1
expect_exit 3 "$WARD" cred get host --version 1

# --- Grace 0: the old key goes at once.
expect_exit 0 "$WARD" --json cred rotate host --apply
assert_eq "$(jq -r '.previous_revoked' <<<"$OUT")" true
key_of host "$T/third_key"
logs_in "$T/third_key" || fail "the third key does not log in"
logs_in "$T/new_key" && fail "the second key still logs in after a rotation without grace"
assert_eq "$(grep -c . "$AUTH")" 1

# --- The server gone before the change: nothing changed, the current key still works.
stop_sshd
expect_exit 6 "$WARD" cred rotate host --apply --timeout 2s
assert_contains "$ERR" "nothing changed on the target"
restart_sshd
logs_in "$T/third_key" || fail "the current key stopped working after a failed rotation"
assert_eq "$(grep -c . "$AUTH")" 1

# --- Revocation on the target: the key is removed, then the credential is revoked.
expect_exit 0 "$WARD" --json cred revoke host --apply
assert_eq "$(jq -r '.applied' <<<"$OUT")" true
logs_in "$T/third_key" && fail "a revoked key still logs in"
assert_eq "$(grep -c . "$AUTH" || true)" 0
expect_exit 3 "$WARD" cred get host

# --- The command driver: the new secret on stdin only.
hook=$T/hook.sh
cat >"$hook" <<'HOOK'
#!/bin/sh
# A target that keeps its secret in a file: change writes it, verify compares.
state=$HOOK_DIR/target.secret
printf '%s %s\n' "$WARD_ROTATE_ACTION" "$*" >>"$HOOK_DIR/argv.log"
env >>"$HOOK_DIR/env.log"
case $WARD_ROTATE_ACTION in
  change) cat >"$state" ;;
  verify) [ "$(cat)" = "$(cat "$state")" ] || exit 1 ;;
  revoke) : >"$state" ;;
esac
HOOK
chmod +x "$hook"
export HOOK_DIR=$T
printf 'Hook-seed-Zz1!abc' >"$T/target.secret"
printf 'Hook-seed-Zz1!abc' | "$WARD" cred add api --type generic --field "rotate_command=$hook" \
  --secret-stdin >/dev/null
expect_exit 0 "$WARD" --json cred rotate api --apply
assert_eq "$(jq -r '.state' <<<"$OUT")" rotated
assert_eq "$(jq -r '.driver' <<<"$OUT")" command
hooked=$("$WARD" cred get api)
assert_eq "$(cat "$T/target.secret")" "$hooked"
assert_contains "$(cat "$T/argv.log")" "change"
assert_contains "$(cat "$T/argv.log")" "verify"
grep -qF "$hooked" "$T/argv.log" "$T/env.log" && fail "the hook saw the secret in argv or environment"
grep -q '^WARD_KEY' "$T/env.log" && fail "the hook got the store's unlock key"
grep -q '^WARD_CRED_NAME=api$' "$T/env.log" || fail "the hook did not get WARD_CRED_NAME"

# A hook that fails: nothing changed, the message carries the hook's last stderr line.
printf 'Hook-seed-Zz1!abc' | "$WARD" cred add broken --type generic \
  --field 'rotate_command=cat >/dev/null; echo "target said no" >&2; exit 3' --secret-stdin >/dev/null
expect_exit 1 "$WARD" --json cred rotate broken --apply
assert_eq "$(jq -r '.state' <<<"$OUT")" unchanged
assert_contains "$ERR" "failed with exit status 3: target said no"
assert_contains "$ERR" "nothing changed on the target"
assert_eq "$("$WARD" cred get broken)" 'Hook-seed-Zz1!abc'
expect_exit 0 "$WARD" --json cred show broken
assert_eq "$(jq -r '.credential.current_version' <<<"$OUT")" 1

# Revoke through the hook.
expect_exit 0 "$WARD" cred revoke api --apply
[[ ! -s $T/target.secret ]] || fail "the revoke hook did not run"
echo "rotate on sshd and through hooks: ok"
