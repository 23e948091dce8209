#!/usr/bin/env bash
# The crash campaign for the state-changing commands the other crash tests do not cover:
# `init`, `key rewrap` after a rotation, `key retire`, `key add-unlock`, `key remove-unlock`,
# `cred revoke` (one version), `ns destroy`, `audit checkpoint`. Each is SIGKILLed at many
# points (by time and on entering each state-changing syscall); after every kill:
#   - `ward store verify` and `ward audit verify` exit 0;
#   - every credential the template held reads with its exact secret, and is listed;
#   - no audit event of the template is lost or changed (audit-kept);
#   - the command run again completes, and its effect is then visible.
# crash_rotate.sh, crash_rewrap.sh and backup_crash.sh cover cred rotate/add/revoke --purge,
# key rotate [--master], key rewrap of many objects, ns create, maintenance, backup create
# and prune. Prints one summary line per command and the campaign's totals.
#
# WARD_FAULT_LONG=1 runs many more kill points; WARD_FAULT_ONLY=REGEX only the commands whose
# arguments match (say 'revoke|init').
# shellcheck disable=SC2016  # the --check commands run later, under the harness's bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/fault/fault.bash"

if [[ $FAULT_LONG == 1 ]]; then
  TIME_POINTS=30 SYSCALL_TRIALS=200
else
  TIME_POINTS=3 SYSCALL_TRIALS=14
fi
CREDS=8

# --- the template: two namespaces, a rotated KEK, two unlock entries, a checkpoint ---------
TPL=$FAULT_ROOT/tpl
mkdir -p "$TPL/state"
export WARD_STORE=file://$TPL/store WARD_KEY_FILE=$TPL/master.key XDG_STATE_HOME=$TPL/state
expect_exit 0 "$WARD" init --key-file "$WARD_KEY_FILE" --kdf-memory 8192 --kdf-iterations 1
printf '%s' 'campaign passphrase, long enough 9' >"$TPL/passphrase"
expect_exit 0 "$WARD" key add-unlock --new-passphrase-file "$TPL/passphrase"
printf '%s' 'a second passphrase, added by a killed run 3' >"$TPL/passphrase2"
for ((i = 1; i <= CREDS; i++)); do
  "$WARD" cred add "c$i" --type generic --generate >/dev/null 2>&1 || fail "ward cred add c$i failed"
done
expect_exit 0 "$WARD" cred rotate c1 --generate
expect_exit 0 "$WARD" cred rotate c2 --generate
expect_exit 0 "$WARD" ns create gone
expect_exit 0 "$WARD" --ns gone cred add g1 --type generic --generate
expect_exit 0 "$WARD" key rotate
expect_exit 0 "$WARD" cred add c-new --type generic --generate
expect_exit 0 "$WARD" audit checkpoint
SECRETS=$T/default.tsv
for name in $("$WARD" cred list --json | python3 -c 'import json,sys; [print(c["name"]) for c in json.load(sys.stdin)["credentials"]]'); do
  printf '%s\t%s\n' "$name" "$("$WARD" cred get "$name" 2>/dev/null)"
done >"$SECRETS"
(($(cut -f2 "$SECRETS" | grep -c .) == CREDS + 1)) || fail "could not read back every secret"
"$WARD" audit log --json >"$T/audit-before.json" || fail "audit log --json failed"
expect_exit 0 "$WARD" --json key status
PASS_ENTRY=$(python3 -c 'import json,sys; print([e["id"] for e in json.load(sys.stdin)["unlock_entries"] if e["kind"]=="passphrase"][0])' <<<"$OUT") ||
  fail "key status --json names no passphrase entry: $OUT"
unset WARD_STORE WARD_KEY_FILE XDG_STATE_HOME

# A second template, rewrapped after the rotation, so version 1 can be retired.
TPL_R=$FAULT_ROOT/tpl-retire
cp -a "$TPL" "$TPL_R"
WARD_STORE=file://$TPL_R/store WARD_KEY_FILE=$TPL_R/master.key XDG_STATE_HOME=$TPL_R/state \
  "$WARD" key rewrap >/dev/null 2>&1 || fail "key rewrap of the retire template failed"
WARD_STORE=file://$TPL_R/store WARD_KEY_FILE=$TPL_R/master.key XDG_STATE_HOME=$TPL_R/state \
  "$WARD" audit log --json >"$T/audit-before-retire.json" || fail "audit log --json failed"

TOTAL_TRIALS=0 TOTAL_FAILURES=0 RUNS=0
# count_trials WHAT: add the harness summary in $T/harness.out to the campaign's totals.
count_trials() {
  local line
  line=$(grep -aE '^fault harness: .*: [0-9]+ trials .*, [0-9]+ failures$' "$T/harness.out" | tail -1)
  if [[ $line =~ :\ ([0-9]+)\ trials.*,\ ([0-9]+)\ failures$ ]]; then
    TOTAL_TRIALS=$((TOTAL_TRIALS + BASH_REMATCH[1]))
    TOTAL_FAILURES=$((TOTAL_FAILURES + BASH_REMATCH[2]))
    ((BASH_REMATCH[2] == 0)) || FAULT_FAILED+=("$line")
  else
    FAULT_FAILED+=("no summary from the harness for $1")
  fi
}
# crash TEMPLATE AUDIT-FILE VICTIM-ARGS-JSON [CHECK...]
crash() {
  local tpl=$1 audit=$2 args=$3
  shift 3
  [[ -z ${WARD_FAULT_ONLY:-} || $args =~ $WARD_FAULT_ONLY ]] || return 0
  local checks=(
    --check '"$WARD" store verify'
    --check '"$WARD" audit verify'
    --check "bash '$FAULT_CHECKS' listed '$SECRETS' ${SKIP:+--skip $SKIP}"
    --check "bash '$FAULT_CHECKS' secrets '$SECRETS' --sample 2 ${SKIP:+--skip $SKIP}"
    --check "bash '$FAULT_CHECKS' audit-kept '$audit'"
  )
  for c in "$@"; do checks+=(--check "$c"); done
  local victim
  victim=$(python3 -c 'import json,sys; print(json.dumps([sys.argv[1]] + json.loads(sys.argv[2])))' "$WARD" "$args")
  run_harness --name "ward ${args//[\[\]\",]/}" --store-template "$tpl" \
    --env 'WARD_STORE=file://{dir}/store' --env 'WARD_KEY_FILE={dir}/master.key' \
    --env 'XDG_STATE_HOME={dir}/state' --victim "$victim" "${checks[@]}" \
    --time-points "$TIME_POINTS" --syscall-points auto --max-syscall-trials "$SYSCALL_TRIALS" |
    tee "$T/harness.out"
  count_trials "$args"
  RUNS=$((RUNS + 1))
}

# key rewrap after a rotation: everything reads; rewrapping again leaves nothing on version 1.
crash "$TPL" "$T/audit-before.json" '["key", "rewrap"]' \
  "bash '$FAULT_CHECKS' keys-rewrapped"

# key retire 1 (everything already rewrapped): version 1 is gone or still there, never
# half-removed; retiring again (or finding it gone) works, and then status no longer lists it.
crash "$TPL_R" "$T/audit-before-retire.json" '["key", "retire", "1"]' \
  '"$WARD" key retire 1 >/dev/null 2>&1 || "$WARD" key status --json | python3 -c "import json,sys; s=json.load(sys.stdin); sys.exit(1 if 1 in [v[\"version\"] for v in s[\"kek_versions\"]] else 0)"' \
  '! "$WARD" key status --json | python3 -c "import json,sys; s=json.load(sys.stdin); sys.exit(0 if 1 in [v[\"version\"] for v in s[\"kek_versions\"]] else 1)"'

# key add-unlock: the new passphrase opens the store, or is refused as wrong (never added);
# adding it again then works and it opens the store. The old entries still do (common checks).
crash "$TPL" "$T/audit-before.json" '["key", "add-unlock", "--new-passphrase-file", "{dir}/passphrase2"]' \
  'rc=0; out=$(env -u WARD_KEY_FILE WARD_PASSPHRASE_FILE="$FAULT_DIR/passphrase2" "$WARD" cred get c3 2>&1 >/dev/null) || rc=$?
   ((rc == 0)) || [[ $rc == 4 && $out == *"wrong passphrase"* ]] || { echo "exit $rc: $out"; exit 1; }
   if ((rc != 0)); then "$WARD" key add-unlock --new-passphrase-file "$FAULT_DIR/passphrase2" >/dev/null; fi
   env -u WARD_KEY_FILE WARD_PASSPHRASE_FILE="$FAULT_DIR/passphrase2" "$WARD" cred get c3 >/dev/null'

# key remove-unlock of the passphrase entry: the key file still opens everything (the common
# checks); the passphrase either still opens the store or is refused as wrong, never "damaged".
crash "$TPL" "$T/audit-before.json" '["key", "remove-unlock", "'"$PASS_ENTRY"'"]' \
  'rc=0; out=$(env -u WARD_KEY_FILE WARD_PASSPHRASE_FILE="$FAULT_DIR/passphrase" "$WARD" cred get c3 2>&1 >/dev/null) || rc=$?
   ((rc == 0)) || [[ $rc == 4 && $out == *"wrong passphrase"* ]] || { echo "exit $rc: $out"; exit 1; }'

# cred revoke of c4's only version: it reads or is revoked, never damaged; revoking again works.
SKIP=c4 crash "$TPL" "$T/audit-before.json" '["cred", "revoke", "c4"]' \
  "bash '$FAULT_CHECKS' get-status c4 0,3" \
  '"$WARD" cred revoke c4 >/dev/null 2>&1; rc=0; "$WARD" cred get c4 >/dev/null 2>&1 || rc=$?; ((rc == 3))'

# ns destroy: the namespace is there (and its credential reads) or gone; destroying again (or
# finding it gone) works, and then nothing of it is left; the default namespace is untouched
# (the common checks). Killed after its marker is written, it is gone to every reader, `store
# verify` notes the interrupted destroy instead of failing, and running it again finishes.
crash "$TPL" "$T/audit-before.json" '["ns", "destroy", "gone", "--yes"]' \
  'rc=0; "$WARD" --ns gone cred get g1 >/dev/null 2>&1 || rc=$?; ((rc == 0 || rc == 3))' \
  'rc=0; "$WARD" ns destroy gone --yes >/dev/null 2>&1 || rc=$?; ((rc == 0 || rc == 3)) &&
   ! "$WARD" ns list --json | grep -q "\"gone\"" && "$WARD" store verify >/dev/null &&
   "$WARD" ns create gone >/dev/null'

# audit checkpoint: a checkpoint printed or stored verifies; taking one again works and verifies.
crash "$TPL" "$T/audit-before.json" '["audit", "checkpoint"]' \
  'line=$("$WARD" audit checkpoint) && "$WARD" audit verify --checkpoint "$line"'

# init into an empty directory: either no store (cred get: 3, and init then works) or a
# complete one; never a half store that init refuses and nothing opens.
if [[ -z ${WARD_FAULT_ONLY:-} || init =~ $WARD_FAULT_ONLY ]]; then
TPL_I=$FAULT_ROOT/tpl-init
mkdir -p "$TPL_I/state"
run_harness --name "ward init" --store-template "$TPL_I" \
  --env 'WARD_STORE=file://{dir}/store' --env 'XDG_STATE_HOME={dir}/state' \
  --victim "$(json_argv "$WARD" init --key-file '{dir}/master.key' --kdf-memory 8192 --kdf-iterations 1)" \
  --check 'if [[ -f "$FAULT_DIR/store/config" ]]; then WARD_KEY_FILE=$FAULT_DIR/master.key "$WARD" store verify; else rm -f "$FAULT_DIR/master.key"; rm -rf "$FAULT_DIR/store"; WARD_KEY_FILE=$FAULT_DIR/master.key "$WARD" init --key-file "$FAULT_DIR/master.key" --kdf-memory 8192 --kdf-iterations 1 >/dev/null; fi' \
  --check 'WARD_KEY_FILE=$FAULT_DIR/master.key "$WARD" cred add x --type generic --generate >/dev/null && WARD_KEY_FILE=$FAULT_DIR/master.key "$WARD" cred get x >/dev/null && WARD_KEY_FILE=$FAULT_DIR/master.key "$WARD" audit verify >/dev/null' \
  --time-points "$TIME_POINTS" --syscall-points auto --max-syscall-trials "$SYSCALL_TRIALS" |
  tee "$T/harness.out"
count_trials init
RUNS=$((RUNS + 1))
fi

echo "crash campaign: $RUNS commands, $TOTAL_TRIALS kill trials, $TOTAL_FAILURES failures"
fault_finish
