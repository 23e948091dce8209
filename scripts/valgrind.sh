#!/usr/bin/env bash
# The memcheck run: CLI integration tests with ward under valgrind memcheck (tests/valgrind/ward
# as WARD_BIN). A memory error or definite leak in any ward process fails the test, and the
# reports are printed. Valgrind costs ward ~30x its run time, so CI runs a chosen subset that
# reaches the vault, keyring, audit, checks and backup paths; --all runs every file-backend test.
#
#   scripts/valgrind.sh [--build-dir DIR] [--all] [TEST-NAME...]     (names: cred_lifecycle ...)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=build all=0 tests=()
while (($#)); do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --all) all=1; shift ;;
    -h|--help) sed -n 2,8p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) tests+=("$1"); shift ;;
  esac
done
command -v valgrind >/dev/null || { echo "valgrind.sh: error: valgrind is not installed" >&2; exit 2; }
[[ -x $build/ward ]] || { echo "valgrind.sh: error: no $build/ward; build first" >&2; exit 2; }
if ((${#tests[@]} == 0)); then
  if ((all)); then
    mapfile -t tests < <(cd tests/integration && ls ./*.sh | sed 's|^\./||; s|\.sh$||')
  else
    tests=(${WARD_VALGRIND_TESTS:-cred_lifecycle unlock_and_keys passwd_and_output maintenance})
  fi
fi
logs=$(mktemp -d "${TMPDIR:-/tmp}/ward-valgrind.XXXXXX")
trap 'rm -rf "$logs"' EXIT
export WARD_VALGRIND_LOGS=$logs WARD_REAL_BIN=$PWD/$build/ward
export WARD_BIN=$PWD/tests/valgrind/ward WARD_SOURCE_DIR=$PWD WARD_TEST_BACKEND=file
export WARD_UNIT_TESTS=$PWD/$build/tests/ward_unit_tests
passed=0 failed=0 start=$SECONDS
for t in "${tests[@]}"; do
  t0=$SECONDS rc=0
  bash "tests/integration/$t.sh" >"$logs/$t.out" 2>&1 || rc=$?
  # Reports with errors (a clean run's log is empty under --quiet).
  bad=$(find "$logs" -name 'ward.*.log' -size +0 -print)
  if ((rc == 0)) && [[ -z $bad ]]; then
    echo "valgrind: $t: ok ($((SECONDS - t0)) s)"
    passed=$((passed + 1))
  else
    echo "valgrind: $t: FAILED (exit $rc, $((SECONDS - t0)) s)"
    tail -20 "$logs/$t.out" | sed 's/^/    /'
    for f in $bad; do echo "  --- $f"; head -60 "$f" | sed 's/^/    /'; done
    failed=$((failed + 1))
  fi
  find "$logs" -name 'ward.*.log' -delete
done
echo "valgrind: ${#tests[@]} tests in $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
((failed == 0))
