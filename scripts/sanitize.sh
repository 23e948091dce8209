#!/usr/bin/env bash
# The sanitizer build: clang-14 with ASan, UBSan (every finding fatal) and LSan, plus libFuzzer's
# coverage instrumentation, in build-sanitize/. It runs the whole test suite (unit, integration
# and the short fuzz run "fuzz: short") with ctest, so CI sees memory errors, undefined
# behaviour and leaks anywhere the tests reach, and the fuzz targets are built and run.
#
#   scripts/sanitize.sh [--build-only|--test-only] [CTEST ARGS...]   e.g. scripts/sanitize.sh -R tamper
#   scripts/sanitize.sh --fuzz-only       build the fuzz targets only
#   scripts/sanitize.sh --ci [--test-only]  CI's stage: build, then every test but "fuzz: short",
#                                         crash and race tests bounded
#
# --build-only then, later, --test-only: build once, run the whole suite (-j2) when convenient.
# --ci runs the whole suite except "fuzz: short" (CI's fuzz stage runs the same targets longer)
# with WARD_FAULT_QUICK=1: one kill by time and one per syscall in each crash test, and fewer
# rounds in the race and campaign tests (the gcc suite runs them all), so a process that
# starts 4x slower under ASan still fits CI's budget. WARD_SANITIZE_CI_TESTS="name ..." narrows
# --ci to the unit tests and those integration tests. The build directory is the one
# --fuzz-only fills, so the core compiles once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${WARD_SANITIZE_BUILD:-build-sanitize}
ci_tests=${WARD_SANITIZE_CI_TESTS:-}

if [[ ${1:-} == --ci ]]; then
  shift
  if [[ -n $ci_tests ]]; then
    set -- "$@" -R "^(unit:.*|integration: ($(tr ' ' '|' <<<"$ci_tests")))\$"
  else
    set -- "$@" -E "^fuzz: short\$"
  fi
  export WARD_FAULT_QUICK=1
fi
if [[ ${1:-} == --test-only ]]; then
  shift
  [[ -f $build/CTestTestfile.cmake ]] || {
    echo "sanitize.sh: error: no sanitizer build in $build; run scripts/sanitize.sh --build-only" >&2
    exit 2
  }
else
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DWARD_SANITIZE=ON -DWARD_FUZZ=ON -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=4
  if [[ ${1:-} == --fuzz-only ]]; then
    cmake --build "$build" --target fuzz
    exit 0
  fi
  cmake --build "$build"
  if [[ ${1:-} == --build-only ]]; then exit 0; fi
fi

# Leaks fail the test that caused them; UBSan prints where. A child that ward execs (cred exec)
# is not instrumented, so its leaks are not ours: LSan only looks at the instrumented ward.
# allocator_release_to_os_interval_ms=-1: otherwise ASan's allocator reads the clock the first
# time it maps memory for a size class, and under faketime (report_sections, status, s3_backend,
# report_html_chromium) that clock_gettime is libfaketime's, whose first call looks up symbols,
# which allocates, which re-enters the allocator under its own lock: every faketime'd ward hung.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:allocator_release_to_os_interval_ms=-1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/bin/llvm-symbolizer-14}
export WARD_SANITIZED=1

log=$(mktemp "${TMPDIR:-/tmp}/ward-sanitize.XXXXXX")
trap 'rm -f "$log"' EXIT
rc=0
ctest --test-dir "$build" --output-on-failure -j2 "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
if ! grep -q "tests passed" "$log" || grep -qE "tests failed out of 0\b" "$log"; then
  echo "sanitize.sh: error: ctest ran no tests or printed no summary" >&2
  ((rc != 0)) || rc=1
fi
exit "$rc"
