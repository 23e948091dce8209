# Helpers for ward's bash integration tests. Source it first thing:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
#
# ctest sets WARD_BIN (the ward binary under test) and WARD_SOURCE_DIR (the repository root).
# Every test gets a private temp dir $T, removed on exit, with HOME, the XDG directories and
# TMPDIR inside it, so a test never reads or writes the real user's store, config or spool.
# shellcheck shell=bash

set -euo pipefail

WARD=${WARD_BIN:?WARD_BIN must name the ward binary under test}
WARD_SOURCE_DIR=${WARD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export WARD WARD_SOURCE_DIR

T=$(mktemp -d "${TMPDIR:-/tmp}/ward-test.XXXXXX")
export T

# Commands run by the EXIT trap, last registered first (use `defer` to add one).
_ward_deferred=()
_ward_cleanup() {
  local rc=$? i
  for ((i = ${#_ward_deferred[@]} - 1; i >= 0; i--)); do
    eval "${_ward_deferred[i]}" || true
  done
  rm -rf -- "$T"
  exit "$rc"
}
trap _ward_cleanup EXIT

# defer CMD: run the shell command CMD when the test exits (stop a server, kill a child...).
defer() { _ward_deferred+=("$*"); }

export HOME=$T/home
export XDG_DATA_HOME=$T/home/.local/share
export XDG_STATE_HOME=$T/home/.local/state
export XDG_CONFIG_HOME=$T/home/.config
export TMPDIR=$T/tmp
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$TMPDIR"
chmod 700 "$T"

# Debian's interpreter (scripts/install-deps.sh installs it) ahead of any other python3 on
# PATH: a version manager's shim can cost far more than the script it starts (pyenv's took
# 0.44 s a start on the CI machine, /usr/bin/python3 0.05 s), and the tests and the fault
# harness's checks start python3 hundreds of times.
if [[ -x /usr/bin/python3 ]]; then
  mkdir -p "$T/bin"
  ln -s /usr/bin/python3 "$T/bin/python3"
  export PATH=$T/bin:$PATH
fi

# Nothing from the caller's environment may redirect ward.
unset WARD_STORE WARD_NS WARD_KEY WARD_KEY_FILE WARD_PASSPHRASE_FILE WARD_CONFIG \
  WARD_SSH_IDENTITY WARD_SSH_KNOWN_HOSTS WARD_SSH_PASSWORD_FILE \
  AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
export NO_COLOR=1 LC_ALL=C.UTF-8

# fail MSG...: report a failure (with the caller's location) and end the test with status 1.
fail() {
  local where="${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}"
  printf 'FAIL (%s): %s\n' "$where" "$*" >&2
  exit 1
}

# expect_exit CODE CMD [ARG...]: run CMD, require exit status CODE exactly. The command's
# stdout is left in $OUT and its stderr in $ERR (trailing newlines removed, as by $(...)).
# Standard input is inherited, so feed input with a redirection on this call:
#   expect_exit 0 "$WARD" passwd hash --cost 4 < <(printf '%s' "$pw")
OUT='' ERR=''
expect_exit() {
  (($# >= 2)) || fail "usage: expect_exit CODE CMD [ARG...]"
  local want=$1 rc=0
  shift
  "$@" >"$T/.out" 2>"$T/.err" || rc=$?
  OUT=$(cat "$T/.out")
  ERR=$(cat "$T/.err")
  if [[ $rc != "$want" ]]; then
    printf -- '--- command: %s\n--- stdout:\n%s\n--- stderr:\n%s\n' "$*" "$OUT" "$ERR" >&2
    local where="${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}"
    printf 'FAIL (%s): expected exit status %s, got %s\n' "$where" "$want" "$rc" >&2
    exit 1
  fi
}

# assert_contains HAYSTACK NEEDLE: HAYSTACK contains NEEDLE as a fixed string.
assert_contains() {
  [[ $1 == *"$2"* ]] && return 0
  printf -- '--- text:\n%s\n' "$1" >&2
  local where="${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}"
  printf 'FAIL (%s): expected the text above to contain %q\n' "$where" "$2" >&2
  exit 1
}

# assert_not_contains HAYSTACK NEEDLE: HAYSTACK does not contain NEEDLE.
assert_not_contains() {
  [[ $1 != *"$2"* ]] && return 0
  printf -- '--- text:\n%s\n' "$1" >&2
  local where="${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}"
  printf 'FAIL (%s): expected the text above not to contain %q\n' "$where" "$2" >&2
  exit 1
}

# assert_eq ACTUAL EXPECTED: the two strings are equal.
assert_eq() {
  [[ $1 == "$2" ]] && return 0
  local where="${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}"
  printf 'FAIL (%s): expected %q, got %q\n' "$where" "$2" "$1" >&2
  exit 1
}

# require_cmd NAME...: the test needs these programs. A missing one is a failure, never a
# skip: scripts/install-deps.sh installs everything the tests use.
require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 ||
      fail "required command '$c' is not installed (run scripts/install-deps.sh)"
  done
}

# The store backend this run of the test uses (see tests/CMakeLists.txt): file, sftp or s3.
WARD_TEST_BACKEND=${WARD_TEST_BACKEND:-file}

# use_backend: make ward's store the backend's, without creating it (for tests that run
# `ward init` themselves): on a backend other than file, start its server (see new_store).
use_backend() {
  if [[ $WARD_TEST_BACKEND != file ]]; then
    # shellcheck source=/dev/null
    source "$WARD_SOURCE_DIR/tests/servers/$WARD_TEST_BACKEND.bash"
    "start_${WARD_TEST_BACKEND}_store"
  else
    export WARD_TEST_STORE_DIR=$XDG_DATA_HOME/ward/store
  fi
}

# new_store: create a store with a fresh key file at $T/master.key, and export WARD_KEY_FILE so
# later commands unlock with it. On the file backend the store is the default one (under
# $XDG_DATA_HOME); on another backend tests/servers/<backend>.bash starts its server on loopback
# (stopped when the test exits) and exports WARD_STORE and the server's own credentials.
# WARD_TEST_STORE_DIR names the directory on this machine that holds the store's files, for
# tests that inspect or damage them (every backend: on s3 it is where s3rver keeps the bucket's
# files; list object files with store_object_files, and call store_objects_rewritten after
# changing one in place).
new_store() {
  use_backend
  expect_exit 0 "$WARD" init --key-file "$T/master.key"
  [[ -s $T/master.key ]] || fail "ward init did not write the key file $T/master.key"
  export WARD_KEY_FILE=$T/master.key
}

# store_object_files [DIR...]: the files that hold objects' contents below DIR (default
# $WARD_TEST_STORE_DIR), one path a line, on every backend: s3rver keeps each object as
# `<key>._S3rver_object` beside a metadata file and an MD5 file, which are left out, and so are
# temporary files (`.tmp/`).
store_object_files() {
  (($# > 0)) || set -- "$WARD_TEST_STORE_DIR"
  if [[ $WARD_TEST_BACKEND == s3 ]]; then
    find "$@" -type f -name '*._S3rver_object'
  else
    find "$@" -type f -not -path '*/.tmp/*'
  fi
}

# flip_bit FILE OFFSET: tamper with FILE in place by flipping the low bit of the byte at OFFSET
# (or of its last byte, if shorter). Writing a fixed byte instead would leave the file as it was
# whenever the byte already had that value: one run in 256 of encrypted data.
flip_bit() {
  python3 - "$1" "$2" <<'PY'
import sys
path, offset = sys.argv[1], int(sys.argv[2])
data = bytearray(open(path, "rb").read())
if not data:
    sys.exit(f"flip_bit: {path} is empty")
data[min(offset, len(data) - 1)] ^= 0x01
open(path, "r+b").write(bytes(data))
PY
}

# store_objects_rewritten FILE...: after a test changed object files in place (to tamper
# with them), make the server hold them as if a writer had uploaded those bytes. On s3 that
# is what someone with write access to the bucket would do: s3rver's MD5 and the digest ward
# records with each upload (x-amz-meta-ward-sha256, which catches torn writes, not tampering)
# are brought in line, so ward's own authentication is what must find the change. A no-op on
# backends that keep plain files.
store_objects_rewritten() {
  [[ $WARD_TEST_BACKEND == s3 ]] || return 0
  python3 - "$@" <<'PY'
import hashlib, json, os, sys
for path in sys.argv[1:]:
    stem = path[: -len("object")]
    data = open(path, "rb").read()
    meta_path = stem + "metadata.json"
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
    meta["x-amz-meta-ward-sha256"] = hashlib.sha256(data).hexdigest()
    json.dump(meta, open(meta_path, "w"))
    open(path + ".md5", "w").write(hashlib.md5(data).hexdigest())
PY
}
