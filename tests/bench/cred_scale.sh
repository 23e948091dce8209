#!/usr/bin/env bash
# Benchmark: a local store holding COUNT credentials (default 10,000).
#   1. create them, one `ward cred add --generate` process each (wall time reported)
#   2. `ward cred list > /dev/null`                      wall time, median of REPEAT runs
#   3. `ward key rotate` then `ward key rewrap`           rewrap wall time, median of REPEAT runs
#   4. one more rotate + rewrap under `strace -f -c` counting fsync/fdatasync/syncfs
#   5. `ward cred get` latency on the big store (its audit append lists the audit directory)
# Aim (issue 2): list and rewrap under 1 s each; a rewrap syncs per batch, not per object.
#
# Usage: tests/bench/cred_scale.sh [path/to/ward]
#   WARD    ward binary (default: build-bench/ward, then build-release/ward, then build/ward)
#   COUNT   credentials to create (default 10000)
#   REPEAT  timed runs of list and rewrap (default 3)
#   JOBS    parallel `cred add` processes while populating (default 1)
#   KEEP=1  keep the temporary directory; STORE_DIR=DIR reuse a populated one (skips step 1)
# Not part of CTest: figures depend on the machine and its disk.
set -euo pipefail

source "$(dirname "$0")/common.bash"
COUNT="${COUNT:-10000}"
REPEAT="${REPEAT:-3}"
JOBS="${JOBS:-1}"

find_ward cred_scale.sh "${1:-}"
need_tools strace python3 hyperfine

if [[ -n "${STORE_DIR:-}" ]]; then
  work="$STORE_DIR"
  KEEP=1
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/ward-bench-scale.XXXXXX")"
fi
cleanup() { if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT

export XDG_DATA_HOME="$work/data"
export WARD_KEY_FILE="$work/ward.key"
unset WARD_STORE WARD_KEY WARD_PASSPHRASE_FILE
store="$XDG_DATA_HOME/ward/store"

# Wall time of a command in seconds (stdout discarded).
wall() {
  python3 - "$@" <<'EOF'
import subprocess, sys, time
t = time.perf_counter_ns()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(f"{(time.perf_counter_ns() - t) / 1e9:.3f}")
sys.exit(rc)
EOF
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# --- 1. populate --------------------------------------------------------------
if [[ -z "${STORE_DIR:-}" ]]; then
  "$ward" init --key-file "$WARD_KEY_FILE" >/dev/null 2>&1
  echo "creating $COUNT credentials with $JOBS parallel process(es)..."
  start=$(date +%s.%N)
  seq -f 'cred-%05g' 1 "$COUNT" |
    xargs -P "$JOBS" -I{} "$ward" cred add {} --type generic --generate >/dev/null
  end=$(date +%s.%N)
  create_s=$(python3 -c "print(f'{$end - $start:.1f}')")
  echo "  created $COUNT in ${create_s} s ($(python3 -c "print(f'{($end - $start) * 1000 / $COUNT:.1f}')") ms per cred add)"
  if python3 -c "import sys; sys.exit(0 if $end - $start > 180 else 1)"; then
    echo "  SLOW: populating took more than 3 minutes"
  fi
else
  create_s="(reused)"
fi
listed=$("$ward" cred list | tail -n +2 | wc -l)
echo "store holds $listed credentials, $(find "$store/audit" -maxdepth 1 -type f | wc -l) audit events"

# --- 2. cred list -----------------------------------------------------------
list_runs=()
for _ in $(seq "$REPEAT"); do list_runs+=("$(wall "$ward" cred list)"); done
list_med=$(median "${list_runs[@]}")
echo "cred list:  runs ${list_runs[*]} s, median $list_med s"

# --- 3. rotate + rewrap -------------------------------------------------------
rewrap_runs=()
rotate_runs=()
for _ in $(seq "$REPEAT"); do
  rotate_runs+=("$(wall "$ward" key rotate)")
  rewrap_runs+=("$(wall "$ward" key rewrap)")
done
rewrap_med=$(median "${rewrap_runs[@]}")
echo "key rotate: runs ${rotate_runs[*]} s, median $(median "${rotate_runs[@]}") s"
echo "key rewrap: runs ${rewrap_runs[*]} s, median $rewrap_med s"

# --- 4. sync calls during one rewrap ---------------------------------------------
"$ward" key rotate >/dev/null
strace -f -c -o "$work/strace.txt" -e trace=fsync,fdatasync,syncfs "$ward" key rewrap --json >"$work/rewrap.json"
syncs=$(awk '$NF ~ /^(fsync|fdatasync|syncfs)$/ {printf "%s%s=%s", sep, $NF, $(NF-1); sep=", "; n += $(NF-1)} END {printf " (total %d)", n}' "$work/strace.txt")
echo "rewrap sync calls: $syncs"
echo "rewrap output: $(tr -d '\n' <"$work/rewrap.json" | cut -c1-200)"

# --- 5. cred get on the big store --------------------------------------------------
hyperfine -N --runs 30 --warmup 3 --style none --export-json "$work/get.json" "$ward cred get cred-00001" >/dev/null
get_med=$(python3 -c "import json,statistics;print(f\"{statistics.median(json.load(open('$work/get.json'))['results'][0]['times'])*1000:.1f}\")")
echo "cred get on this store: median $get_med ms over 30 runs"

echo
printf '%-34s %12s %8s\n' "measure ($COUNT credentials)" "median" "aim"
printf '%-34s %12s %8s\n' "create (one process per cred)" "${create_s} s" "-"
printf '%-34s %12s %8s\n' "cred list > /dev/null" "${list_med} s" "< 1 s"
printf '%-34s %12s %8s\n' "key rewrap (after key rotate)" "${rewrap_med} s" "< 1 s"
printf '%-34s %12s %8s\n' "cred get (big store)" "${get_med} ms" "-"
echo "sync calls in one rewrap: $syncs"
