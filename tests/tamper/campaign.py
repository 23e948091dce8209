#!/usr/bin/env python3
"""The tamper campaign: systematic damage to every object type in a ward store, each case on
its own copy of the store, each judged by the command that must detect it and its exit code.

For every family of objects (config, unlock entries, root keys, namespace meta, KEKs,
credential versions, audit events, segments, checkpoints, check results, redaction run records,
stored reports, backup packs, index
objects, snapshots) it tries, on one sample object:
  flip      each of the 8 bits of sampled bytes (the first bytes, the middle, the last bytes)
  truncate  to 0 bytes, to 1 byte, to half, by one byte
  swap      the sample and another object of its family exchange contents
  replay    an older object of the family written over the newest one's name
  delete    the sample removed
and expects the family's detector command to exit with the family's code (see FAMILIES). A
secret of the store must never appear on stdout of a case that failed. Prints one line per
family and the totals; exits 1 when any case went undetected or got another exit code.

Usage: campaign.py --ward BIN --store DIR --key-file FILE --checkpoint FILE [--secret S]...
       [--long] [--jobs N]
       [--only FAMILY]... [--list]
"""
import argparse
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile

# Each family: name, glob under the store, detector (ward arguments), the exit code it must
# give, optional overrides per kind of case: {kind: (detector, code, why)}.
# Why these codes (DESIGN.md): judging commands (store verify, audit verify, backup verify)
# report damage with 1; reading commands exit 4 on anything that fails authentication, which
# is what every command gets when the store cannot be unlocked at all. "{checkpoint}" is a
# checkpoint file taken last and kept outside the store, as DESIGN.md tells users to.
# A code of 0 marks what the format cannot detect by design; those cases still run (ward must
# neither crash nor misreport) and are counted apart, with the reason, never as detected.
CRED = ["cred", "get", "alpha"]
VERIFY = ["store", "verify"]
AUDIT = ["audit", "verify", "--checkpoint", "{checkpoint}"]
FAMILIES = [
    ("config", "config", CRED, 4, {"delete": (CRED, 3, None)}),
    ("unlock entry", "keys/unlock/*", CRED, 4, {}),
    ("root keys", "keys/root/store.g*", CRED, 4, {}),
    ("namespace meta", "keys/ns/*/meta.g*", CRED, 4, {"delete": (VERIFY, 1, None)}),
    ("kek", "keys/ns/*/kek/v*.g*", VERIFY, 1, {}),
    ("credential version", "creds/*/*/v*.g*", VERIFY, 1, {
        "delete": (VERIFY, 0, "a credential's newest version removed leaves an older valid one "
                              "(or none); only the audit trail records that it existed")}),
    ("audit event", "audit/[0-9]*", AUDIT, 1, {}),
    ("audit segment", "audit/seg/*", AUDIT, 1, {}),
    # Stored checkpoints are a convenience: an older or missing one is still a true statement;
    # truncation is bounded by the one kept outside the store ({checkpoint}, the families above).
    ("checkpoint", "audit/checkpoints/*", ["audit", "verify"], 1, {
        "swap": (["audit", "verify"], 0, "stored checkpoints are valid signed statements in any order"),
        "replay": (["audit", "verify"], 0, "an older stored checkpoint is still a valid statement"),
        "delete": (["audit", "verify"], 0, "only a checkpoint kept outside the store bounds truncation")}),
    ("check result", "checks/*/*/*", VERIFY, 1, {
        "delete": (VERIFY, 0, "stored check results are history for reports; nothing indexes them")}),
    ("redaction run", "redact/*/*/*", VERIFY, 1, {
        "delete": (VERIFY, 0, "a removed run record looks like one aged out of the kept runs")}),
    ("stored report", "reports/*/*", VERIFY, 1, {
        "delete": (VERIFY, 0, "stored reports are copies handed out; nothing indexes them")}),
    ("backup pack", "backups/*/data/*/*", ["backup", "verify", "--read-data"], 1, {}),
    ("backup index", "backups/*/index/*", ["backup", "verify"], 1, {}),
    ("backup snapshot", "backups/*/snapshots/*", ["backup", "verify"], 1, {
        "delete": (["backup", "verify"], 0, "a removed snapshot looks like a pruned one")}),
]


def objects(store, pattern):
    found = []
    for path in glob.glob(os.path.join(store, pattern)):
        if os.path.isfile(path) and "/.tmp" not in path:
            found.append(os.path.relpath(path, store))
    return sorted(found)


def flip_positions(size, long):
    if size == 0:
        return []
    head = list(range(min(size, 16 if long else 4)))
    middle = [size // 2] if not long else list(range(size // 2 - 8, size // 2 + 8))
    tail = list(range(max(0, size - (16 if long else 2)), size))
    positions = sorted({p for p in head + middle + tail if 0 <= p < size})
    return positions


def cases_for(store, family, long):
    name, pattern = family[0], family[1]
    members = objects(store, pattern)
    if not members:
        return None
    # The sample: the newest object of the family (its name sorts last), the one a reader meets.
    sample = members[-1]
    with open(os.path.join(store, sample), "rb") as f:
        data = f.read()
    cases = []
    for pos in flip_positions(len(data), long):
        for bit in range(8):
            cases.append((f"flip byte {pos} bit {bit}", "flip", sample, (pos, bit)))
    for length in sorted({0, 1, len(data) // 2, max(0, len(data) - 1)}):
        # Text objects end in a newline that carries nothing: cutting only whitespace is no damage.
        if length < len(data) and data[length:].strip():
            cases.append((f"truncate to {length}", "truncate", sample, length))
    others = [m for m in members if m != sample]
    if others:
        cases.append((f"swap with {others[0]}", "swap", sample, others[0]))
        cases.append((f"replay {others[-1]} over it", "replay", sample, others[-1]))
    cases.append(("delete", "delete", sample, None))
    return sample, cases


def apply(trial, kind, sample, arg):
    path = os.path.join(trial, sample)
    if kind == "flip":
        pos, bit = arg
        with open(path, "rb") as f:
            b = bytearray(f.read())
        b[pos] ^= 1 << bit
        os.unlink(path)  # the copy is hard-linked: never write through to the pristine store
        with open(path, "wb") as f:
            f.write(b)
    elif kind == "truncate":
        with open(path, "rb") as f:
            b = f.read()[:arg]
        os.unlink(path)
        with open(path, "wb") as f:
            f.write(b)
    elif kind in ("swap", "replay"):
        other = os.path.join(trial, arg)
        with open(path, "rb") as f:
            mine = f.read()
        with open(other, "rb") as f:
            theirs = f.read()
        os.unlink(path)
        with open(path, "wb") as f:
            f.write(theirs)
        if kind == "swap":
            os.unlink(other)
            with open(other, "wb") as f:
                f.write(mine)
    elif kind == "delete":
        os.unlink(path)


def run_case(args, family, case, workroot):
    name, _, detector, code, overrides = family
    label, kind, sample, arg = case
    trial = tempfile.mkdtemp(dir=workroot)
    try:
        # Hard links: a copy of a few hundred objects in milliseconds. ward never writes an
        # object in place (temp file + link), and apply() replaces what it damages.
        subprocess.run(["cp", "-al", args.store, os.path.join(trial, "store")], check=True)
        store = os.path.join(trial, "store")
        os.makedirs(os.path.join(trial, "state"))
        apply(store, kind, sample, arg)
        argv, want, why = detector, code, None
        if kind in overrides:
            argv, want, why = overrides[kind]
        argv = [args.checkpoint if a == "{checkpoint}" else a for a in argv]
        env = dict(os.environ, WARD_STORE="file://" + store, WARD_KEY_FILE=args.key_file,
                   XDG_STATE_HOME=os.path.join(trial, "state"), NO_COLOR="1")
        proc = subprocess.run([args.ward] + argv, env=env, capture_output=True, timeout=300)
        leaked = [s for s in args.secret if s.encode() in proc.stdout]
        ok = proc.returncode == want and not leaked
        detail = "" if ok else (
            f"{label}: `ward {' '.join(argv)}` exited {proc.returncode}, want {want}"
            + (" and printed a secret" if leaked else "")
            + (": " + proc.stderr.decode(errors="replace").strip().splitlines()[-1]
               if proc.stderr.strip() else ""))
        return ok, detail, why
    finally:
        shutil.rmtree(trial, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ward", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--key-file", required=True)
    p.add_argument("--secret", action="append", default=[])
    p.add_argument("--checkpoint", required=True, help="a checkpoint file kept outside the store")
    p.add_argument("--long", action="store_true", help="many more flipped bytes per object")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--only", action="append", default=[])
    p.add_argument("--workdir", default=None)
    p.add_argument("--list", action="store_true", help="list the cases, run none")
    args = p.parse_args()
    workroot = tempfile.mkdtemp(dir=args.workdir, prefix="ward-tamper.")
    total = failed = by_design = 0
    missing = []
    try:
        for family in FAMILIES:
            if args.only and family[0] not in args.only:
                continue
            found = cases_for(args.store, family, args.long)
            if found is None:
                missing.append(family[0])
                continue
            sample, cases = found
            if args.list:
                for c in cases:
                    print(f"{family[0]}\t{sample}\t{c[0]}")
                continue
            with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
                results = list(pool.map(lambda c: run_case(args, family, c, workroot), cases))
            bad = [d for ok, d, _ in results if not ok]
            undetectable = [(c[0], why) for c, (ok, _, why) in zip(cases, results) if ok and why]
            total += len(cases)
            failed += len(bad)
            by_design += len(undetectable)
            print(f"tamper: {family[0]:<20} {len(cases):4d} cases on {sample}: "
                  f"{len(cases) - len(bad) - len(undetectable)} detected, "
                  f"{len(undetectable)} undetectable by design, {len(bad)} failed", flush=True)
            for label, why in undetectable:
                print(f"    by design: {label}: {why}", flush=True)
            for d in bad[:10]:
                print(f"    {d}", file=sys.stderr, flush=True)
            if len(bad) > 10:
                print(f"    ... and {len(bad) - 10} more", file=sys.stderr)
    finally:
        shutil.rmtree(workroot, ignore_errors=True)
    if missing:
        print(f"tamper: error: the store holds no object of: {', '.join(missing)}", file=sys.stderr)
        return 1
    if not args.list:
        print(f"tamper campaign: {total} cases: {total - failed - by_design} detected with the right "
              f"exit code, {by_design} undetectable by design (exit 0 as documented), {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
