#!/usr/bin/env bash
# Benchmark: `ward cred leaks` over a generated log (default 100 MiB) with CREDS managed secrets
# (default 200, imported from a .env file) of which LEAKS (default 50) are planted in it, in the
# forms they leak in (URL userinfo, KEY=VALUE, JSON), beside the anchor an operator would
# otherwise run: `grep -F -n -f` with every secret in plaintext in a file (what ward avoids: it
# holds keyed hashes only). Both must report every planted leak; the ratio is ward / grep.
#
# Usage: tests/bench/cred_leaks.sh [path/to/ward]
#   SIZE_MIB  log size (default 100)   CREDS  managed secrets (default 200)   LEAKS (default 50)
# Not part of CTest: figures depend on the machine and its load (`uptime` is printed).
set -euo pipefail

source "$(dirname "$0")/common.bash"
SIZE_MIB="${SIZE_MIB:-100}"
CREDS="${CREDS:-200}"
LEAKS="${LEAKS:-50}"
find_ward cred_leaks.sh "${1:-}"
need_tools jq python3

export WARD_BIN=$ward WARD_SOURCE_DIR=$root
source "$root/tests/integration/lib.bash"
new_store >/dev/null

echo "generating $CREDS secrets and a $SIZE_MIB MiB log with $LEAKS leaks..." >&2
python3 - "$T" "$SIZE_MIB" "$CREDS" "$LEAKS" <<'PY'
import random, secrets, string, sys
t, size_mib, creds, leaks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
random.seed(7)
alphabet = string.ascii_letters + string.digits + "!#%+-_"
values = ["".join(secrets.choice(alphabet) for _ in range(random.choice([16, 20, 24, 32, 40])))
          for _ in range(creds)]
with open(f"{t}/secrets.env", "w") as env, open(f"{t}/plain.txt", "w") as plain:
    for i, v in enumerate(values):
        env.write(f"BENCH_{i:04d}='{v}'\n")
        plain.write(v + "\n")
words = ["INFO", "WARN", "user=app", "GET", "/api/v1/items?id=42", "status=200", "took=12ms",
         "host=db.internal:5432", '"message":', '{"level":"info"}', "10.0.0.1", "session",
         "token=abcdefghijklmnopqrstuvwx", "2026-12-01T12:00:00Z", "request_id=7f3a9c"]
target = size_mib << 20
forms = ["dsn=postgres://app:{}@db:5432/app", "PASSWORD={}", '{{"password": "{}"}}']
lines_total = target // 120
leak_at = set(random.sample(range(lines_total), leaks))
written = 0
with open(f"{t}/big.log", "w") as f:
    n = 0
    while written < target:
        line = " ".join(random.choice(words) for _ in range(9))
        if n in leak_at:
            line += " " + random.choice(forms).format(values[n % creds])
        line += "\n"
        f.write(line)
        written += len(line)
        n += 1
PY
"$ward" cred import "$T/secrets.env" >/dev/null

seconds() { # CMD...: wall time in seconds (3 decimals)
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l | xargs printf '%.3f'
}
ward_scan() { "$ward" --json cred leaks "$T/big.log" >"$T/ward.json" 2>/dev/null || [[ $? == 1 ]]; }
grep_scan() { LC_ALL=C grep -F -n -o -f "$T/plain.txt" "$T/big.log" >"$T/grep.out" || true; }

echo "load before: $(uptime)"
t_ward=$(seconds ward_scan)
t_grep=$(seconds grep_scan)
echo "load after:  $(uptime)"
found_ward=$(jq '.leaks | length' "$T/ward.json")
found_grep=$(wc -l <"$T/grep.out")
((found_ward == LEAKS)) || { echo "ward found $found_ward of $LEAKS planted leaks" >&2; exit 1; }
((found_grep == LEAKS)) || { echo "grep found $found_grep of $LEAKS planted leaks" >&2; exit 1; }
printf '%-48s %8s s  (%s leaks, %s candidates hashed)\n' \
  "ward cred leaks ($CREDS secrets, $SIZE_MIB MiB)" "$t_ward" "$found_ward" \
  "$(jq '.scanned.candidates' "$T/ward.json")"
printf '%-48s %8s s  (%s leaks)\n' "grep -F -f (plaintext secrets)" "$t_grep" "$found_grep"
printf 'ward / grep: %.2f\n' "$(echo "$t_ward / $t_grep" | bc -l)"
