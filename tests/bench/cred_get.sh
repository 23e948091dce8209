#!/usr/bin/env bash
# Benchmark: latency of `ward cred get` beside two anchors that decrypt one small secret:
#   - `pass show` (Debian's pass, gpg key without passphrase, gpg-agent already running)
#   - `age -d -i identity file` (X25519 identity, one small file)
# Median over RUNS runs each (default 200), measured in one run with hyperfine.
#
# Usage: tests/bench/cred_get.sh [path/to/ward]
#   WARD    ward binary (default: build-bench/ward, then build-release/ward, then build/ward)
#   RUNS    runs per command (default 200)
#   KEEP=1  keep the temporary directory
# Not part of CTest: figures depend on the machine and its disk.
set -euo pipefail

source "$(dirname "$0")/common.bash"
RUNS="${RUNS:-200}"

find_ward cred_get.sh "${1:-}"
need_tools pass age hyperfine gnupg python3

# --- fixtures ----------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/ward-bench-get.XXXXXX")"
export GNUPGHOME="$work/gnupg"
cleanup() {
  gpgconf --kill gpg-agent >/dev/null 2>&1 || true
  if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

secret="bench-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"

# ward: a store with one credential, unlocked by a key file.
export XDG_DATA_HOME="$work/data"
export WARD_KEY_FILE="$work/ward.key"
unset WARD_STORE WARD_KEY WARD_PASSPHRASE_FILE
"$ward" init --key-file "$WARD_KEY_FILE" >/dev/null 2>&1
printf %s "$secret" | "$ward" cred add x --type generic --secret-stdin --allow-weak >/dev/null
[[ "$("$ward" cred get x)" == "$secret" ]] || { echo "ward returned the wrong secret" >&2; exit 1; }

# pass: a gpg key without passphrase in a private GNUPGHOME.
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'bench <bench@localhost>' default default never 2>/dev/null
export PASSWORD_STORE_DIR="$work/pass"
pass init bench@localhost >/dev/null
printf '%s\n' "$secret" | pass insert -m x >/dev/null
[[ "$(pass show x)" == "$secret" ]] || { echo "pass returned the wrong secret" >&2; exit 1; }

# age: an identity and the secret encrypted to it.
age-keygen -o "$work/age.key" 2>/dev/null
printf %s "$secret" | age -r "$(age-keygen -y "$work/age.key")" -o "$work/secret.age"
[[ "$(age -d -i "$work/age.key" "$work/secret.age")" == "$secret" ]] || { echo "age returned the wrong secret" >&2; exit 1; }

# --- measure -----------------------------------------------------------------
audit_before=$(find "$XDG_DATA_HOME/ward/store/audit" -maxdepth 1 -type f | wc -l)
hyperfine --runs "$RUNS" --warmup 5 -N --style none --export-json "$work/result.json" \
  -n "ward cred get x" "$ward cred get x" \
  -n "pass show x" "pass show x" \
  -n "age -d -i id file" "age -d -i $work/age.key $work/secret.age" >/dev/null
audit_after=$(find "$XDG_DATA_HOME/ward/store/audit" -maxdepth 1 -type f | wc -l)

python3 - "$work/result.json" "$RUNS" "$audit_before" "$audit_after" <<'EOF'
import json, statistics, sys
data = json.load(open(sys.argv[1]))["results"]
runs, before, after = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
med = {r["command"]: statistics.median(r["times"]) * 1000 for r in data}
ward = med["ward cred get x"]
print(f"median latency over {runs} runs (hyperfine -N, 5 warm-up runs)")
print(f"{'command':<22}{'median ms':>10}{'mean ms':>10}{'min ms':>9}{'max ms':>9}{'ward/this':>11}")
for r in data:
    name = r["command"]
    m = med[name]
    print(f"{name:<22}{m:>10.2f}{r['mean']*1000:>10.2f}{r['min']*1000:>9.2f}{r['max']*1000:>9.2f}{ward/m:>11.2f}")
print(f"audit events appended by ward during the run: {after - before} (store held {before} before)")
EOF
