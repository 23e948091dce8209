# Helpers for crash tests built on the fault harness. Source after tests/integration/lib.bash:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
#   source "$WARD_SOURCE_DIR/tests/fault/fault.bash"
#
# Sets FAULT_ROOT: a private directory for templates and trial copies, on a tmpfs (/dev/shm)
# when there is one (a SIGKILL ends a process, not the machine, so the page cache survives it
# and a tmpfs tests the same thing as a disk, many times faster), else under $T. Removed on exit.
# Sets FAULT_LONG=1 when WARD_FAULT_LONG=1 asks for the long run (many more kill points).
# WARD_FAULT_QUICK=1 goes the other way: the harness itself caps every run at one kill by time
# and one per syscall (the sanitizer stage of CI, scripts/sanitize.sh --ci, which runs every test).
# shellcheck shell=bash

require_cmd python3 strace shuf

FAULT_HARNESS=$WARD_SOURCE_DIR/tests/fault/harness.py
# shellcheck disable=SC2034  # FAULT_CHECKS and FAULT_LONG are for the tests that source this
{
  FAULT_CHECKS=$WARD_SOURCE_DIR/tests/fault/ward_checks.sh
  FAULT_LONG=${WARD_FAULT_LONG:-0}
}

if [[ -d /dev/shm && -w /dev/shm ]] && FAULT_ROOT=$(mktemp -d /dev/shm/ward-fault.XXXXXX); then
  defer "rm -rf -- '$FAULT_ROOT'"
else
  FAULT_ROOT=$T/fault
  mkdir -p "$FAULT_ROOT"
fi
chmod 700 "$FAULT_ROOT"
export FAULT_ROOT

# json_argv ARG...: the arguments as a JSON array, for the harness's --victim.
json_argv() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@"; }

# run_harness ARG...: run tests/fault/harness.py with these arguments (trial copies under
# $FAULT_ROOT) and show its log. A failed run is recorded, not fatal, so that one test reports
# every broken command; call fault_finish at the end.
FAULT_FAILED=()
run_harness() {
  local rc=0 out
  out=$(python3 "$FAULT_HARNESS" --workdir "$FAULT_ROOT/trials" "$@") || rc=$?
  printf '%s\n' "$out"
  if ((rc != 0)) || [[ $out != *", 0 failures" ]]; then
    FAULT_FAILED+=("${out:-fault harness exited $rc without a summary}")
  fi
}

# fault_finish: fail the test if any run_harness run failed.
fault_finish() {
  ((${#FAULT_FAILED[@]} == 0)) && return 0
  printf 'FAILED: %s\n' "${FAULT_FAILED[@]}" >&2
  fail "${#FAULT_FAILED[@]} fault harness run(s) found broken invariants (see FAIL lines above)"
}
