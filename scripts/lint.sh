#!/usr/bin/env bash
# The lint gate: clang-tidy (the project's .clang-tidy, over compile_commands.json) and cppcheck
# over src/ and commands/. Warnings already listed in the checked-in baselines
# (scripts/lint-baseline/*.txt) are known debt and pass; any other warning fails the gate and
# is printed as FILE:LINE: CHECK: MESSAGE. A baseline entry that no longer occurs is reported
# as fixed (remove it with --update).
#
#   scripts/lint.sh [--build-dir DIR] [--jobs N] [--update] [--only clang-tidy|cppcheck]
#                   [--changed] [FILE...]
#
# --update rewrites the baselines from this run (after fixing or deliberately accepting); the
# clang-tidy baseline records the commit it was taken at. --update --changed re-checks only what
# changed and keeps the baseline's entries for every file it did not re-check, so moving the
# baseline forward costs what CI's --changed run costs, not a full run.
# --changed: clang-tidy only on the translation units that changed since that commit, or that
# include (by the build's dependency records, ninja -t deps) a file that did; every unit when
# .clang-tidy changed. Meant for CI: clang-tidy costs 2.5 s (src/util/duration.cpp) to 32 s
# (commands/cred.cpp) of CPU per file, so all 136 take far longer than a CI run can spare.
# cppcheck always checks everything (under a minute). Without --changed every file is checked.
# Entries are FILE|CHECK|MESSAGE without line numbers, so moving code does not break the gate;
# a second identical warning in the same file is new.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=build jobs=$(nproc) update=0 only="" changed=0
files=()
while (($#)); do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --update) update=1; shift ;;
    --only) only=$2; shift 2 ;;
    --changed) changed=1; shift ;;
    -h|--help) sed -n 2,21p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "lint.sh: error: unknown option $1" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
for tool in clang-tidy-14 run-clang-tidy-14 cppcheck python3; do
  command -v "$tool" >/dev/null || { echo "lint.sh: error: $tool is not installed (scripts/install-deps.sh)" >&2; exit 2; }
done
if [[ ! -f $build/compile_commands.json ]]; then
  echo "lint.sh: error: no $build/compile_commands.json" >&2
  echo "lint.sh: hint: configure first: cmake -S . -B $build -G Ninja" >&2
  exit 2
fi
if ((${#files[@]} == 0)); then
  mapfile -t files < <(git ls-files 'src/*.cpp' 'commands/*.cpp')
fi
root=$(pwd)
baseline_dir=scripts/lint-baseline
work=$(mktemp -d "${TMPDIR:-/tmp}/ward-lint.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --changed: keep the files whose translation unit changed since the baseline's commit.
tidy_files=("${files[@]}")
partial=0
if ((changed)) && [[ -z $only || $only == clang-tidy ]]; then
  base=$(sed -n 's/^# commit: \([0-9a-f]\{40\}\).*/\1/p' "$baseline_dir/clang-tidy.txt" 2>/dev/null || true)
  if [[ -z $base ]] || ! git cat-file -e "$base^{commit}" 2>/dev/null; then
    echo "lint: clang-tidy: the baseline names no commit in this history; checking every file" >&2
  else
    git diff --name-only "$base" -- . >"$work/changed"  # committed and uncommitted changes
    git ls-files --others --exclude-standard >>"$work/changed"
    if grep -qxE '\.clang-tidy' "$work/changed"; then
      echo "lint: clang-tidy: its configuration changed; checking every file" >&2
    else
      # ninja -t deps: "OBJECT: #deps N ..." then one indented dependency per line, the
      # source first. Paths are relative to the build directory or absolute.
      ninja -C "$build" -t deps 2>/dev/null | python3 -c '
import os, sys
root, build = sys.argv[1], os.path.join(sys.argv[1], sys.argv[2])
changed = {l.strip() for l in open(sys.argv[3]) if l.strip()}
src, hit = None, False
def flush():
    if src and hit: print(src)
for line in sys.stdin:
    if not line.startswith(" "):
        flush(); src, hit = None, False
        continue
    dep = line.strip()
    if not dep: continue
    rel = os.path.relpath(os.path.normpath(os.path.join(build, dep)), root)
    if src is None: src = rel
    if rel in changed: hit = True
flush()' "$root" "$build" "$work/changed" | sort -u >"$work/affected"
      mapfile -t tidy_files < <(printf '%s\n' "${files[@]}" | grep -Fxf "$work/affected" || true)
      partial=1
      echo "lint: clang-tidy: ${#tidy_files[@]} of ${#files[@]} files changed since ${base:0:12} (or include a changed file)" >&2
    fi
  fi
fi

start=$SECONDS
if [[ -z $only || $only == clang-tidy ]] && ((${#tidy_files[@]} == 0)); then
  : >"$work/tidy.found"
elif [[ -z $only || $only == clang-tidy ]]; then
  t0=$SECONDS
  # run-clang-tidy runs one clang-tidy per file, $jobs at a time; files are matched as regexes.
  regex=$(printf '%s\n' "${tidy_files[@]}" | sed 's/[.+]/\\&/g; s|^|'"$root"'/|' | paste -sd'|')
  run-clang-tidy-14 -p "$build" -j "$jobs" -quiet -clang-tidy-binary clang-tidy-14 \
    "($regex)\$" >"$work/tidy.raw" 2>"$work/tidy.err" || true
  # run-clang-tidy colours its output even into a file: strip the escape sequences first.
  sed 's/\x1b\[[0-9;]*m//g' "$work/tidy.raw" |
    grep -E '^/.*:[0-9]+:[0-9]+: (warning|error): .* \[[A-Za-z0-9.,_-]+\]$' |
    sort -u >"$work/tidy.found" || true
  echo "lint: clang-tidy over ${#tidy_files[@]} files took $((SECONDS - t0)) s" >&2
fi
if [[ -z $only || $only == cppcheck ]]; then
  t0=$SECONDS
  cppcheck --quiet --std=c++20 --language=c++ -j "$jobs" --inline-suppr \
    --enable=warning,performance,portability --suppress=missingIncludeSystem \
    --suppress=unmatchedSuppression --suppress=normalCheckLevelMaxBranches \
    -I include -I src -I commands -D__cplusplus=202002L \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
    "${files[@]}" 2>"$work/cppcheck.raw" >/dev/null || true
  grep -E '^[^ ]+:[0-9]+:[0-9]+: ' "$work/cppcheck.raw" | sort -u >"$work/cppcheck.found" || true
  echo "lint: cppcheck over ${#files[@]} files took $((SECONDS - t0)) s" >&2
fi

# Compare each tool's findings with its baseline.
printf '%s\n' "${tidy_files[@]}" >"$work/tidy.checked"
python3 - "$root" "$baseline_dir" "$update" "$work" "$partial" "$(git rev-parse HEAD)" <<'PY'
import collections, os, re, sys
root, bdir, update, work = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
partial, head = sys.argv[5] == "1", sys.argv[6]
checked = {l.strip() for l in open(os.path.join(work, "tidy.checked")) if l.strip()}
line_re = re.compile(r"^(.*?):(\d+):(\d+): (\w+): (.*) \[([^\]]+)\]$")
status = 0
for tool in ("tidy", "cppcheck"):
    found_path = os.path.join(work, tool + ".found")
    if not os.path.exists(found_path):
        continue
    found = []
    for line in open(found_path, encoding="utf-8", errors="replace"):
        m = line_re.match(line.rstrip("\n"))
        if not m:
            continue
        path = os.path.relpath(m.group(1), root) if os.path.isabs(m.group(1)) else m.group(1)
        if path.startswith(".."):
            continue  # system headers
        found.append((path, int(m.group(2)), m.group(6), m.group(5)))
    keys = collections.Counter(f"{p}|{c}|{msg}" for p, _, c, msg in found)
    name = "clang-tidy" if tool == "tidy" else "cppcheck"
    bpath = os.path.join(bdir, name + ".txt")
    if update and partial and tool == "tidy" and os.path.exists(bpath):
        # Files this run did not re-check keep their entries; a re-checked file, or a header
        # that reported here, is described by this run alone.
        reported = {k.split("|", 1)[0] for k in keys}
        for line in open(bpath, encoding="utf-8"):
            k = line.rstrip("\n")
            if k and not k.startswith("#") and k.split("|", 1)[0] not in checked | reported:
                keys[k] += 1
    if update:
        os.makedirs(bdir, exist_ok=True)
        with open(bpath, "w", encoding="utf-8") as out:
            out.write(f"# {name} warnings accepted as known debt (scripts/lint.sh --update). "
                      "FILE|CHECK|MESSAGE, one per occurrence.\n")
            if tool == "tidy":
                out.write(f"# commit: {head} (lint.sh --changed checks what changed since)\n")
            for k in sorted(keys.elements()):
                out.write(k + "\n")
        print(f"lint: {name}: baseline rewritten with {sum(keys.values())} entries")
        continue
    base = collections.Counter()
    if os.path.exists(bpath):
        for line in open(bpath, encoding="utf-8"):
            if line.strip() and not line.startswith("#"):
                base[line.rstrip("\n")] += 1
    new = keys - base
    fixed = base - keys
    for p, ln, c, msg in found:
        k = f"{p}|{c}|{msg}"
        if new[k] > 0:
            print(f"{p}:{ln}: {c}: {msg}   [lint: NEW {name} warning]")
            new[k] -= 1
            status = 1
    # A partial run cannot tell a fixed warning from one in a file it did not check.
    for k in ([] if partial and tool == "tidy" else fixed.elements()):
        print(f"lint: {name}: fixed (remove from {bpath}): {k}")
    total_new = sum((keys - base).values())
    print(f"lint: {name}: {sum(keys.values())} warnings, {sum(keys.values()) - total_new} in the baseline, {total_new} new")
if status:
    print("lint: FAILED: fix the warnings above (or, for a deliberate exception, add // NOLINT(check) with a reason)")
sys.exit(status)
PY
rc=$?
echo "lint: done in $((SECONDS - start)) s" >&2
exit "$rc"
