#!/usr/bin/env bash
# `ward redact run --in-place` and a redaction job killed with SIGKILL at many points (by time,
# and on entering each write, rename and fsync under strace fault injection): every file is
# afterwards either exactly the original or exactly the redacted result, never torn, and a
# rerun completes to the redacted result.
#
# WARD_FAULT_LONG=1 runs many more kill points.
# The --check commands are single-quoted on purpose: the harness runs them with bash later.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/fault/fault.bash"
require_cmd cmp python3

if [[ $FAULT_LONG == 1 ]]; then
  TIME_POINTS=30 SYSCALL_TRIALS=200
else
  TIME_POINTS=4 SYSCALL_TRIALS=16
fi

TPL=$FAULT_ROOT/tpl
mkdir -p "$TPL/state" "$T/ref"
# 14 MiB of log lines with an e-mail address and a card number in each 7th line: long enough
# that a kill by time lands in the middle of writing the temp file.
python3 - "$TPL/a.log" "$TPL/b.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as out:
    for i in range(150000):
        if i % 7 == 0:
            out.write(f"2026-11-23T14:43:{i % 60:02d}Z user{i}@example.com paid with 4111111111111111 ok\n")
        else:
            out.write(f"2026-11-23T14:43:{i % 60:02d}Z request {i} served in {i % 97} ms\n")
with open(sys.argv[2], "w") as out:
    out.write("id,email,note\n")
    for i in range(20000):
        out.write(f'{i},user{i}@example.com,"note {i}, nothing"\n')
PY
chmod 640 "$TPL/a.log"
cp "$TPL/a.log" "$T/ref/a.log"
cp "$TPL/b.csv" "$T/ref/b.csv"
"$WARD" redact run --action mask "$T/ref/a.log" -o "$T/ref/a.masked" >/dev/null || fail "reference run failed"
cat >"$TPL/job.json" <<'JOB'
{"name": "crash", "targets": [
  {"type": "file", "paths": ["a.log"], "action": "mask"},
  {"type": "file", "paths": ["b.csv"], "columns": {"email": "hash"}}]}
JOB
WARD_STORE=file://$TPL/store WARD_KEY_FILE=$TPL/master.key XDG_STATE_HOME=$TPL/state \
  "$WARD" init --key-file "$TPL/master.key" --kdf-memory 8192 --kdf-iterations 1 >/dev/null ||
  fail "init failed"
# The job's reference result, from a copy of the template.
cp -a "$TPL" "$T/jobref"
WARD_STORE=file://$T/jobref/store WARD_KEY_FILE=$T/jobref/master.key XDG_STATE_HOME=$T/jobref/state \
  "$WARD" redact run "$T/jobref/job.json" >/dev/null || fail "reference job failed"
export REF=$T/ref JOBREF=$T/jobref

# old_or_new FILE ORIGINAL REDACTED: FILE is byte for byte one of the two.
old_or_new='old_or_new() { cmp -s "$1" "$2" || cmp -s "$1" "$3" || { echo "$1 is torn: neither the original nor the redacted file"; return 1; }; }'

run_harness --name "redact run --in-place" --store-template "$TPL" \
  --victim "$(json_argv "$WARD" redact run --action mask --in-place '{dir}/a.log')" \
  --check "$old_or_new"'; old_or_new "$FAULT_DIR/a.log" "$REF/a.log" "$REF/a.masked"' \
  --check '[[ $(stat -c %a "$FAULT_DIR/a.log") == 640 ]]' \
  --check '"$WARD" redact run --action mask --in-place "$FAULT_DIR/a.log" >/dev/null && cmp "$FAULT_DIR/a.log" "$REF/a.masked"' \
  --time-points "$TIME_POINTS" --syscall-points auto --max-syscall-trials "$SYSCALL_TRIALS" \
  --syscalls write,rename,fsync --timeout 120

run_harness --name "redact job" --store-template "$TPL" \
  --env 'WARD_STORE=file://{dir}/store' --env 'WARD_KEY_FILE={dir}/master.key' \
  --env 'XDG_STATE_HOME={dir}/state' \
  --victim "$(json_argv "$WARD" redact run '{dir}/job.json')" \
  --check "$old_or_new"'; old_or_new "$FAULT_DIR/a.log" "$REF/a.log" "$JOBREF/a.log"' \
  --check "$old_or_new"'; old_or_new "$FAULT_DIR/b.csv" "$REF/b.csv" "$JOBREF/b.csv"' \
  --check '"$WARD" store verify >/dev/null' \
  --check '"$WARD" redact run "$FAULT_DIR/job.json" >/dev/null && cmp "$FAULT_DIR/a.log" "$JOBREF/a.log" && cmp "$FAULT_DIR/b.csv" "$JOBREF/b.csv"' \
  --time-points "$TIME_POINTS" --syscall-points auto --max-syscall-trials "$SYSCALL_TRIALS" \
  --syscalls write,rename,fsync --timeout 120
fault_finish
