#!/usr/bin/env bash
# Plant known secrets (canaries) and known names, run every command with -v, -vv and --json,
# and look for them everywhere: a secret may appear only where the user asked for it (stdout of
# `cred get`, the environment of `cred exec`'s child); the names of credentials and namespaces
# never appear in plaintext in the store. Secrets are never passed on a command line.
# backends: file sftp
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd python3 base64 grep

use_backend
STORE=$WARD_TEST_STORE_DIR
S1="S3cret-Canary-$RANDOM-$RANDOM-Qz7#first"
S2="S3cret-Canary-$RANDOM-$RANDOM-Wv4!second"
NAME=canary-name-XYZ
NS=tenant-canary
LOGS=$T/logs CHILD=$T/child
mkdir -p "$LOGS" "$CHILD"

# run LABEL [ward args...]: run ward, stdout to $LOGS/LABEL.out, stderr to $LOGS/LABEL.err, and
# require exit 0. Standard input is inherited (feed secrets with a redirection on the call).
# A secret is never allowed in the arguments: checked here, for every call.
n=0
run() {
  local label=$1 a rc=0
  shift
  for a in "$@"; do
    [[ $a != *S3cret-Canary* ]] || fail "test bug: a secret on the command line of $label"
  done
  n=$((n + 1))
  label=$(printf '%03d-%s' "$n" "$label")
  "$WARD" "$@" >"$LOGS/$label.out" 2>"$LOGS/$label.err" || rc=$?
  if ((rc != 0)); then
    cat "$LOGS/$label.err" >&2
    fail "ward $* exited $rc"
  fi
  LAST=$LOGS/$label.out
}
# Allowed: the stdout of these labels may hold a secret (the user asked for it).
allowed=()
allow_last() { allowed+=("$(basename "$LAST")"); }

run init -v init --key-file "$T/master.key"
export WARD_KEY_FILE=$T/master.key
run ns-create -v ns create "$NS"
run ns-create-json --json -v ns create other-tenant
run add -v --ns "$NS" cred add "$NAME" --type postgres --field host=db.canary.test \
  --field user=canary --secret-stdin < <(printf '%s' "$S1")
run add-json -vv --json --ns "$NS" cred add "$NAME-2" --type generic --secret-stdin < <(printf '%s' "$S1")
run add-logjson -vv --log-format json --ns "$NS" cred add "$NAME-3" --type api-key --generate

run get -v --ns "$NS" cred get "$NAME"
allow_last
grep -qxF -- "$S1" "$LAST" || fail "cred get did not print the secret"
run get-json -vv --json --ns "$NS" cred get "$NAME"
allow_last
grep -qF -- "$S1" "$LAST" || fail "cred get --json did not print the secret"
run get-field -v --ns "$NS" cred get "$NAME" --field host
run show -v --ns "$NS" cred show "$NAME"
run show-json -vv --json --ns "$NS" cred show "$NAME"
run list -v --ns "$NS" cred list
run list-json -vv --json --ns "$NS" cred list
run list-default -v cred list

run rotate -v --ns "$NS" cred rotate "$NAME" --secret-stdin < <(printf '%s' "$S2")
run rotate-json -vv --json --ns "$NS" cred rotate "$NAME-2" --secret-stdin < <(printf '%s' "$S2")
run get2 -v --ns "$NS" cred get "$NAME"
allow_last
grep -qxF -- "$S2" "$LAST" || fail "cred get after rotate did not print the new secret"
run get-v1 -v --ns "$NS" cred get "$NAME" --version 1
allow_last
grep -qxF -- "$S1" "$LAST" || fail "cred get --version 1 did not print the first secret"

# exec: the child writes what it sees to a file outside the store and $TMPDIR (allowed), and
# checks that no process's command line around it carries the secret.
run exec -v --ns "$NS" cred exec "$NAME" -- sh -c '
  printf "%s" "$PGPASSWORD" > "$1/env"
  for p in $$ $PPID; do tr "\0" " " < /proc/$p/cmdline; echo; done > "$1/cmdlines"
' sh "$CHILD"
[[ $(cat "$CHILD/env") == "$S2" ]] || fail "exec's child did not see the current secret"
! grep -qF -- "S3cret-Canary" "$CHILD/cmdlines" || fail "a secret is on a command line: $(cat "$CHILD/cmdlines")"
run exec-json -vv --json --ns "$NS" cred exec "$NAME" --env CANARY=password -- sh -c 'test -n "$CANARY"'

run revoke-v1 -v --ns "$NS" cred revoke "$NAME" --version 1
run revoke-json -vv --json --ns "$NS" cred revoke "$NAME-2" --version 1
run key-rotate -v --ns "$NS" key rotate
run key-rewrap -vv --ns "$NS" key rewrap
run key-rotate-json --json -v --ns "$NS" key rotate
run key-rewrap-json --json -v --ns "$NS" key rewrap
run key-status -v --ns "$NS" key status
run key-status-json --json -vv --ns "$NS" key status
run key-retire -v --ns "$NS" key retire 1
run get3 -v --ns "$NS" cred get "$NAME"
allow_last
grep -qxF -- "$S2" "$LAST" || fail "cred get after rewrap did not print the secret"
run master -v key rotate --master
run get4 -v --ns "$NS" cred get "$NAME-2"
allow_last
grep -qxF -- "$S2" "$LAST" || fail "cred get after rotate --master did not print the secret"

run audit-log -v audit log
grep -q "cred.get" "$LAST" || fail "audit log has no cred.get event"
grep -q "cred.exec" "$LAST" || fail "audit log has no cred.exec event"
run audit-log-json -vv --json audit log
run audit-log-ns --json --ns "$NS" audit log --target "$NAME"
run audit-log-action -v audit log --action cred.
run audit-verify -vv audit verify
run audit-checkpoint -v audit checkpoint
run audit-verify-json --json -v audit verify --checkpoint "$(cat "$LAST")"
run store-verify -vv store verify
run store-verify-json --json -v store verify
run store-info -v store info
run store-info-json --json store info
run ns-list -v ns list
run ns-list-json --json -vv ns list
run generate -v cred generate
allow_last
run revoke-all -v --ns "$NS" cred revoke "$NAME"
run revoke-purge -vv --json --ns "$NS" cred revoke "$NAME-2" --purge
run audit-log-end -vv --json audit log

# Failures are logged too: none of their messages may carry a secret.
k=0
for args in "--ns $NS cred get $NAME" "--ns $NS cred get $NAME --version 2" "--ns $NS cred add $NAME-3 --type generic --generate"; do
  for j in "" --json; do
    k=$((k + 1))
    # shellcheck disable=SC2086
    "$WARD" -vv $j $args >"$LOGS/fail-$k.out" 2>"$LOGS/fail-$k.err" && fail "ward $j $args succeeded"
    [[ -s $LOGS/fail-$k.err ]] || fail "ward $j $args failed without a message on stderr"
  done
done

((n >= 40)) || fail "expected at least 40 commands, ran $n"

# --- where the secrets may and may not be ---------------------------------------------------
b64() { # the three base64 alignments of a string, minus the unstable edges
  local s=$1 i
  for i in 0 1 2; do printf '%s' "${s:i}" | base64 -w0 | cut -c2- | rev | cut -c4- | rev; done
}
needles=("$S1" "$S2")
while read -r e; do needles+=("$e"); done < <(b64 "$S1"; b64 "$S2")

for f in "$LOGS"/*; do
  base=$(basename "$f")
  ok=0
  for a in "${allowed[@]}"; do [[ $base == "$a" ]] && ok=1; done
  ((ok)) && continue
  for s in "$S1" "$S2"; do
    ! grep -qaF -- "$s" "$f" || fail "a secret appears in $base: $(grep -aF -- "$s" "$f" | head -3)"
  done
done
# stdout of commands that were not asked for a secret really was checked above; sanity:
[[ -n $(find "$LOGS" -name '*-show-json.out' -size +10c) ]] || fail "no show --json output captured"

for s in "${needles[@]}"; do
  ! grep -raqF -- "$s" "$STORE" || fail "secret (or its base64) in the store: $(grep -ralF -- "$s" "$STORE")"
  ! grep -raqF -- "$s" "$TMPDIR" || fail "secret (or its base64) under TMPDIR: $(grep -ralF -- "$s" "$TMPDIR")"
  ! grep -raqF -- "$s" "$HOME" || fail "secret (or its base64) under HOME: $(grep -ralF -- "$s" "$HOME")"
done
# Nothing else in the test's private directory holds a secret, except the logs and the child.
hits=$(grep -ralF -e "$S1" -e "$S2" "$T" | grep -v -e "^$LOGS/" -e "^$CHILD/" || true)
[[ -z $hits ]] || fail "secret found in: $hits"

# Names of credentials and namespaces are keyed hashes in the store: never plaintext.
for s in "$NAME" "$NS" "other-tenant" "canary-name" "db.canary.test"; do
  ! grep -raqF -- "$s" "$STORE" || fail "'$s' appears in plaintext in the store: $(grep -ralF -- "$s" "$STORE")"
  # The listing goes to a file first: under pipefail, `find | grep -q` that matches early can
  # fail on find's SIGPIPE, and the `!` would then hide the match.
  (cd "$STORE" && find .) >"$T/store-paths"
  ! grep -qF -- "$s" "$T/store-paths" || fail "'$s' appears in a path in the store"
done
# ... while the audit log (decrypted, for the operator) does name them — so the grep above is
# looking at the right strings.
grep -qF -- "$NAME" "$LOGS"/*-audit-log-end.out || fail "the audit log does not name the credential"

# --- contract check that fails today (uncommitted; see the bug report) -----------------------
# -v/-vv promise "more log output on stderr": the runs above must have logged something, or the
# stderr checks above prove nothing about the logs.
logged=$(cat "$LOGS"/[0-9]*-key-rewrap.err "$LOGS"/[0-9]*-store-verify.err "$LOGS"/[0-9]*-add-json.err | wc -c)
((logged > 0)) || fail "-vv wrote no log output at all (key rewrap, store verify, cred add)"

echo "no_plaintext: ok"
