#!/usr/bin/env bash
# Commands that change a store, killed with SIGKILL at many points (by time, and on entering
# each state-changing syscall under strace fault injection): `cred rotate`, `key rotate`,
# `key rotate --master`, `cred revoke --purge`, `cred add`, `ns create`, `maintenance`. After every kill:
#   - `ward store verify` and `ward audit verify` exit 0;
#   - every credential that read before still reads, with the same secret (in both
#     namespaces, with the original key file, also after a killed master-key rotation), and
#     `ward cred list` lists it;
#   - the credential being changed reads (0) or, for a revoke, reads or is revoked (3):
#     never damaged (4) or an internal error (70);
#   - running the command again completes, and its effect is then visible.
#
# WARD_FAULT_LONG=1 runs many more kill points.
# The --check commands are single-quoted on purpose: the harness runs them with bash later.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/fault/fault.bash"

if [[ $FAULT_LONG == 1 ]]; then
  TIME_POINTS=40 SYSCALL_TRIALS=300
else
  TIME_POINTS=3 SYSCALL_TRIALS=22
fi
CREDS=20

# The template: two namespaces with credentials, the key file, a state directory.
TPL=$FAULT_ROOT/tpl
mkdir -p "$TPL/state"
export WARD_STORE=file://$TPL/store WARD_KEY_FILE=$TPL/master.key XDG_STATE_HOME=$TPL/state
expect_exit 0 "$WARD" init --key-file "$WARD_KEY_FILE" --kdf-memory 8192 --kdf-iterations 1
# A second unlock entry, a passphrase: `key rotate --master` cannot rewrap it (only the entry
# in use is), so it must end either still opening everything or cleanly refused.
printf '%s' 'crash-test passphrase, long enough 7' >"$TPL/passphrase"
expect_exit 0 "$WARD" key add-unlock --new-passphrase-file "$TPL/passphrase"
for ((i = 1; i <= CREDS; i++)); do
  "$WARD" cred add "c$i" --type generic --generate >/dev/null 2>&1 || fail "ward cred add c$i failed"
done
expect_exit 0 "$WARD" cred rotate c1 --generate
expect_exit 0 "$WARD" ns create t1
for i in 1 2 3; do
  expect_exit 0 "$WARD" --ns t1 cred add "t$i" --type generic --generate
done
expect_exit 0 "$WARD" key rotate
expect_exit 0 "$WARD" cred add c-after-rotate --type generic --generate
SECRETS=$T/default.tsv SECRETS_T1=$T/t1.tsv
for name in $("$WARD" cred list --json | python3 -c 'import json,sys; [print(c["name"]) for c in json.load(sys.stdin)["credentials"]]'); do
  printf '%s\t%s\n' "$name" "$("$WARD" cred get "$name" 2>/dev/null)"
done >"$SECRETS"
for i in 1 2 3; do printf 't%d\t%s\n' "$i" "$("$WARD" --ns t1 cred get "t$i" 2>/dev/null)"; done >"$SECRETS_T1"
(($(cut -f2 "$SECRETS" | grep -c .) == CREDS + 1)) || fail "could not read back every secret"
(($(cut -f2 "$SECRETS_T1" | grep -c .) == 3)) || fail "could not read back every secret of t1"
unset WARD_STORE WARD_KEY_FILE XDG_STATE_HOME

# crash VICTIM_ARGS CHANGED [CHECK...]: kill `ward VICTIM_ARGS` (a JSON array of the arguments
# after the binary) at many points; CHANGED is the credential it changes (left out of the
# exact-secret checks), CHECK... are its own invariants, run after the common ones.
crash() {
  local args=$1 changed=$2 skip=()
  shift 2
  [[ -n $changed ]] && skip=(--skip "$changed")
  local checks=(
    --check '"$WARD" store verify'
    --check "bash '$FAULT_CHECKS' listed '$SECRETS' ${skip[*]}"
    --check "bash '$FAULT_CHECKS' secrets '$SECRETS' --sample 2 ${skip[*]}"
    --check "WARD_NS=t1 bash '$FAULT_CHECKS' secrets '$SECRETS_T1'"
    --check '"$WARD" audit verify'
  )
  for c in "$@"; do checks+=(--check "$c"); done
  local victim
  victim=$(python3 -c 'import json,sys; print(json.dumps([sys.argv[1]] + json.loads(sys.argv[2])))' "$WARD" "$args")
  run_harness --name "ward ${args//[\[\]\",]/}" --store-template "$TPL" \
    --env 'WARD_STORE=file://{dir}/store' --env 'WARD_KEY_FILE={dir}/master.key' \
    --env 'XDG_STATE_HOME={dir}/state' --victim "$victim" "${checks[@]}" \
    --time-points "$TIME_POINTS" --syscall-points auto --max-syscall-trials "$SYSCALL_TRIALS"
}

# A credential rotation: c5 reads (old or new secret); rotating again works and reads.
crash '["cred", "rotate", "c5", "--generate"]' c5 \
  "bash '$FAULT_CHECKS' get-status c5 0" \
  '"$WARD" cred rotate c5 --generate && "$WARD" cred get c5 >/dev/null && "$WARD" store verify'

# A KEK rotation: rotating again works; a rewrap then leaves nothing on old versions.
crash '["key", "rotate"]' '' \
  '"$WARD" key status --json >/dev/null' \
  '"$WARD" key rotate' \
  "bash '$FAULT_CHECKS' keys-rewrapped" \
  "bash '$FAULT_CHECKS' secrets '$SECRETS' --sample 2"

# A master-key rotation: the original key file still unlocks (the checks above read every
# secret with it); the passphrase entry either still reads or is refused as a wrong
# passphrase (the rotation drops entries it cannot rewrap), never "damaged"; rotating again
# works and everything still reads.
crash '["key", "rotate", "--master"]' '' \
  'rc=0; out=$(env -u WARD_KEY_FILE WARD_PASSPHRASE_FILE="$FAULT_DIR/passphrase" "$WARD" cred get c2 2>&1 >/dev/null) || rc=$?
   ((rc == 0)) || [[ $rc == 4 && $out == *"wrong passphrase"* ]] || { echo "exit $rc: $out"; exit 1; }' \
  '"$WARD" key status --json >/dev/null' \
  '"$WARD" key rotate --master' \
  '"$WARD" store verify' \
  "bash '$FAULT_CHECKS' secrets '$SECRETS'" \
  "WARD_NS=t1 bash '$FAULT_CHECKS' secrets '$SECRETS_T1'"

# A revocation with purge: c7 reads or is revoked, never damaged; revoking again works, and
# then c7 is revoked.
crash '["cred", "revoke", "c7", "--purge"]' c7 \
  "bash '$FAULT_CHECKS' get-status c7 0,3" \
  '"$WARD" cred revoke c7 --purge' \
  "bash '$FAULT_CHECKS' get-status c7 3" \
  '"$WARD" store verify'

# A new credential: it reads or does not exist (3); if it does not, adding it works.
crash '["cred", "add", "new", "--type", "generic", "--generate"]' '' \
  "bash '$FAULT_CHECKS' get-status new 0,3" \
  'rc=0; "$WARD" cred get new >/dev/null 2>&1 || rc=$?
   if ((rc == 3)); then "$WARD" cred add new --type generic --generate; fi &&
   "$WARD" cred get new >/dev/null && "$WARD" store verify'

# A new namespace: listed or not; if not, creating it works; then it holds a credential.
crash '["ns", "create", "t2"]' '' \
  'if ! "$WARD" ns list --json | grep -q "\"t2\""; then "$WARD" ns create t2; fi' \
  '"$WARD" --ns t2 cred add x --type generic --generate && "$WARD" --ns t2 cred get x >/dev/null' \
  '"$WARD" store verify && "$WARD" audit verify'
# Maintenance: sealing audit events into segments and removing what it supersedes. The
# common checks verify the trail; running it again completes and the trail still verifies,
# and every event is still readable by `audit log`.
crash '["maintenance", "--seal-min", "5"]' '' \
  '"$WARD" maintenance --seal-min 5 >/dev/null' \
  '"$WARD" audit verify && "$WARD" audit log --json >/dev/null && "$WARD" store verify'
fault_finish
