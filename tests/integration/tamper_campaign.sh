#!/usr/bin/env bash
# The tamper campaign (tests/tamper/campaign.py): a store with objects of every type — config,
# unlock entries, root keys, namespace meta, KEKs, credential versions, audit events and
# segments, checkpoints, check results, redaction run records, stored reports, backup packs,
# index objects and snapshots — and on a sample of each: every bit of sampled bytes flipped,
# truncations, a swap with a sibling, an older sibling replayed over it, deletion. Every case on
# its own copy; every case must be detected by the family's detector with the documented exit
# code, and no secret printed.
# tamper.sh holds the hand-written cases (cross-namespace copies, checkpoints kept outside).
#
# WARD_TAMPER_LONG=1 flips every bit of many more bytes per object; WARD_TAMPER_ONLY=FAMILY
# (say "check result") runs one family.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd python3

new_store
STORE=$XDG_DATA_HOME/ward/store
sa="Campaign-A-$RANDOM-Rk2#vM8!qZ5p" sb="Campaign-B-$RANDOM-Lx7!nW3#tJ9c"
expect_exit 0 "$WARD" cred add alpha --type generic --secret-stdin < <(printf '%s' "$sa")
expect_exit 0 "$WARD" cred add beta --type generic --secret-stdin < <(printf '%s' "$sb")
expect_exit 0 "$WARD" cred rotate beta --generate
expect_exit 0 "$WARD" key rotate
expect_exit 0 "$WARD" cred add gamma --type generic --generate
for _ in 1 2 3; do expect_exit 0 "$WARD" cred get alpha; done
# Two segments' worth of sealed events, then more single events after them.
expect_exit 0 "$WARD" maintenance --seal-min 4
for _ in 1 2 3 4 5; do expect_exit 0 "$WARD" cred get beta; done
expect_exit 0 "$WARD" maintenance --seal-min 4
for _ in 1 2; do expect_exit 0 "$WARD" cred get gamma; done
expect_exit 0 "$WARD" audit checkpoint
expect_exit 0 "$WARD" cred get alpha
expect_exit 0 "$WARD" audit checkpoint
# Check results: a refused port is a stored result with status error (two targets).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_exit 1 "$WARD" check tls "127.0.0.1:$port" --timeout 2s
expect_exit 1 "$WARD" check tls "127.0.0.1:$((port + 1))" --timeout 2s
# Backups: two snapshots of different data, so two packs, two index objects.
mkdir -p "$T/data"
head -c 300000 /dev/urandom >"$T/data/one.bin"
printf 'first\n' >"$T/data/notes.txt"
expect_exit 0 "$WARD" backup create "$T/data"
head -c 200000 /dev/urandom >"$T/data/two.bin"
expect_exit 0 "$WARD" backup create "$T/data"
# Redaction run records (two runs of one job) and two reports kept in the store.
printf 'mail a@example.com\n' >"$T/r.log"
printf '{"name": "campaign", "targets": [{"type": "file", "paths": ["r.log"]}]}' >"$T/job.json"
expect_exit 0 "$WARD" redact run "$T/job.json"
printf 'mail b@example.com\n' >"$T/r.log"
expect_exit 0 "$WARD" redact run "$T/job.json"
expect_exit 0 "$WARD" audit report --format json --out store
expect_exit 0 "$WARD" audit report --format md --out store
# The pristine store passes every detector, so each failure below is the tampering's doing.
expect_exit 0 "$WARD" store verify
expect_exit 0 "$WARD" audit verify
expect_exit 0 "$WARD" backup verify --read-data
expect_exit 0 "$WARD" cred get alpha
assert_eq "$OUT" "$sa"

# Last, a checkpoint kept outside the store (as a user would keep it in a CI log): it covers
# every event, so even the newest one cannot be removed unnoticed.
expect_exit 0 "$WARD" audit checkpoint
printf '%s\n' "$OUT" >"$T/checkpoint.txt"

long=()
[[ ${WARD_TAMPER_LONG:-0} == 1 ]] && long=(--long)
[[ -n ${WARD_TAMPER_ONLY:-} ]] && long+=(--only "$WARD_TAMPER_ONLY")
python3 "$WARD_SOURCE_DIR/tests/tamper/campaign.py" --ward "$WARD" --store "$STORE" \
  --key-file "$WARD_KEY_FILE" --checkpoint "$T/checkpoint.txt" --secret "$sa" --secret "$sb" --workdir "$T" "${long[@]}" ||
  fail "the tamper campaign found undetected or misreported damage (see above)"
