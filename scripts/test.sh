#!/usr/bin/env bash
# THE test command: install dependencies, configure, build, and run every test with ctest.
# Exits with ctest's status, and refuses to report success when ctest ran no tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build

# Hardening (docs/security.md), before the suite so ctest's summary stays the last line. Each
# stage runs even when one before it failed, and any failure fails CI at the end.
# A failed stage's last lines are printed again at the very end, because a CI log is often
# read from its tail.
stage_logs=$(mktemp -d "${TMPDIR:-/tmp}/ward-stages.XXXXXX")
log=$(mktemp "${TMPDIR:-/tmp}/ward-ctest.XXXXXX")
trap 'rm -rf "$log" "$stage_logs"' EXIT
stage() {
  local name=$1 t0=$SECONDS rc=0
  shift
  echo "test.sh: stage $name: $*" >&2
  set +e
  "$@" 2>&1 | tee "$stage_logs/$name.log"
  rc=${PIPESTATUS[0]}
  set -e
  echo "test.sh: stage $name: exit $rc in $((SECONDS - t0)) s" >&2
  ((rc == 0)) || failed_stages+=("$name")
}
failed_stages=()
# The libFuzzer targets, built with ASan + UBSan in build-sanitize/, each run over its seed
# corpus and then for 10 s on new inputs, two at a time. A crash, leak, hang or sanitizer
# report fails.
stage fuzz-build scripts/sanitize.sh --fuzz-only
stage fuzz tests/fuzz/run.sh --build-dir build-sanitize --time "${WARD_FUZZ_SECONDS:-10}" --jobs 2
# The rest of the sanitizer build in the same build-sanitize/ (the core is already compiled),
# then every test but "fuzz: short" under ASan + UBSan + LSan, race and crash tests bounded.
stage sanitizers scripts/sanitize.sh --ci
# ward under valgrind memcheck in two CLI integration tests (about 30x ward's run time: the
# default four-test subset of scripts/valgrind.sh takes longer than a CI run can spare):
# maintenance (about 30 s), and backup (about 200 s), whose pipeline and restore workers share
# buffers between threads.
read -ra valgrind_tests <<<"${WARD_CI_VALGRIND_TESTS:-maintenance backup}"
stage valgrind scripts/valgrind.sh "${valgrind_tests[@]}"
# The lint gate: clang-tidy and cppcheck warnings not in scripts/lint-baseline/ fail. clang-tidy
# checks only the translation units changed since the commit its baseline records (or that
# include a changed file, by build/'s dependency records); cppcheck checks everything.
stage lint scripts/lint.sh --changed

rc=0
ctest --test-dir build --output-on-failure -j2 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}

if grep -q "No tests were found" "$log" || grep -qE "tests failed out of 0\b" "$log"; then
  echo "test.sh: error: ctest found no tests; refusing to report success" >&2
  exit 1
fi
if ! grep -q "tests passed" "$log"; then
  echo "test.sh: error: ctest printed no summary line; refusing to report success" >&2
  ((rc != 0)) || rc=1
fi
if ((${#failed_stages[@]} != 0)); then
  for name in "${failed_stages[@]}"; do
    echo "test.sh: the last lines of failed stage $name:" >&2
    tail -n 150 "$stage_logs/$name.log" | sed 's/^/  | /' >&2
  done
  echo "test.sh: error: hardening stages failed (see above): ${failed_stages[*]}" >&2
  ((rc != 0)) || rc=1
fi
exit "$rc"
