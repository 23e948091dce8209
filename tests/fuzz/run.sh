#!/usr/bin/env bash
# Runs ward's libFuzzer targets (a WARD_FUZZ build) over their seed corpora, then on new inputs
# for a bounded time each, and prints per target: executions, coverage (edges), features and
# corpus size. Exits 1 when any target crashed, leaked, hung or tripped a sanitizer; the input
# that did it is kept and its path printed.
#
#   tests/fuzz/run.sh [--build-dir DIR] [--time SECONDS] [--long [SECONDS]] [--jobs N] [TARGET...]
#
# Default (CI): 10 s per target. --long: 3600 s per target (or the SECONDS given), and the
# corpus it grows is kept in DIR/fuzz-corpus/<target>/ so the next long run starts from it.
# TARGET is a name like envelope or fuzz_envelope; default every target built.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${WARD_FUZZ_BUILD:-$here/../../build-sanitize}
seconds=10
long=0
jobs=1
targets=()
while (($#)); do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --time) seconds=$2; shift 2 ;;
    --long)
      long=1; seconds=3600; shift
      if (($#)) && [[ $1 =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n 2,12p "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: error: unknown option $1" >&2; exit 2 ;;
    *) targets+=("${1#fuzz_}"); shift ;;
  esac
done
bindir=$build/tests/fuzz
if ((${#targets[@]} == 0)); then
  for bin in "$bindir"/fuzz_*; do
    [[ -x $bin && ! -d $bin ]] && targets+=("$(basename "${bin#"$bindir"/fuzz_}")")
  done
fi
if ((${#targets[@]} == 0)); then
  echo "run.sh: error: no fuzz targets in $bindir" >&2
  echo "run.sh: hint: build with scripts/sanitize.sh, or cmake -DWARD_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ward-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Leaks are findings; secrets in mlocked pages make ASan's default RSS guesses wrong, so the
# limit is explicit. UBSan stops at the first finding (the build has -fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/bin/llvm-symbolizer-14}

run_one() {
  set +e
  local t=$1 bin=$bindir/fuzz_$1 seeds=$here/corpus/$1 grown log
  [[ -x $bin ]] || { echo "$t: missing $bin" > "$work/$t.result"; return; }
  if ((long)); then grown=$build/fuzz-corpus/$t; else grown=$work/corpus-$t; fi
  mkdir -p "$grown" "$work/artifacts-$t"
  log=$work/$t.log
  local rc=0
  local dirs=("$grown")
  [[ -d $seeds ]] && dirs+=("$seeds")
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts-$t/" "${dirs[@]}" > "$log" 2>&1
  rc=$?
  local execs cov ft
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  local corpus_size
  corpus_size=$(find "$grown" -type f | wc -l)
  corpus_size=$((corpus_size + $(find "$seeds" -type f 2>/dev/null | wc -l || true)))
  if ((rc != 0)); then
    local kept=$build/fuzz-findings/$t
    mkdir -p "$kept"
    cp "$work/artifacts-$t"/* "$kept"/ 2>/dev/null || true
    cp "$log" "$kept/log"
    printf '%-16s %12s %8s %8s %8s  FAILED (exit %d): %s\n' "$t" "${execs:-?}" "${cov:-?}" \
      "${ft:-?}" "$corpus_size" "$rc" "$kept" > "$work/$t.result"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*(Timeout|out-of-memory|malloc))' "$log" \
      | head -5 | sed 's/^/    /' >> "$work/$t.result" || true
    # A CI machine is gone once the run ends: the input itself goes into the log, so the
    # finding can be reproduced from the log alone (base64 -d > FILE; fuzz_$t FILE).
    local input
    for input in "$work/artifacts-$t"/*; do
      [[ -f $input ]] || continue
      printf '    input %s (%d bytes), base64:\n' "$(basename "$input")" "$(stat -c %s "$input")" \
        >> "$work/$t.result"
      head -c 8192 "$input" | base64 -w 96 | sed 's/^/      /' >> "$work/$t.result"
    done
  else
    printf '%-16s %12s %8s %8s %8s  ok\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
      "$corpus_size" > "$work/$t.result"
  fi
}

start=$SECONDS
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if ((running >= jobs)); then wait -n || true; running=$((running - 1)); fi
done
wait

printf '%-16s %12s %8s %8s %8s  %s\n' target executions cov ft corpus result
failed=0
total=0
for t in "${targets[@]}"; do
  [[ -f $work/$t.result ]] || echo "$t ? ? ? ? FAILED: no result (run.sh bug)" > "$work/$t.result"
  cat "$work/$t.result"
  grep -q '  ok$' "$work/$t.result" || failed=$((failed + 1))
  e=$(awk '{print $2}' "$work/$t.result" | head -1)
  [[ $e =~ ^[0-9]+$ ]] && total=$((total + e))
done
echo "fuzz: ${#targets[@]} targets, $total executions in $((SECONDS - start)) s (${seconds} s each), $failed failed"
((failed == 0))
