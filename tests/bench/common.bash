# Shared by the benchmark scripts: finding the ward binary and installing the anchor tools.
# Sourced after `set -euo pipefail`; sets `here`, `root` and `ward`.

here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# find_ward SCRIPT [BINARY]: the binary given, $WARD, or the first Release/debug build found.
find_ward() {
  local script=$1 candidate
  ward="${2:-${WARD:-}}"
  if [[ -z "$ward" ]]; then
    for candidate in "$root/build-bench/ward" "$root/build-release/ward" "$root/build/ward"; do
      if [[ -x "$candidate" ]]; then ward="$candidate"; break; fi
    done
  fi
  if [[ -z "$ward" || ! -x "$ward" ]]; then
    echo "$script: no ward binary; build one with:" >&2
    echo "  cmake -S $root -B $root/build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DWARD_BUILD_TESTS=OFF && ninja -C $root/build-bench ward" >&2
    exit 2
  fi
  ward="$(cd "$(dirname "$ward")" && pwd)/$(basename "$ward")"
}

# need_tools PACKAGE... : apt-get install the packages whose command is missing (command = package
# name, except gnupg → gpg).
need_tools() {
  local missing=() package command
  for package in "$@"; do
    command=$package
    [[ $package == gnupg ]] && command=gpg
    command -v "$command" >/dev/null 2>&1 || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  echo "installing missing tools: ${missing[*]}" >&2
  local sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
    install -y -qq "${missing[@]}" >/dev/null
}
