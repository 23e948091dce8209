#!/usr/bin/env bash
# An sftp:// store through the CLI against a real OpenSSH sshd: host key trust (unknown key
# refused, --accept-new-hostkey records it, a changed key refused with both fingerprints),
# refused credentials, an unreachable port, a silent server, the server dying in the middle of
# a write (killed by strace inside the real sftp-server at its fsync and at its link into place):
# exit 6, no partial object, the next run succeeds. The server only ever sees ciphertext;
# `store info` and `store verify` work.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/sftp.bash"
require_cmd strace grep

unset SSH_AUTH_SOCK
start_sftp_store
STORE_DIR=$WARD_TEST_STORE_DIR
KNOWN=$WARD_SSH_KNOWN_HOSTS

# --- an unknown host key is refused; init --accept-new-hostkey records it --------------------
export WARD_SSH_KNOWN_HOSTS=$T/ssh/known_hosts
expect_exit 4 "$WARD" init --key-file "$T/master.key"
assert_contains "$ERR" "is not known"
assert_contains "$ERR" "$SSHD_HOSTKEY_FP"
assert_contains "$ERR" "--accept-new-hostkey"
[[ ! -e $T/master.key ]] || fail "a refused init left a key file"
[[ ! -e $STORE_DIR ]] || fail "a refused init created the store directory"
expect_exit 0 "$WARD" init --key-file "$T/master.key" --accept-new-hostkey
grep -q "^\[$SSHD_HOST\]:$SSHD_PORT ssh-ed25519 " "$WARD_SSH_KNOWN_HOSTS" ||
  fail "init --accept-new-hostkey did not record the host key: $(cat "$WARD_SSH_KNOWN_HOSTS")"
export WARD_KEY_FILE=$T/master.key
# Later commands verify against the recorded key, without the flag.
canary="Sftp-Canary-$RANDOM$RANDOM-Zq9#x"
expect_exit 0 "$WARD" cred add canary-name-sftp --type api-key --secret-stdin < <(printf '%s' "$canary")
expect_exit 0 "$WARD" cred get canary-name-sftp
assert_eq "$OUT" "$canary"

# --- the server sees only ciphertext and opaque ids -----------------------------------------
[[ -f $STORE_DIR/config ]] || fail "no config object in the server-side directory $STORE_DIR"
! grep -raF -- "$canary" "$STORE_DIR" >/dev/null || fail "the secret is readable on the server"
! grep -raF -- "canary-name-sftp" "$STORE_DIR" >/dev/null ||
  fail "the credential name is readable on the server"
[[ -z $(find "$STORE_DIR" -path '*/.tmp/*' -type f) ]] || fail "temporary files were left behind"

# --- store info and store verify -------------------------------------------------------------
expect_exit 0 "$WARD" --json store info
assert_contains "$OUT" "\"url\": \"$WARD_STORE\""
assert_contains "$OUT" '"put_if_absent": "atomic"'
expect_exit 0 "$WARD" store verify
assert_contains "$OUT" "store intact"

# --- a changed host key is refused, showing both fingerprints --------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$T/impostor"
printf '[%s]:%s %s\n' "$SSHD_HOST" "$SSHD_PORT" "$(cut -d' ' -f1,2 "$T/impostor.pub")" >"$T/wrong_known_hosts"
impostor_fp=$(ssh-keygen -l -f "$T/impostor.pub" | cut -d' ' -f2)
expect_exit 4 "$WARD" --ssh-known-hosts "$T/wrong_known_hosts" cred get canary-name-sftp
assert_contains "$ERR" "does not match"
assert_contains "$ERR" "$SSHD_HOSTKEY_FP"
assert_contains "$ERR" "$impostor_fp"
assert_not_contains "$OUT" "$canary"
# ... also by init --accept-new-hostkey, which only accepts keys the file does not know.
expect_exit 4 "$WARD" --store "$WARD_STORE-new" --ssh-known-hosts "$T/wrong_known_hosts" \
  init --key-file "$T/other.key" --accept-new-hostkey
export WARD_SSH_KNOWN_HOSTS=$KNOWN

# --- refused credentials: exit 4, no secret in the message -----------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger"
expect_exit 4 "$WARD" --ssh-identity "$T/stranger" cred list
assert_contains "$ERR" "authentication as $SSHD_USER"
printf 'Wrong-Ssh-Pw-%s\n' "$RANDOM" >"$T/wrong_password"
expect_exit 4 env -u WARD_SSH_IDENTITY HOME="$T/nohome" "$WARD" --ssh-password-file "$T/wrong_password" cred list
assert_not_contains "$ERR" "Wrong-Ssh-Pw"
# The right password works without any key.
expect_exit 0 env -u WARD_SSH_IDENTITY HOME="$T/nohome" WARD_SSH_PASSWORD_FILE="$SSHD_PASSWORD_FILE" "$WARD" cred get canary-name-sftp
assert_eq "$OUT" "$canary"
expect_exit 2 "$WARD" --ssh-identity "$T/no-such-key" cred list
assert_contains "$ERR" "$T/no-such-key"

# --- bad URLs and an unreachable port --------------------------------------------------------
expect_exit 2 "$WARD" --store "sftp://$SSHD_USER:pw@$SSHD_HOST:$SSHD_PORT/x" cred list
assert_not_contains "$ERR" ":pw@"
closed=$((SSHD_PORT == 65000 ? 65001 : 65000))
while (exec 3<>"/dev/tcp/127.0.0.1/$closed") 2>/dev/null; do closed=$((closed - 1)); done
expect_exit 6 "$WARD" --store "sftp://$SSHD_USER@127.0.0.1:$closed/tmp/x" cred list
assert_contains "$ERR" "cannot connect to 127.0.0.1:$closed"

# --- a server that accepts and never answers: a timeout, not a hang --------------------------
kill -STOP "$SSHD_PID"
start=$SECONDS
expect_exit 6 env WARD_SSH_TIMEOUT=2s "$WARD" cred list
kill -CONT "$SSHD_PID"
assert_contains "$ERR" "no answer"
((SECONDS - start < 15)) || fail "a silent server held ward for $((SECONDS - start)) s"

# --- the whole server stopped between runs: exit 6, then back ---------------------------------
stop_sshd
expect_exit 6 "$WARD" cred get canary-name-sftp
assert_contains "$ERR" "cannot connect"
restart_sshd
expect_exit 0 "$WARD" cred get canary-name-sftp

# --- the server killed in the middle of a write ----------------------------------------------
# The real sftp-server runs under strace, which kills it (and so the session) when it syncs a
# file (ward's temporary object: data written, not yet in place) or links one into place.
versions_before=$(find "$STORE_DIR/creds" -type f | wc -l)
for point in fsync link; do
  SSHD_SFTP_SUBSYSTEM="/usr/bin/strace -f -o /dev/null -e inject=$point:signal=KILL /usr/lib/openssh/sftp-server"
  restart_sshd
  expect_exit 6 "$WARD" cred rotate canary-name-sftp --generate
  assert_contains "$ERR" "connection"
  SSHD_SFTP_SUBSYSTEM=internal-sftp
  restart_sshd
  # Nothing half-written is visible: the store verifies and the secret is the old one.
  expect_exit 0 "$WARD" store verify
  expect_exit 0 "$WARD" cred get canary-name-sftp
  assert_eq "$OUT" "$canary"
  [[ $(find "$STORE_DIR/creds" -type f | wc -l) == "$versions_before" ]] ||
    fail "a write killed at $point left a new object: $(find "$STORE_DIR/creds" -type f)"
done
# The next run succeeds, and maintenance clears the temporary files the killed writes left.
expect_exit 0 "$WARD" cred rotate canary-name-sftp --generate
expect_exit 0 "$WARD" cred get canary-name-sftp
[[ $OUT != "$canary" ]] || fail "rotate after the faults did not store a new secret"
[[ -n $(find "$STORE_DIR/.tmp" -type f) ]] || fail "expected the killed writes to leave temporary files"
expect_exit 0 "$WARD" maintenance --temp-age 0s
left=$(find "$STORE_DIR/.tmp" -type f -printf '%f %TT %s\n')
[[ -z $left ]] || fail "maintenance left stale temporary files (now $(date +%T.%N)): $left"
expect_exit 0 "$WARD" audit verify
