#!/usr/bin/env bash
# Benchmark: ward backup beside restic and borg (Debian's packages) on the same generated data,
# in one run, each on its own local repository:
#   first backup, incremental backup after a ~5% change (including insertions in the middle of
#   a large file), repository size after each, full restore of day 2, and peak memory (RSS,
#   /usr/bin/time -v) of every step. Prints the figures and ward's ratio to each tool.
#
# Usage: tests/bench/backup.sh [path/to/ward]
#   WARD       ward binary (default: build-bench/ward, then build-release/ward, then build/ward)
#   SIZE_MIB   dataset size (default 1024): 60% SQL-like text, 40% random bytes
#   KEEP=1     keep the temporary directory
#   DROP_CACHES=0  keep the page cache before restores (by default, as root, it is dropped)
# Not part of CTest: figures depend on the machine, its load and its disk.
set -euo pipefail

source "$(dirname "$0")/common.bash"
SIZE_MIB="${SIZE_MIB:-1024}"

find_ward backup.sh "${1:-}"
need_tools restic python3 openssl
command -v borg >/dev/null || need_tools borgbackup
[[ -x /usr/bin/time ]] || need_tools time

work="$(mktemp -d "${TMPDIR:-/tmp}/ward-bench-backup.XXXXXX")"
cleanup() { if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT
data="$work/data"

# --- deterministic data ----------------------------------------------------------------------
# random bytes from a seeded AES-CTR stream, text from awk's seeded generator
# (the generators are cut off by `head`, so they die of SIGPIPE: that is expected)
rand_bytes() {  # SEED BYTES
  { openssl enc -aes-256-ctr -pass "pass:$1" -nosalt -pbkdf2 </dev/zero 2>/dev/null || true; } | head -c "$2"
}
sql_text() {  # SEED BYTES
  awk -v seed="$1" 'BEGIN {
    srand(seed)
    split("alice bob carol dave erin frank grace heidi ivan judy mallory oscar peggy trent", names, " ")
    split("pending active closed retrieved submitted incomplete", states, " ")
    for (i = 1; ; i++) {
      printf "INSERT INTO applications (id, name, email, amount, state, created) VALUES (%d, %c%s %s%c, %c%s.%d@example.com%c, %.2f, %c%s%c, %c2026-%02d-%02d %02d:%02d:%02d%c);\n",
        i, 39, names[int(rand()*14)+1], names[int(rand()*14)+1], 39, 39, names[int(rand()*14)+1], int(rand()*100000), 39,
        rand()*100000, 39, states[int(rand()*6)+1], 39, 39, int(rand()*12)+1, int(rand()*28)+1,
        int(rand()*24), int(rand()*60), int(rand()*60), 39
    }
  }' 2>/dev/null | head -c "$2" || true
}
mib=$((1024 * 1024))
text_total=$((SIZE_MIB * mib * 6 / 10))
bin_total=$((SIZE_MIB * mib * 4 / 10))
echo "generating ${SIZE_MIB} MiB of data in $data ..." >&2
mkdir -p "$data/sql/tables" "$data/bin/small" "$data/bin/large"
sql_text 1 $((text_total / 2)) >"$data/sql/dump.sql"
for i in $(seq 1 100); do sql_text $((100 + i)) $((text_total / 2 / 100)) >"$data/sql/tables/t$i.sql"; done
for i in $(seq 1 4); do rand_bytes "large$i" $((bin_total / 2 / 4)) >"$data/bin/large/blob$i.bin"; done
for i in $(seq 1 400); do rand_bytes "small$i" $((bin_total / 2 / 400)) >"$data/bin/small/f$i.bin"; done
ln -s ../sql/dump.sql "$data/bin/dump-link"

# Day 2: about 5% changed: insertions in the middle of the big dump, rewritten tables, new and
# removed files.
day2() {
  python3 - "$data/sql/dump.sql" <<'PY'
import sys
path = sys.argv[1]
b = open(path, 'rb').read()
n = len(b)
parts, last = [], 0
for k, pos in enumerate((n // 5, n // 2, 4 * n // 5)):
    parts += [b[last:pos], (b"-- inserted on day 2 (%d)\n" % k) * 2000]
    last = pos
parts.append(b[last:])
open(path, 'wb').write(b"".join(parts))
PY
  for i in $(seq 1 4); do sql_text $((900 + i)) $((text_total / 2 / 100)) >"$data/sql/tables/t$i.sql"; done
  for i in $(seq 1 3); do printf 'appended row %d\n' "$i" >>"$data/sql/tables/t$((10 + i)).sql"; done
  rand_bytes day2 $((SIZE_MIB * mib * 3 / 100)) >"$data/bin/large/new.bin"
  rm -f "$data/bin/small/f1.bin" "$data/bin/small/f2.bin"
  for i in $(seq 3 10); do rand_bytes "small-day2-$i" $((bin_total / 2 / 400)) >"$data/bin/small/f$i.bin"; done
}

# --- measuring -------------------------------------------------------------------------------
# measure TOOL STEP CMD...: wall seconds and peak RSS (KiB) of CMD, into $results.
results="$work/results.tsv"
# Restores start, as root, with nothing cached: every tool reads its repository from the disk,
# as a restore after a failure does, and the memory it fills was in use a moment ago. Without
# that, whichever tool first asks for fresh memory pays for it: on a VM whose host backs a guest
# page only when it is first touched, one restore spent 40 % of its time in the kernel's copy
# into new page-cache pages, and the same restore took 0.9 s or 2.4 s depending on what ran
# before it. Backups read their input from the cache, the same for every tool: dropping it
# would measure the VM's disk (0.5-1.3 s per GiB from one run to the next) more than the tools.
drop_caches=0
if [[ ${DROP_CACHES:-1} == 1 && -w /proc/sys/vm/drop_caches ]]; then drop_caches=1; fi
drop_page_cache() { if [[ $drop_caches == 1 ]]; then echo 3 >/proc/sys/vm/drop_caches; fi; }
: >"$results"
measure() {
  local tool=$1 step=$2 log="$work/time.$1.$2"
  shift 2
  # Every step starts with nothing dirty in the page cache: otherwise the first step pays for
  # writing back the freshly generated data (about 1 GiB) or the previous tool's repository.
  sync
  if [[ $step == restore ]]; then drop_page_cache; fi
  /usr/bin/time -v -o "$log" "$@" >"$work/out.$tool.$step" 2>&1 || {
    echo "$tool $step failed:" >&2
    tail -20 "$work/out.$tool.$step" >&2
    exit 1
  }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  printf '%s\t%s\t%s\t%s\n' "$tool" "$step" "$wall" "$rss" >>"$results"
}
repo_size() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$(du -sb "$3" | cut -f1)" 0 >>"$results"; }

export RESTIC_PASSWORD=bench-password BORG_PASSPHRASE=bench-password
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export XDG_DATA_HOME="$work/ward-data" XDG_STATE_HOME="$work/state" XDG_CONFIG_HOME="$work/config"
export BORG_BASE_DIR="$work/borg-base" XDG_CACHE_HOME="$work/cache"
export WARD_KEY_FILE="$work/ward.key"
unset WARD_STORE WARD_KEY WARD_PASSPHRASE_FILE
ward_store="$XDG_DATA_HOME/ward/store"

"$ward" init --key-file "$WARD_KEY_FILE" >/dev/null 2>&1
restic init --repo "$work/restic" --repository-version 2 >/dev/null
borg init --encryption repokey-blake2 "$work/borg" >/dev/null 2>&1

run_day() {  # DAY
  measure ward "backup$1" "$ward" backup create "$data"
  repo_size ward "size$1" "$ward_store"
  measure restic "backup$1" restic --repo "$work/restic" backup --quiet "$data"
  repo_size restic "size$1" "$work/restic"
  measure borg "backup$1" borg create --compression lz4 "$work/borg::day$1" "$data"
  repo_size borg "size$1" "$work/borg"
}
echo "day 1 ..." >&2
run_day 1
day2
echo "day 2 ..." >&2
run_day 2

echo "restore ..." >&2
measure ward restore "$ward" backup restore latest --to "$work/r-ward"
measure restic restore restic --repo "$work/restic" restore latest --target "$work/r-restic"
mkdir -p "$work/r-borg"
measure borg restore bash -c "cd '$work/r-borg' && borg extract '$work/borg::day2'"
for tool in ward restic borg; do
  diff -r --no-dereference "$data" "$work/r-$tool$data" >/dev/null ||
    { echo "$tool restored something else" >&2; exit 1; }
done
echo "every tool restored day 2 byte-identical" >&2

python3 - "$results" "$SIZE_MIB" "$drop_caches" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
val = {(t, s): (float(w), int(r)) for t, s, w, r in rows}
tools = ["ward", "restic", "borg"]
print(f"dataset: {sys.argv[2]} MiB (60% SQL-like text, 40% random), day 2 ~5% changed; "
      + ("page cache dropped before restores" if sys.argv[3] == "1" else "page cache kept"))
print(f"{'':22}" + "".join(f"{t:>12}" for t in tools) + f"{'ward/restic':>13}{'ward/borg':>11}")
def line(label, key, fmt, idx, scale=1.0):
    v = [val[(t, key)][idx] * scale for t in tools]
    print(f"{label:22}" + "".join(f"{fmt(x):>12}" for x in v) + f"{v[0]/v[1]:>13.2f}{v[0]/v[2]:>11.2f}")
sec = lambda x: f"{x:.2f} s"
mb = lambda x: f"{x:.0f} MiB"
line("first backup", "backup1", sec, 0)
line("incremental backup", "backup2", sec, 0)
line("restore", "restore", sec, 0)
line("repository after day 1", "size1", mb, 0, 1 / 2**20)
line("repository after day 2", "size2", mb, 0, 1 / 2**20)
for step, label in (("backup1", "peak RSS first"), ("backup2", "peak RSS incremental"), ("restore", "peak RSS restore")):
    line(label, step, mb, 1, 1 / 1024)
PY
