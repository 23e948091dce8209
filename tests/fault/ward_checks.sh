#!/usr/bin/env bash
# Invariant checks on a ward store, for the fault harness's --check commands.
#
#   ward_checks.sh secrets FILE [--sample N] [--skip NAME]...
#       FILE holds lines "NAME<TAB>SECRET". Every NAME must be read by one `ward cred export
#       --reveal NAME...` (exit 0) with exactly SECRET as its secret field, and N of them chosen
#       at random (default 1; they differ from trial to trial) must also read with `ward cred
#       get NAME`, exit 0, and print exactly SECRET. One process for all of them: a ward start
#       costs more than the reads on a small store, and a trial runs this after every kill.
#   ward_checks.sh listed FILE [--skip NAME]...
#       `ward cred list --json` exits 0 (it opens the newest version of every credential) and
#       names every NAME of FILE.
#   ward_checks.sh get-status NAME CODE[,CODE...]
#       `ward cred get NAME` exits with one of the codes (say 0,3: readable or revoked/absent,
#       never 4 damaged or 70 internal).
#   ward_checks.sh keys-rewrapped
#       `ward key rewrap` completes, and afterwards `ward key status --json` shows no object
#       on a key version other than the current one.
#   ward_checks.sh audit-kept FILE
#       FILE is `ward audit log --json` of the template: every event in it is still in the
#       trail, unchanged and at the same sequence number (no audited action lost or altered).
#   ward_checks.sh restores SNAPSHOT-PREFIX DIR
#       `ward backup restore` of the newest snapshot whose id starts with SNAPSHOT-PREFIX (or
#       "latest") reproduces DIR byte for byte.
#
# The store, key and namespace come from the environment (WARD_STORE, WARD_KEY_FILE, ...) and
# the binary from $WARD (set by tests/integration/lib.bash), else `ward` on PATH.
set -euo pipefail

WARD=${WARD:-ward}

fail() {
  printf 'invariant broken: %s\n' "$*" >&2
  exit 1
}

skipped() {
  local name=$1 s
  shift
  for s in "$@"; do [[ $s == "$name" ]] && return 0; done
  return 1
}

cmd=${1:?usage: ward_checks.sh secrets|listed|get-status|keys-rewrapped ...}
shift
case $cmd in
  secrets)
    file=$1
    shift
    sample=1 skip=()
    while (($#)); do
      case $1 in
        --sample) sample=$2; shift 2 ;;
        --skip) skip+=("$2"); shift 2 ;;
        *) fail "secrets: unknown argument $1" ;;
      esac
    done
    wanted=${TMPDIR:-/tmp}/ward_checks.wanted.$$
    err=${TMPDIR:-/tmp}/ward_checks.$$
    trap 'rm -f "$wanted" "$err"' EXIT
    names=()
    while IFS=$'\t' read -r name secret; do
      [[ -n $name ]] || continue
      if ((${#skip[@]})) && skipped "$name" "${skip[@]}"; then continue; fi
      names+=("$name")
      printf '%s\t%s\n' "$name" "$secret"
    done <"$file" >"$wanted"
    ((${#names[@]} > 0)) || fail "secrets: no credential checked"
    rc=0
    exported=$("$WARD" cred export --reveal "${names[@]}" 2>"$err") || rc=$?
    if ((rc != 0)); then
      cat "$err" >&2
      fail "ward cred export --reveal of ${#names[@]} credentials exited $rc"
    fi
    # The secrets travel on stdin and in a private temp file, never on a command line.
    python3 -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    wanted = dict(line.rstrip("\n").split("\t", 1) for line in f if line.strip())
got = {c["name"]: c["secrets"].get(c["secret_field"]) for c in json.load(sys.stdin)["credentials"]}
missing = [n for n in wanted if n not in got]
wrong = [n for n in wanted if n in got and got[n] != wanted[n]]
if missing or wrong:
    sys.exit("not exported: %s; a different secret: %s" % (missing[:20], wrong[:20]))
' "$wanted" <<<"$exported" || fail "ward cred export --reveal did not give back every secret"
    while IFS=$'\t' read -r name secret; do
      rc=0
      got=$("$WARD" cred get "$name" 2>"$err") || rc=$?
      if ((rc != 0)); then
        cat "$err" >&2
        fail "ward cred get $name exited $rc"
      fi
      [[ $got == "$secret" ]] || fail "ward cred get $name printed a different secret"
    done < <(shuf -n "$sample" "$wanted")
    ;;
  listed)
    file=$1
    shift
    skip=()
    while (($#)); do
      case $1 in
        --skip) skip+=("$2"); shift 2 ;;
        *) fail "listed: unknown argument $1" ;;
      esac
    done
    listing=$("$WARD" cred list --json) || fail "ward cred list --json exited $?"
    python3 -c '
import json, sys
listed = {c["name"] for c in json.loads(sys.argv[1])["credentials"]}
skip = set(sys.argv[3:])
with open(sys.argv[2], encoding="utf-8") as f:
    wanted = [line.split("\t")[0] for line in f if line.strip()]
missing = [n for n in wanted if n not in skip and n not in listed]
if missing:
    sys.exit("ward cred list does not list: " + " ".join(missing[:20]))
' "$listing" "$file" ${skip[@]+"${skip[@]}"} || fail "a credential is missing from ward cred list"
    ;;
  get-status)
    name=$1 codes=$2
    rc=0
    "$WARD" cred get "$name" >/dev/null 2>"${TMPDIR:-/tmp}/ward_checks.$$" || rc=$?
    if [[ ",$codes," != *",$rc,"* ]]; then
      cat "${TMPDIR:-/tmp}/ward_checks.$$" >&2
      rm -f "${TMPDIR:-/tmp}/ward_checks.$$"
      fail "ward cred get $name exited $rc, expected one of $codes"
    fi
    rm -f "${TMPDIR:-/tmp}/ward_checks.$$"
    ;;
  keys-rewrapped)
    "$WARD" key rewrap >/dev/null || fail "ward key rewrap exited $?"
    status=$("$WARD" key status --json) || fail "ward key status --json exited $?"
    python3 -c '
import json, sys
s = json.load(sys.stdin)
stale = [(v["version"], v["objects"]) for v in s["kek_versions"]
         if v["version"] != s["current_version"] and v["objects"] != 0]
if stale:
    sys.exit("objects still on old key versions (version, count): %s" % stale)
' <<<"$status" || fail "key rewrap left objects on an old key version"
    ;;
  audit-kept)
    file=$1
    now=$("$WARD" audit log --json) || fail "ward audit log --json exited $?"
    python3 -c '
import json, sys
def events(doc):
    return {e["seq"]: (e["time"], e["action"], e.get("target", ""), e["outcome"]) for e in doc["events"]}
before = events(json.load(open(sys.argv[1])))
after = events(json.loads(sys.argv[2]))
lost = [s for s in before if s not in after]
changed = [s for s in before if s in after and after[s] != before[s]]
if lost or changed:
    sys.exit("audit events lost: %s; changed: %s" % (lost[:20], changed[:20]))
' "$file" "$now" || fail "the audit trail lost or changed events it had before the kill"
    ;;
  restores)
    prefix=$1 dir=$2
    out=${TMPDIR:-/tmp}/ward_checks.restore.$$
    rm -rf "$out"
    "$WARD" backup restore "$prefix" --to "$out" >/dev/null 2>&1 || fail "ward backup restore $prefix exited $?"
    diff -r "$dir" "$out/${dir#/}" >/dev/null 2>&1 || diff -r "$dir" "$out" >/dev/null ||
      { rm -rf "$out"; fail "restore of $prefix differs from $dir"; }
    rm -rf "$out"
    ;;
  *)
    fail "unknown check $cmd"
    ;;
esac
