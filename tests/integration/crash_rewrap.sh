#!/usr/bin/env bash
# `ward key rewrap` killed with SIGKILL at many points (by time, and on entering each
# state-changing syscall under strace fault injection) leaves a store that `ward store verify`
# accepts, whose every credential is listed and reads with its secret, whose audit trail
# verifies, and on which a new `ward key rewrap` completes and leaves nothing on the old key
# version (which `ward key retire` then removes).
#
# WARD_FAULT_LONG=1 runs many more kill points.
# The --check commands are single-quoted on purpose: the harness runs them with bash later.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/fault/fault.bash"

CREDS=200
# Under the sanitizers (WARD_FAULT_QUICK=1) building 200 credentials alone would take a minute.
[[ ${WARD_FAULT_QUICK:-0} != 1 ]] || CREDS=40
if [[ $FAULT_LONG == 1 ]]; then
  TIME_POINTS=60 SYSCALL_TRIALS=800
else
  TIME_POINTS=6 SYSCALL_TRIALS=32
fi

# The template every trial copies: a store with $CREDS credentials (some with two versions),
# its key file, and a state directory, after `key rotate`: the victim has everything to rewrap.
TPL=$FAULT_ROOT/tpl
mkdir -p "$TPL/state"
export WARD_STORE=file://$TPL/store WARD_KEY_FILE=$TPL/master.key XDG_STATE_HOME=$TPL/state
expect_exit 0 "$WARD" init --key-file "$WARD_KEY_FILE"
for ((i = 1; i <= CREDS; i++)); do
  "$WARD" cred add "c$i" --type generic --generate >/dev/null 2>&1 || fail "ward cred add c$i failed"
done
for ((i = 1; i <= CREDS; i += 10)); do
  "$WARD" cred rotate "c$i" --generate >/dev/null 2>&1 || fail "ward cred rotate c$i failed"
done
SECRETS=$T/secrets.tsv
for ((i = 1; i <= CREDS; i++)); do
  printf 'c%d\t%s\n' "$i" "$("$WARD" cred get "c$i" 2>/dev/null)"
done >"$SECRETS"
[[ $(cut -f2 "$SECRETS" | grep -c .) == "$CREDS" ]] || fail "could not read back every secret"
expect_exit 0 "$WARD" key rotate
expect_exit 0 "$WARD" key status --json
assert_contains "$OUT" '"current_version": 2'
unset WARD_STORE WARD_KEY_FILE XDG_STATE_HOME

run_harness --name "key rewrap ($CREDS credentials)" --store-template "$TPL" \
  --env 'WARD_STORE=file://{dir}/store' --env 'WARD_KEY_FILE={dir}/master.key' \
  --env 'XDG_STATE_HOME={dir}/state' \
  --victim "$(json_argv "$WARD" key rewrap)" \
  --check '"$WARD" store verify' \
  --check "bash '$FAULT_CHECKS' listed '$SECRETS'" \
  --check "bash '$FAULT_CHECKS' secrets '$SECRETS' --sample 2" \
  --check '"$WARD" audit verify' \
  --check "bash '$FAULT_CHECKS' keys-rewrapped" \
  --check '"$WARD" key retire 1' \
  --check '"$WARD" store verify' \
  --check "bash '$FAULT_CHECKS' secrets '$SECRETS' --sample 2" \
  --time-points "$TIME_POINTS" --syscall-points auto --max-syscall-trials "$SYSCALL_TRIALS"
fault_finish
