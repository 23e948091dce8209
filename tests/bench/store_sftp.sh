#!/usr/bin/env bash
# Benchmark: the SFTP store backend beside OpenSSH's `sftp -b` moving the same data to the same
# loopback sshd (tests/servers/sshd.bash): put and get of SMALL_COUNT objects of SMALL_SIZE
# bytes (default 1,000 of 1 KiB) and of one LARGE_MIB MiB object (default 256 MiB, not 1 GiB,
# to keep a run quick). ward's side is its ObjectStore (the layer every command writes through),
# driven by the hidden [.bench_sftp] case of the unit test binary: each put is a temporary
# file, an fsync@openssh.com and a rename, as ward writes; `sftp` neither syncs nor renames.
# The small objects go one call at a time and then as one put_batch/get_batch (what store
# migrate, store verify and backups use: up to 4 connections at once).
#
# Usage: tests/bench/store_sftp.sh [path/to/build]   (default: build/; needs root for sshd)
# Not part of CTest: figures depend on the machine.
set -euo pipefail

build=${1:-$(cd "$(dirname "$0")/../.." && pwd)/build}
export WARD_BIN=$build/ward
unit=$build/tests/ward_unit_tests
[[ -x $unit ]] || { echo "no unit test binary at $unit; build first" >&2; exit 2; }
source "$(dirname "$0")/../integration/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/sshd.bash"
export WARD_BENCH_SMALL_COUNT=${SMALL_COUNT:-1000} WARD_BENCH_SMALL_SIZE=${SMALL_SIZE:-1024}
export WARD_BENCH_LARGE_MIB=${LARGE_MIB:-256}
start_sshd

# --- ward ----------------------------------------------------------------------------------
line=$("$unit" "[bench_sftp]" | grep '^ward put_small')
read -r _ _ w_put_small _ w_get_small _ w_put_large _ w_get_large _ w_put_batch _ w_get_batch <<<"$line"

# --- sftp -b: the same transfers ----------------------------------------------------------
data=$T/data
mkdir -p "$data/small" "$T/back/small"
for ((i = 0; i < WARD_BENCH_SMALL_COUNT; i++)); do
  head -c "$WARD_BENCH_SMALL_SIZE" /dev/urandom >"$data/small/$i"
done
head -c "$((WARD_BENCH_LARGE_MIB << 20))" /dev/urandom >"$data/large"
remote=$SSHD_HOME/sftp-bench
sftp_batch() {
  sftp -q -b "$1" -P "$SSHD_PORT" -i "$SSHD_KEY" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="$SSHD_KNOWN_HOSTS" "$SSHD_USER@$SSHD_HOST" >/dev/null
}
timed() { # timed BATCH: seconds that sftp -b BATCH took
  local start end
  start=$(date +%s.%N)
  sftp_batch "$1"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }' 
}
{
  echo "mkdir $remote"
  echo "mkdir $remote/small"
} >"$T/mkdir.batch"
sftp_batch "$T/mkdir.batch"
for ((i = 0; i < WARD_BENCH_SMALL_COUNT; i++)); do echo "put $data/small/$i $remote/small/$i"; done >"$T/put_small.batch"
for ((i = 0; i < WARD_BENCH_SMALL_COUNT; i++)); do echo "get $remote/small/$i $T/back/small/$i"; done >"$T/get_small.batch"
echo "put $data/large $remote/large" >"$T/put_large.batch"
echo "get $remote/large $T/back/large" >"$T/get_large.batch"
s_put_small=$(timed "$T/put_small.batch")
s_get_small=$(timed "$T/get_small.batch")
s_put_large=$(timed "$T/put_large.batch")
s_get_large=$(timed "$T/get_large.batch")
cmp -s "$data/large" "$T/back/large" || fail "sftp returned a different large file"

printf '%-34s %10s %10s %8s\n' "operation" "ward s" "sftp s" "ratio"
row() { printf '%-34s %10.3f %10.3f %8.2f\n' "$1" "$2" "$3" "$(awk -v a="$2" -v b="$3" 'BEGIN { print a / b }')"; }
row "put $WARD_BENCH_SMALL_COUNT x $WARD_BENCH_SMALL_SIZE B" "$w_put_small" "$s_put_small"
row "get $WARD_BENCH_SMALL_COUNT x $WARD_BENCH_SMALL_SIZE B" "$w_get_small" "$s_get_small"
row "put $WARD_BENCH_SMALL_COUNT x $WARD_BENCH_SMALL_SIZE B, one batch" "$w_put_batch" "$s_put_small"
row "get $WARD_BENCH_SMALL_COUNT x $WARD_BENCH_SMALL_SIZE B, one batch" "$w_get_batch" "$s_get_small"
row "put 1 x $WARD_BENCH_LARGE_MIB MiB" "$w_put_large" "$s_put_large"
row "get 1 x $WARD_BENCH_LARGE_MIB MiB" "$w_get_large" "$s_get_large"
echo "(ratio = ward / sftp; below 1 means ward is faster)"
