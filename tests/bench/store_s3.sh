#!/usr/bin/env bash
# Benchmark: moving objects to and from an S3 server (s3rver on loopback) through ward beside
# curl --aws-sigv4 doing the same transfers:
#   - 1,000 small objects (4 KiB each): put, then get
#   - one large object (LARGE_MIB, default 256 MiB; issue 4 asks for 1 GiB, which the machine's
#     2 cores and s3rver's single Node.js process make a many-minute run: set LARGE_MIB=1024)
# ward moves them with `ward store migrate` (file -> s3 puts them, s3 -> file gets them): batch
# reads (one listing per directory, 16 GETs in flight), batch puts (8 in flight), each upload
# checked against the ETag the server answers instead of being read back; on s3rver (which
# ignores If-None-Match) puts go through the suffix protocol (a listing before and after each
# batch). The large object goes up twice: as a multipart upload (the default above 64 MiB), and
# in one PUT (`multipart_threshold=5GiB`), as curl sends it. The local side is a file store
# (each object synced). curl runs in
# two ways: one process per object (a shell loop), and one process for all objects with
# --parallel (8 at a time, connections reused). Each figure is the median of RUNS runs.
#
# Usage: tests/bench/store_s3.sh [path/to/ward]
#   WARD, RUNS (default 3), LARGE_MIB (default 256), KEEP=1,
#   CURL_LOOP=0 to skip the one-curl-per-object runs (1,000 processes: minutes on a busy machine)
# Not part of CTest.
set -euo pipefail

source "$(dirname "$0")/common.bash"
RUNS="${RUNS:-3}"
LARGE_MIB="${LARGE_MIB:-256}"
find_ward store_s3.sh "${1:-}"
need_tools curl python3

T="$(mktemp -d "${TMPDIR:-/tmp}/ward-bench-s3.XXXXXX")"
WARD_SOURCE_DIR=$root
_deferred=()
defer() { _deferred+=("$*"); }
fail() { echo "store_s3.sh: $*" >&2; exit 1; }
require_cmd() { local c; for c in "$@"; do command -v "$c" >/dev/null || fail "missing $c"; done; }
cleanup() {
  local i
  for ((i = ${#_deferred[@]} - 1; i >= 0; i--)); do eval "${_deferred[i]}" || true; done
  if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
mkdir -p "$T/s3rver"
# shellcheck source=../servers/s3.bash
source "$root/tests/servers/s3.bash"
start_s3rver --silent
s3_env
unset WARD_STORE WARD_KEY_FILE WARD_KEY
export NO_COLOR=1

# --- data: a "store" directory of 1,000 small objects, one of a single large object ----------
mkdir -p "$T/small/blobs" "$T/large/blobs"
echo '{}' >"$T/small/config"
echo '{}' >"$T/large/config"
python3 - "$T/small/blobs" <<'PY'
import os, sys
for i in range(1000):
    with open(os.path.join(sys.argv[1], f"{i:06d}"), "wb") as f:
        f.write(os.urandom(4096))
PY
head -c "$((LARGE_MIB * 1024 * 1024))" /dev/urandom >"$T/large/blobs/big"

curl_s3=(curl -sS --fail --aws-sigv4 aws:amz:us-east-1:s3 --user "$S3_ACCESS_KEY:$S3_SECRET_KEY"
  -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD')
base="$S3_ENDPOINT/$S3_BUCKET"

seconds() { python3 -c 'import time; print(f"{time.monotonic():.6f}")'; }
median() { python3 -c 'import statistics,sys; print(f"{statistics.median(map(float, sys.argv[1:])):.3f}")' "$@"; }
declare -A result
measure() {  # measure LABEL CMD...: median wall seconds over RUNS, each run in a fresh prefix
  local label=$1 r t0 t1 times=()
  shift
  for ((r = 1; r <= RUNS; r++)); do
    RUN=r$r-$RANDOM$RANDOM
    t0=$(seconds)
    "$@" >/dev/null 2>"$T/last.err" || { cat "$T/last.err" >&2; fail "$label failed"; }
    t1=$(seconds)
    times+=("$(python3 -c "print($t1 - $t0)")")
  done
  result[$label]=$(median "${times[@]}")
  printf '%-34s %8s s\n' "$label" "${result[$label]}" >&2
}

# ward: put = migrate file -> s3, get = migrate s3 -> file (each from a store put there first).
ward_put() { "$ward" store migrate "file://$T/$1" "$(s3_url "w-$RUN")"; }
# The large object again, in one PUT (multipart_threshold above its size), as curl sends it.
ward_put_single() { "$ward" store migrate "file://$T/$1" "$(s3_url "w1-$RUN")&multipart_threshold=5GiB"; }
ward_get() { rm -rf "$T/back-$RUN"; "$ward" store migrate "$(s3_url "w-$1")" "file://$T/back-$RUN"; }
# curl, one process per object.
curl_put_loop() { local f; for f in "$T/$1"/blobs/*; do "${curl_s3[@]}" -T "$f" "$base/c-$RUN/${f##*/}"; done; }
curl_get_loop() { local f; mkdir -p "$T/cget-$RUN"; for f in "$T/$1"/blobs/*; do "${curl_s3[@]}" -o "$T/cget-$RUN/${f##*/}" "$base/c-$2/${f##*/}"; done; }
# curl, one process, 8 transfers at a time.
curl_put_parallel() {
  local f
  for f in "$T/$1"/blobs/*; do printf 'upload-file = "%s"\nurl = "%s"\n' "$f" "$base/p-$RUN/${f##*/}"; done >"$T/put.cfg"
  "${curl_s3[@]}" --parallel --parallel-max 8 -K "$T/put.cfg"
}
curl_get_parallel() {
  local f
  mkdir -p "$T/pget-$RUN"
  for f in "$T/$1"/blobs/*; do printf 'output = "%s"\nurl = "%s"\n' "$T/pget-$RUN/${f##*/}" "$base/p-$2/${f##*/}"; done >"$T/get.cfg"
  "${curl_s3[@]}" --parallel --parallel-max 8 -K "$T/get.cfg"
}

# s3rver (Node.js) serves its first thousand requests 2-3x slower than later ones (its code is
# still being compiled): whichever tool went first would pay for that. One untimed round of
# puts and gets of the small set by each tool warms it up for both (ward's also warms the
# listings, which curl's transfers never ask for: without it ward's first timed put paid
# for them, and in alternating runs each later put was faster than the one before).
RUN=warmup
curl_put_parallel small >/dev/null
curl_get_parallel small warmup >/dev/null
RUN=warmup
ward_put small >/dev/null 2>&1
ward_get warmup >/dev/null 2>&1

echo "s3rver $WARD_S3RVER_VERSION on $S3_ENDPOINT; $RUNS runs each; large object $LARGE_MIB MiB; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for set in small large; do
  measure "ward put $set" ward_put "$set"
  ward_src=$RUN
  measure "ward get $set" ward_get "$ward_src"
  [[ $set == large ]] && measure "ward put $set (one PUT)" ward_put_single "$set"
  if [[ ${CURL_LOOP:-1} == 1 || $set == large ]]; then
    measure "curl put $set (loop)" curl_put_loop "$set"
    loop_src=$RUN
    measure "curl get $set (loop)" curl_get_loop "$set" "$loop_src"
  fi
  if [[ $set == small ]]; then
    measure "curl put $set (--parallel)" curl_put_parallel "$set"
    par_src=$RUN
    measure "curl get $set (--parallel)" curl_get_parallel "$set" "$par_src"
  fi
done
# ward's get of the large object must have brought back the same bytes.
cmp -s "$T/large/blobs/big" "$(ls -d "$T"/back-*/blobs/big | head -1)" || fail "ward's large get differs"

echo
printf '%-8s %-6s %10s %14s %14s %12s %12s\n' set op ward curl-loop curl-parallel ward/loop ward/par
for set in small large; do
  for op in put get; do
    w=${result["ward $op $set"]}
    l=${result["curl $op $set (loop)"]:-}
    p=${result["curl $op $set (--parallel)"]:-}
    rl=$([[ -n $l ]] && python3 -c "print(f'{$w / $l:.2f}')" || echo -)
    rp=$([[ -n $p ]] && python3 -c "print(f'{$w / $p:.2f}')" || echo -)
    printf '%-8s %-6s %10s %14s %14s %12s %12s\n' "$set" "$op" "${w}s" "${l:+${l}s}" "${p:+${p}s}" "$rl" "$rp"
  done
done
w=${result["ward put large (one PUT)"]}
l=${result["curl put large (loop)"]}
printf '%-8s %-6s %10s %14s %14s %12s %12s\n' large "put 1" "${w}s" "${l}s" "" \
  "$(python3 -c "print(f'{$w / $l:.2f}')")" -
echo "(put 1: the large object with multipart_threshold=5GiB, in one PUT as curl sends it)"
echo "(ratios below 1: ward faster; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
