#!/usr/bin/env bash
# ward redact scan / run beside ripgrep and sed on the same generated JSONL log, side by side in
# one run, ratios printed. Not a CTest test: figures depend on the machine and its load.
#
#   tests/bench/redact.sh [WARD_BINARY]        SIZE_MB=512 (default) or smaller on a busy machine
#
# The data is deterministic (python3 random with a fixed seed): JSONL lines of a web service
# log, about one PII item (email, phone, card, IPv4, IBAN, SSN) per 500 bytes, plus near misses
# that a validator must reject (Luhn-invalid card numbers, dates, versions). The anchors use one
# combined regex for the same kinds of items, without validation.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
find_ward "$0" "${1:-}"
need_tools python3
command -v rg >/dev/null 2>&1 || need_tools ripgrep

SIZE_MB=${SIZE_MB:-512}
work=$(mktemp -d "${TMPDIR:-/tmp}/ward-bench-redact.XXXXXX")
[[ ${KEEP:-0} == 1 ]] || trap 'rm -rf -- "$work"' EXIT
data=$work/log.jsonl

python3 - "$data" "$SIZE_MB" <<'PY'
import random, sys
path, size_mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261201)
def luhn_complete(prefix):
    digits = [int(c) for c in prefix]
    for check in range(10):
        total = 0
        for i, d in enumerate(reversed(digits + [check])):
            if i % 2 == 1:
                d *= 2
                if d > 9: d -= 9
            total += d
        if total % 10 == 0:
            return prefix + str(check)
def iban_de():
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    rearranged = bban + "1314" + "00"   # D=13 E=14
    check = 98 - int(rearranged) % 97
    return f"DE{check:02d}{bban}"
kinds = [
    lambda: f"user{rng.randrange(10**6)}@mail{rng.randrange(100)}.example.com",
    lambda: f"+49151{rng.randrange(10**7):07d}",
    lambda: luhn_complete("4" + "".join(rng.choice("0123456789") for _ in range(14))),
    lambda: f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
    iban_de,
    lambda: f"{rng.randrange(1, 899):03d}-{rng.randrange(1, 99):02d}-{rng.randrange(1, 9999):04d}",
]
paths = ["/api/v1/orders", "/api/v1/users/me", "/healthz", "/static/app.js", "/api/v2/search"]
target = size_mb * 1024 * 1024
written = items = 0
with open(path, "w") as out:
    while written < target:
        line_items = []
        fields = {
            "ts": f"2026-11-{rng.randrange(1, 30):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
            "level": rng.choice(["info", "info", "info", "warn", "error"]),
            "path": rng.choice(paths),
            "status": rng.choice([200, 200, 200, 201, 404, 500]),
            "duration_ms": rng.randrange(1, 900),
            "version": f"1.{rng.randrange(20)}.{rng.randrange(100)}.{rng.randrange(1000)}",
            "request_id": "%032x" % rng.getrandbits(128),
        }
        r = rng.random()
        if r < 0.55:
            fields["detail"] = "customer " + rng.choice(kinds)()
            items += 1
        elif r < 0.62:
            fields["detail"] = "ref " + str(rng.randrange(10**15, 10**16))  # near miss (no issuer/Luhn)
        else:
            fields["detail"] = "ok"
        parts = []
        for k, v in fields.items():
            parts.append(f'"{k}":"{v}"' if isinstance(v, str) else f'"{k}":{v}')
        line = "{" + ",".join(parts) + "}\n"
        out.write(line)
        written += len(line)
print(f"generated {written / 2**20:.0f} MiB, {items} PII items planted", file=sys.stderr)
PY

# One combined pattern for the anchors: the same kinds of items, no validation.
pattern='[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}|\+[1-9][0-9]{7,14}|\b[0-9]{13,19}\b|\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b|\b[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}\b|\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b'

# run NAME CMD...: wall-clock seconds of one run (page cache warm: the file was just written
# and every tool reads it once before).
declare -A secs
run() {
  local name=$1 start end
  shift
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  secs[$name]=$(python3 -c "print(f'{$end - $start:.2f}')")
}
cat "$data" >/dev/null
bytes=$(stat -c %s "$data")

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; ${SIZE_MB} MiB"
run "ward redact scan" bash -c "'$ward' --json redact scan --input-format jsonl '$data' >'$work/scan.json' || [[ \$? == 1 ]]"
run "rg --count-matches" bash -c "rg --count-matches -e '$pattern' '$data' >'$work/rg.count'"
run "ward redact run" "$ward" redact run --action mask --input-format jsonl "$data" -o "$work/ward.out"
run "rg --passthru -r" bash -c "rg --passthru -r '***' -e '$pattern' '$data' >'$work/rg.out'"
run "sed -E" bash -c "LC_ALL=C sed -E 's/$pattern/***/g' '$data' >'$work/sed.out'"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

found=$(python3 -c "import json; print(json.load(open('$work/scan.json'))['found'])")
echo "ward found $found validated items; rg counted $(cat "$work/rg.count") unvalidated matches"
mbps() { python3 -c "print(f'{$bytes / 2**20 / $1:.0f}')"; }
printf '%-22s %8s %10s\n' tool seconds MiB/s
for name in "ward redact scan" "rg --count-matches" "ward redact run" "rg --passthru -r" "sed -E"; do
  printf '%-22s %8s %10s\n' "$name" "${secs[$name]}" "$(mbps "${secs[$name]}")"
done
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "scan speed vs rg --count-matches: $(ratio "${secs[rg --count-matches]}" "${secs[ward redact scan]}")x (aim >= 1)"
echo "run speed vs rg --passthru -r:    $(ratio "${secs[rg --passthru -r]}" "${secs[ward redact run]}")x (aim >= 4)"
echo "run speed vs sed -E:              $(ratio "${secs[sed -E]}" "${secs[ward redact run]}")x"
