#!/usr/bin/env python3
"""ward's fault harness: run a command, SIGKILL it at many points, check invariants.

Every crash test in ward uses this one harness (key rewrap and rotate today; backups and
redaction later). It knows nothing about ward: it copies a prepared directory, runs a "victim"
command against the copy, kills it with SIGKILL at some point, then runs invariant checks
against what the killed process left behind. Each trial works on its own fresh copy
(`cp -a`), so trials are independent and may run in parallel.

Kill points come from two sources:

  by time     the victim's clean runtime is measured first (median of a few clean runs);
              --time-points N trials then sleep N evenly spaced delays across that runtime
              (plus a little random jitter, seeded by --seed) and kill the victim's process
              group with SIGKILL.
  by syscall  the victim runs under strace with fault injection,
              `strace -f -e inject=SYSCALL:signal=KILL:when=K`, so SIGKILL is delivered on
              entering the K-th call of SYSCALL: the call never happens, everything before it
              did. A clean run under `strace -c` counts the calls of each state-changing
              syscall (--syscalls, default: write, link, linkat, unlink, unlinkat, rename,
              renameat, renameat2, fsync, fdatasync, syncfs, mkdir, mkdirat); --syscall-points
              auto kills at every call when there are few, or else at evenly spaced calls
              (always the first and the last, at least 4 of each syscall) in proportion to
              the counts, about --max-syscall-trials in all; an integer N takes up to N
              calls of each syscall.

After each kill the checks (shell commands, run with bash in order) must all exit 0. A clean,
unkilled run must pass them too (the "baseline" trial), or the checks are wrong. A trial whose
victim finished before the kill arrived still has its checks run and is counted, but reported
as "completed" rather than "killed".

Placeholders and environment
  {dir} in the victim's argv and in --env values is replaced by the trial's private copy of
  --store-template. The victim and the checks run with the caller's environment plus every
  --env K=V, plus FAULT_DIR (the trial's copy), FAULT_TRIAL (a description of the kill point)
  and FAULT_NAME. Checks should use "$FAULT_DIR", not {dir}.

Usage
  harness.py --name NAME --store-template DIR --victim '["ward","key","rewrap"]'
             --check 'shell command' [--check ...]
             [--setup 'shell command, run once with FAULT_DIR=DIR before anything else']
             [--env K=V ...] [--time-points 10] [--syscall-points auto|N]
             [--syscalls write,link,...] [--max-syscall-trials 60] [--jobs N]
             [--seed S] [--keep-failed DIR] [--timeout SECONDS] [--workdir DIR]

  A SIGKILL ends a process, not the machine: the page cache survives it, so trials on a tmpfs
  (/dev/shm) test exactly what they would on a disk, without the cost of real fsync/syncfs.
  Power loss (unsynced data lost) is a different fault, which this harness does not simulate.

  WARD_FAULT_QUICK=1 in the environment bounds every run to a smoke test, whatever the
  caller asked for: at most 1 kill by time and 1 call of each syscall (the sanitizer stage of
  CI sets it, where ward runs several times slower and the full kill campaign already runs
  in the gcc suite).

  Output ends with
    fault harness: NAME: N trials (T by time, S by syscall injection), F failures
  and the exit status is 1 if any trial failed (0 otherwise, 2 on a usage or setup error).

Example (from tests/integration/crash_rewrap.sh)
  python3 tests/fault/harness.py --name rewrap --store-template "$T/tpl" \\
    --env 'WARD_STORE=file://{dir}/store' --env 'WARD_KEY_FILE={dir}/master.key' \\
    --victim "[\\"$WARD\\", \\"key\\", \\"rewrap\\"]" \\
    --check '"$WARD" store verify' --check '"$WARD" cred list >/dev/null'

Requires python3 (stdlib only) and strace (scripts/install-deps.sh installs it).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

DEFAULT_SYSCALLS = [
    "write", "link", "linkat", "unlink", "unlinkat", "rename", "renameat", "renameat2",
    "fsync", "fdatasync", "syncfs", "mkdir", "mkdirat",
]


@dataclass
class Trial:
    kind: str  # "baseline", "time" or "syscall"
    description: str
    delay: float = 0.0
    syscall: str = ""
    call: int = 0


@dataclass
class Outcome:
    trial: Trial
    killed: bool
    victim_status: int | None
    failures: list[str] = field(default_factory=list)
    error: str = ""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def die(message: str) -> None:
    log(f"fault harness: error: {message}")
    sys.exit(2)


class Harness:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.name = args.name
        self.template = os.path.abspath(args.store_template)
        try:
            victim = json.loads(args.victim)
        except json.JSONDecodeError as e:
            die(f"--victim must be a JSON array of strings: {e}")
        if not isinstance(victim, list) or not victim or not all(isinstance(a, str) for a in victim):
            die("--victim must be a non-empty JSON array of strings")
        self.victim: list[str] = victim
        self.env_pairs: list[tuple[str, str]] = []
        for pair in args.env:
            key, sep, value = pair.partition("=")
            if not sep or not key:
                die(f"--env expects K=V, got {pair!r}")
            self.env_pairs.append((key, value))
        self.syscalls = [s for s in args.syscalls.split(",") if s]
        if args.workdir:
            os.makedirs(args.workdir, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="fault-harness.", dir=args.workdir)
        self.counter = 0
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)

    # -- trial directories and environment ----------------------------------------------------

    def fresh_copy(self, label: str) -> str:
        with self.lock:
            self.counter += 1
            number = self.counter
        directory = os.path.join(self.work, f"{number:04d}-{label}")
        subprocess.run(["cp", "-a", self.template, directory], check=True)
        return directory

    def environment(self, directory: str, description: str) -> dict[str, str]:
        env = dict(os.environ)
        for key, value in self.env_pairs:
            env[key] = value.replace("{dir}", directory)
        env["FAULT_DIR"] = directory
        env["FAULT_TRIAL"] = description
        env["FAULT_NAME"] = self.name
        return env

    def argv(self, directory: str) -> list[str]:
        return [a.replace("{dir}", directory) for a in self.victim]

    # -- running the victim --------------------------------------------------------------------

    def run_clean(self, directory: str, env: dict[str, str]) -> tuple[int, float, str]:
        start = time.monotonic()
        proc = subprocess.run(self.argv(directory), env=env, cwd=directory,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=self.args.timeout)
        return proc.returncode, time.monotonic() - start, proc.stdout.decode(errors="replace")

    def run_killed_by_time(self, directory: str, env: dict[str, str], delay: float) -> int | None:
        proc = subprocess.Popen(self.argv(directory), env=env, cwd=directory,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            return proc.wait(timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            return None

    @staticmethod
    def under_ptrace(env: dict[str, str]) -> dict[str, str]:
        """The environment for a victim run under strace. LeakSanitizer cannot work under
        ptrace and aborts the process at exit, so a sanitized ward (scripts/sanitize.sh) checks
        for leaks everywhere except in these runs; every other sanitizer stays on."""
        env = dict(env)
        options = env.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (options + ":" if options else "") + "detect_leaks=0"
        return env

    def run_killed_by_syscall(self, directory: str, env: dict[str, str], syscall: str,
                              call: int) -> int | None:
        env = self.under_ptrace(env)
        command = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
                   "-e", f"inject={syscall}:signal=KILL:when={call}", "--", *self.argv(directory)]
        proc = subprocess.Popen(command, env=env, cwd=directory, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            return proc.wait(timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return None

    def count_syscalls(self) -> dict[str, int]:
        directory = self.fresh_copy("count")
        env = self.under_ptrace(self.environment(directory, "syscall count"))
        summary = os.path.join(self.work, "strace-count.txt")
        command = ["strace", "-f", "-c", "-o", summary, "-e", "trace=" + ",".join(self.syscalls),
                   "--", *self.argv(directory)]
        proc = subprocess.run(command, env=env, cwd=directory, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=self.args.timeout)
        if proc.returncode != 0:
            die(f"the victim failed under strace (status {proc.returncode}):\n"
                + proc.stdout.decode(errors="replace"))
        counts: dict[str, int] = {}
        with open(summary, encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 5 and fields[-1] in self.syscalls and fields[3].isdigit():
                    counts[fields[-1]] = int(fields[3])
        shutil.rmtree(directory, ignore_errors=True)
        return counts

    # -- checks --------------------------------------------------------------------------------

    def run_checks(self, directory: str, env: dict[str, str]) -> list[str]:
        failures = []
        for check in self.args.check:
            try:
                proc = subprocess.run(["bash", "-c", check], env=env, cwd=directory,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, timeout=self.args.timeout)
                status = proc.returncode
                output = proc.stdout.decode(errors="replace").strip()
            except subprocess.TimeoutExpired:
                status, output = "timeout", ""
            if status != 0:
                tail = "\n".join(output.splitlines()[-8:])
                failures.append(f"check {check!r} exited {status}" + (f":\n{tail}" if tail else ""))
        return failures

    # -- planning and running trials -----------------------------------------------------------

    def plan_time(self, runtime: float) -> list[Trial]:
        n = self.args.time_points
        trials = []
        # Spread over the clean runtime, a little past it: the process start is not free and a
        # traced, loaded or parallel run is slower than the measured one.
        span = runtime * 1.1
        for i in range(n):
            base = span * (i + 0.5) / n
            jitter = self.rng.uniform(-0.5, 0.5) * span / n
            delay = max(0.0, base + jitter)
            trials.append(Trial("time", f"SIGKILL after {delay * 1000:.1f} ms", delay=delay))
        return trials

    def plan_syscalls(self, counts: dict[str, int]) -> list[Trial]:
        spec = self.args.syscall_points
        present = {s: c for s, c in counts.items() if c > 0}
        if spec == "0" or not present:
            return []
        if spec == "auto":
            total = sum(present.values())
            budget = self.args.max_syscall_trials
            # Every call if they fit; else each syscall gets a share of the budget
            # proportional to its count, and at least 4 calls (always its first and last).
            per = {s: c if total <= budget else max(min(c, 4), round(budget * c / total))
                   for s, c in present.items()}
        else:
            try:
                limit = int(spec)
            except ValueError:
                die(f"--syscall-points must be auto or an integer, got {spec!r}")
            per = {s: min(c, limit) for s, c in present.items()}
        trials = []
        for syscall, count in sorted(present.items()):
            for call in spread(count, per[syscall]):
                trials.append(Trial("syscall", f"SIGKILL on entering {syscall} call {call} of {count}",
                                    syscall=syscall, call=call))
        return trials

    def execute(self, trial: Trial) -> Outcome:
        label = {"baseline": "baseline", "time": "time", "syscall": f"{trial.syscall}{trial.call}"}
        directory = self.fresh_copy(label[trial.kind])
        env = self.environment(directory, trial.description)
        outcome = Outcome(trial, killed=False, victim_status=None)
        try:
            if trial.kind == "baseline":
                status, _, output = self.run_clean(directory, env)
                if status != 0:
                    outcome.error = f"the clean victim run exited {status}:\n{output.strip()}"
                outcome.victim_status = status
            elif trial.kind == "time":
                outcome.victim_status = self.run_killed_by_time(directory, env, trial.delay)
            else:
                outcome.victim_status = self.run_killed_by_syscall(directory, env, trial.syscall,
                                                                   trial.call)
            if outcome.victim_status is None:
                outcome.error = "the victim did not end within the timeout"
            outcome.killed = outcome.victim_status in (-signal.SIGKILL, 128 + signal.SIGKILL)
            if trial.kind != "baseline" and not outcome.killed and outcome.victim_status != 0:
                # Killing a process must not make it fail some other way first.
                outcome.error = f"the victim exited {outcome.victim_status} instead of being killed"
            outcome.failures = self.run_checks(directory, env)
        except Exception as e:  # noqa: BLE001 - a harness bug is a failed trial, reported
            outcome.error = f"harness error: {e!r}"
        failed = bool(outcome.failures or outcome.error)
        if failed and self.args.keep_failed:
            os.makedirs(self.args.keep_failed, exist_ok=True)
            shutil.copytree(directory, os.path.join(self.args.keep_failed,
                                                    os.path.basename(directory)), symlinks=True)
        shutil.rmtree(directory, ignore_errors=True)
        return outcome

    def run(self) -> int:
        if self.args.setup:
            env = self.environment(self.template, "setup")
            if subprocess.run(["bash", "-c", self.args.setup], env=env).returncode != 0:
                die("the --setup command failed")
        if not os.path.isdir(self.template):
            die(f"--store-template {self.template} is not a directory")
        if self.args.syscall_points != "0" and shutil.which("strace") is None:
            die("strace is not installed (run scripts/install-deps.sh)")

        # Clean runs: the runtime that time-based kill points spread over.
        runtimes = []
        for _ in range(3):
            directory = self.fresh_copy("measure")
            status, elapsed, output = self.run_clean(directory, self.environment(directory, "measure"))
            shutil.rmtree(directory, ignore_errors=True)
            if status != 0:
                die(f"the victim {self.victim} fails on a clean copy (status {status}):\n{output.strip()}")
            runtimes.append(elapsed)
        runtime = statistics.median(runtimes)
        counts = self.count_syscalls() if self.args.syscall_points != "0" else {}
        log(f"fault harness: {self.name}: clean run {runtime * 1000:.1f} ms; state-changing syscalls: "
            + (", ".join(f"{s}={c}" for s, c in sorted(counts.items())) or "not counted"))

        trials = [Trial("baseline", "no kill (clean run)")]
        trials += self.plan_time(runtime)
        trials += self.plan_syscalls(counts)

        outcomes: list[Outcome] = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.args.jobs) as pool:
            for outcome in pool.map(self.execute, trials):
                outcomes.append(outcome)
                if outcome.failures or outcome.error:
                    log(f"FAIL {self.name}: {outcome.trial.description} "
                        f"(victim status {outcome.victim_status})")
                    if outcome.error:
                        log("  " + outcome.error.replace("\n", "\n  "))
                    for failure in outcome.failures:
                        log("  " + failure.replace("\n", "\n    "))
        shutil.rmtree(self.work, ignore_errors=True)

        by_time = sum(1 for o in outcomes if o.trial.kind == "time")
        by_syscall = sum(1 for o in outcomes if o.trial.kind == "syscall")
        killed = sum(1 for o in outcomes if o.killed)
        failed = sum(1 for o in outcomes if o.trial.kind != "baseline" and (o.failures or o.error))
        baseline_failed = any(o.failures or o.error for o in outcomes if o.trial.kind == "baseline")
        if baseline_failed:
            log(f"fault harness: {self.name}: the checks fail after a clean, unkilled run: "
                "they are wrong, or the command is")
        completed = sum(1 for o in outcomes if o.trial.kind != "baseline" and not o.killed)
        log(f"fault harness: {self.name}: {killed} victims killed, {completed} finished before the kill")
        print(f"fault harness: {self.name}: {by_time + by_syscall} trials ({by_time} by time, "
              f"{by_syscall} by syscall injection), {failed} failures", flush=True)
        if by_time + by_syscall > 0 and killed == 0:
            log(f"fault harness: {self.name}: no trial killed the victim: the test proves nothing")
            return 1
        return 1 if failed or baseline_failed else 0


def spread(count: int, points: int) -> list[int]:
    """Up to `points` call numbers in 1..count, evenly spaced, always the first and the last."""
    if points >= count:
        return list(range(1, count + 1))
    if points <= 1:
        return [1]
    return sorted({1 + round(i * (count - 1) / (points - 1)) for i in range(points)})


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Run a command, SIGKILL it at many points, check invariants after each kill.")
    parser.add_argument("--name", required=True, help="name used in the summary line")
    parser.add_argument("--store-template", required=True, metavar="DIR",
                        help="prepared directory; every trial works on a fresh copy of it")
    parser.add_argument("--setup", help="shell command run once (FAULT_DIR=DIR) to prepare DIR")
    parser.add_argument("--victim", required=True, metavar="JSON",
                        help="the command to kill, as a JSON array of strings ({dir} = the copy)")
    parser.add_argument("--check", action="append", default=[], metavar="CMD",
                        help="invariant: a bash command that must exit 0 after every kill")
    parser.add_argument("--env", action="append", default=[], metavar="K=V",
                        help="environment for the victim and checks ({dir} = the copy)")
    parser.add_argument("--time-points", type=int, default=10, metavar="N",
                        help="trials killed after a delay spread over the clean runtime")
    parser.add_argument("--syscall-points", default="auto", metavar="auto|N",
                        help="trials killed on entering the K-th state-changing syscall")
    parser.add_argument("--syscalls", default=",".join(DEFAULT_SYSCALLS),
                        help="comma-separated syscalls that count as kill points")
    parser.add_argument("--max-syscall-trials", type=int, default=60, metavar="N",
                        help="budget of syscall trials for --syscall-points auto")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                        help="trials run in parallel")
    parser.add_argument("--seed", type=int, default=1, help="seed of the time jitter")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a victim or check may run")
    parser.add_argument("--workdir", metavar="DIR",
                        help="where trial copies live (default: $TMPDIR); a tmpfs is fastest")
    parser.add_argument("--keep-failed", metavar="DIR",
                        help="copy the directory of every failed trial here")
    args = parser.parse_args()
    if os.environ.get("WARD_FAULT_QUICK") == "1":
        args.time_points = min(args.time_points, 1)
        if args.syscall_points != "0":
            args.syscall_points = "1"
    if not args.check:
        die("give at least one --check")
    return Harness(args).run()


if __name__ == "__main__":
    sys.exit(main())
