#!/usr/bin/env bash
# Benchmark: `ward audit report` over a store holding EVENTS audit events (default 100,000),
# filled through the library (the hidden unit test "bench: fill the audit trail") and sealed into
# segments, beside the two anchors that read the same trail: `ward audit verify` (the chain
# alone) and `ward audit export | jq` computing the same per-actor action counts.
# Aim (issue 8): the report in under 2 s.
#
# Usage: tests/bench/report.sh [path/to/ward] [path/to/ward_unit_tests]
#   EVENTS   audit events to fill (default 100000)
#   REPEAT   timed runs of each command (default 3)
#   KEEP=1   keep the temporary directory
# Not part of CTest: figures depend on the machine. The store lives on /dev/shm when it exists,
# so the fill (one fsync'd object per event before sealing) takes seconds, not minutes.
set -euo pipefail

source "$(dirname "$0")/common.bash"
EVENTS="${EVENTS:-100000}"
REPEAT="${REPEAT:-3}"
find_ward report.sh "${1:-}"
unit="${2:-$(dirname "$ward")/tests/ward_unit_tests}"
[[ -x $unit ]] || { echo "report.sh: no unit test binary at $unit" >&2; exit 2; }
need_tools jq

base=/dev/shm
[[ -d $base && -w $base ]] || base="${TMPDIR:-/tmp}"
work="$(mktemp -d "$base/ward-bench-report.XXXXXX")"
cleanup() { if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT

export XDG_DATA_HOME="$work/data" XDG_STATE_HOME="$work/state" XDG_CONFIG_HOME="$work/config"
export WARD_KEY_FILE="$work/ward.key"
unset WARD_STORE WARD_KEY WARD_PASSPHRASE_FILE
store="$XDG_DATA_HOME/ward/store"

"$ward" -q init --key-file "$WARD_KEY_FILE" >/dev/null
start=$(date +%s.%N)
WARD_BENCH_STORE="$store" WARD_BENCH_KEY_FILE="$WARD_KEY_FILE" WARD_BENCH_EVENTS="$EVENTS" \
  "$unit" "bench: fill the audit trail" >/dev/null
echo "filled $EVENTS events in $(echo "$(date +%s.%N) - $start" | bc) s" \
  "($(find "$store/audit" -type f | wc -l) objects)"

# best_of CMD...: the fastest of REPEAT runs, in seconds.
best_of() {
  local best="" t s
  for _ in $(seq "$REPEAT"); do
    s=$(date +%s.%N)
    "$@" >/dev/null
    t=$(echo "$(date +%s.%N) - $s" | bc)
    if [[ -z $best ]] || (($(echo "$t < $best" | bc))); then best=$t; fi
  done
  echo "$best"
}
summarise() {
  "$ward" audit export --format jsonl |
    jq -s 'group_by(.actor.user) | map({(.[0].actor.user): (group_by(.action) | map({(.[0].action): length}) | add)}) | add'
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
verify=$(best_of "$ward" audit verify)
report_json=$(best_of "$ward" audit report --format json)
report_html=$(best_of "$ward" audit report --format html)
jq_summary=$(best_of summarise)
printf '%-44s %8s s\n' "ward audit verify" "$verify" \
  "ward audit report --format json" "$report_json" \
  "ward audit report --format html" "$report_html" \
  "ward audit export | jq (per-actor counts)" "$jq_summary"
# CPU time (user + sys) of one run each: on a shared, loaded machine the wall times above
# mostly measure waiting for a core; this is what the work itself costs.
cpu() { /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.2f", $1 + $2}'; }
printf '%-44s %8s s CPU\n' "ward audit verify" "$(cpu "$ward" audit verify)" \
  "ward audit report --format json" "$(cpu "$ward" audit report --format json)"
printf 'report/verify %.2f   report/(export|jq) %.2f   aim: report < 2 s: %s\n' \
  "$(echo "$report_json / $verify" | bc -l)" "$(echo "$report_json / $jq_summary" | bc -l)" \
  "$( (($(echo "$report_json < 2" | bc))) && echo met || echo MISSED)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
