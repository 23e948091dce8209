#!/usr/bin/env bash
# THE main-job command: build ward (Release) and run its main job — a credential's life on the
# embedded default store (file://$XDG_DATA_HOME/ward/store) — in a throwaway XDG directory.
# Every command is printed before it runs. Nothing outside the temp dir is touched.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh

cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DWARD_BUILD_TESTS=OFF >&2
cmake --build build-release --target ward >&2
WARD_EXE=$PWD/build-release/ward

DIR=$(mktemp -d "${TMPDIR:-/tmp}/ward-demo.XXXXXX")
trap 'rm -rf "$DIR"' EXIT

# The embedded default store, and nothing from the caller's environment that could redirect it.
unset WARD_STORE WARD_NS WARD_KEY WARD_KEY_FILE WARD_PASSPHRASE_FILE WARD_CONFIG
export XDG_DATA_HOME=$DIR/data XDG_STATE_HOME=$DIR/state XDG_CONFIG_HOME=$DIR/config
mkdir -p "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME"

if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
  BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' RESET=$'\e[0m'
else
  BOLD='' DIM='' RED='' RESET=''
fi

ward() { "$WARD_EXE" "$@"; }

# show TEXT: print a command line the way a user would type it.
show() { printf '\n%s$ %s%s\n' "$BOLD" "$1" "$RESET"; }

# quote ARGS...: shell-quote arguments for display, leaving plain words bare.
quote() {
  local out='' a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./=:@%+,-]+$ ]]; then
      out+=" $a"
    else
      out+=" '${a//\'/\'\\\'\'}'"
    fi
  done
  printf '%s' "${out# }"
}

# run CMD ARGS...: print, then run; stop the demo with a clear message on failure.
run() {
  show "$(quote "$@")"
  local rc=0
  "$@" || rc=$?
  if ((rc != 0)); then
    printf '%sdemo: "%s" failed with exit status %d%s\n' "$RED" "$(quote "$@")" "$rc" "$RESET" >&2
    exit "$rc"
  fi
}

printf '%sward demo: store file://%s/ward/store (temporary)%s\n' "$DIM" "$XDG_DATA_HOME" "$RESET"

run ward init --key-file "$DIR/master.key"
[[ -d $XDG_DATA_HOME/ward/store && -s $DIR/master.key ]] ||
  { echo "demo: ward init created no store under $XDG_DATA_HOME/ward/store or no key file" >&2; exit 1; }
show "export WARD_KEY_FILE=$DIR/master.key"
export WARD_KEY_FILE=$DIR/master.key

run ward cred add db/prod --type postgres --field host=127.0.0.1 --field port=5432 \
  --field user=app --field dbname=app --generate

# shellcheck disable=SC2016  # shown literally
show 'pw=$(ward cred generate)'
pw=$(ward cred generate) || { echo "demo: ward cred generate failed" >&2; exit 1; }
[[ -n $pw ]] || { echo "demo: ward cred generate printed no secret" >&2; exit 1; }
show "printf '%s' \"\$pw\" | ward cred add api/stripe --type api-key --secret-stdin"
rc=0
printf '%s' "$pw" | ward cred add api/stripe --type api-key --secret-stdin || rc=$?
unset pw
((rc == 0)) || { echo "demo: ward cred add api/stripe failed with exit status $rc" >&2; exit "$rc"; }

run ward cred list
run ward key rotate
run ward key rewrap
run ward cred rotate db/prod --generate
run ward cred revoke api/stripe
# shellcheck disable=SC2016  # the child expands $PGPASSWORD, not this script
run ward cred exec db/prod --env PGPASSWORD=password -- \
  sh -c 'test -n "$PGPASSWORD" && echo "child got a password of ${#PGPASSWORD} characters"'
run ward key status
run ward audit verify
run ward audit log

printf '\n%sdemo: done; the temporary store is removed on exit%s\n' "$DIM" "$RESET"
