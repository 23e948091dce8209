# s3rver (the npm package s3rver@3.7.1 on Node.js) on 127.0.0.1: the S3-compatible server of
# the integration tests. Source after tests/integration/lib.bash.
#
# s3rver checks the access key id (S3RVER) but not the signature, ignores `If-None-Match: *`
# (so ward runs on it through the suffix-and-rule fallback), refuses requests whose time is more
# than 15 minutes off, and writes uploads in place (a killed writer leaves a partial object).
# It is installed once from the npm registry into $WARD_S3RVER_DIR (a fresh CI machine does it
# on its first test; later tests reuse it).
# shellcheck shell=bash

WARD_S3RVER_VERSION=3.7.1
WARD_S3RVER_DIR=${WARD_S3RVER_DIR:-/var/cache/ward-test/s3rver-$WARD_S3RVER_VERSION}
S3_BUCKET=ward-test
S3_ACCESS_KEY=S3RVER
S3_SECRET_KEY=S3RVER

# install_s3rver: make sure $WARD_S3RVER_DIR holds s3rver; prints the path of its binary.
install_s3rver() {
  local bin=$WARD_S3RVER_DIR/node_modules/.bin/s3rver
  if [[ ! -x $bin ]]; then
    require_cmd node npm flock
    mkdir -p "$WARD_S3RVER_DIR"
    # Two tests starting at once must not run two installs into one directory.
    (
      flock 9
      if [[ ! -x $bin ]]; then
        cd "$WARD_S3RVER_DIR" &&
          npm install --no-audit --no-fund --silent --no-save "s3rver@$WARD_S3RVER_VERSION" >&2
      fi
    ) 9>"$WARD_S3RVER_DIR/.install.lock" || fail "could not install s3rver@$WARD_S3RVER_VERSION from npm"
  fi
  [[ -x $bin ]] || fail "s3rver is not installed at $bin"
  printf '%s\n' "$bin"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_s3rver [EXTRA_ARG...]: start s3rver on a free loopback port with the bucket $S3_BUCKET,
# data under $T/s3rver. Sets S3_PORT, S3_DATA and S3_ENDPOINT; stopped when the test exits.
start_s3rver() {
  local bin
  bin=$(install_s3rver)
  S3_PORT=$(free_port)
  S3_DATA=$T/s3rver/data
  S3_ENDPOINT=http://127.0.0.1:$S3_PORT
  S3RVER_BIN=$bin
  S3RVER_ARGS=("$@")
  mkdir -p "$S3_DATA"
  _s3rver_launch
  defer stop_s3rver
}

_s3rver_launch() {
  # s3rver encrypts listing continuation tokens with DES, which OpenSSL 3 keeps in its legacy
  # provider: without it every truncated listing (more than max-keys) fails with 500.
  NODE_OPTIONS=--openssl-legacy-provider "$S3RVER_BIN" -d "$S3_DATA" -a 127.0.0.1 \
    -p "$S3_PORT" --configure-bucket "$S3_BUCKET" "${S3RVER_ARGS[@]}" </dev/null >>"$T/s3rver/s3rver.log" 2>&1 &
  S3_PID=$!
  local i
  for i in $(seq 200); do
    if curl -s -o /dev/null "$S3_ENDPOINT/"; then
      return 0
    fi
    kill -0 "$S3_PID" 2>/dev/null || break
    sleep 0.05
  done
  cat "$T/s3rver/s3rver.log" >&2
  fail "s3rver did not start on $S3_ENDPOINT"
}

# stop_s3rver: stop the server (its data stays for a restart).
stop_s3rver() {
  if [[ -n ${S3_PID:-} ]] && kill -0 "$S3_PID" 2>/dev/null; then
    kill "$S3_PID" 2>/dev/null || true
    wait "$S3_PID" 2>/dev/null || true
  fi
  S3_PID=
}

# kill_s3rver: stop the server abruptly (SIGKILL), as a crash would.
kill_s3rver() {
  if [[ -n ${S3_PID:-} ]]; then
    kill -KILL "$S3_PID" 2>/dev/null || true
    wait "$S3_PID" 2>/dev/null || true
  fi
  S3_PID=
}

# restart_s3rver: start the server again on the same port with the same data.
restart_s3rver() {
  stop_s3rver
  _s3rver_launch
}

# s3_url [PREFIX]: the store URL of PREFIX (default "store") in the test bucket.
s3_url() {
  printf 's3://%s/%s?endpoint=%s&region=us-east-1\n' "$S3_BUCKET" "${1:-store}" "$S3_ENDPOINT"
}

# s3_env: export the credentials s3rver accepts.
s3_env() {
  export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
  unset AWS_SESSION_TOKEN
}

# start_s3_store: for lib.bash's new_store: s3rver up, WARD_STORE and the credentials exported.
start_s3_store() {
  start_s3rver
  s3_env
  WARD_STORE=$(s3_url store)
  # Where s3rver keeps the store's objects, for tests that look at them on disk.
  WARD_TEST_STORE_DIR=$S3_DATA/$S3_BUCKET/store
  export WARD_STORE WARD_TEST_STORE_DIR
}

# start_s3_standin: the stand-in for servers that honour `If-None-Match: *`
# (tests/servers/s3_standin_conditional_put.py) on a free loopback port with the bucket
# $S3_BUCKET. Sets STANDIN_ENDPOINT; stopped when the test exits.
start_s3_standin() {
  require_cmd python3
  local port
  port=$(free_port)
  STANDIN_ENDPOINT=http://127.0.0.1:$port
  python3 "$WARD_SOURCE_DIR/tests/servers/s3_standin_conditional_put.py" "$port" "$S3_BUCKET" \
    "$S3_ACCESS_KEY" </dev/null >"$T/standin.log" 2>&1 &
  STANDIN_PID=$!
  defer "kill $STANDIN_PID 2>/dev/null; wait $STANDIN_PID 2>/dev/null"
  local i
  for i in $(seq 100); do
    curl -s -o /dev/null "$STANDIN_ENDPOINT/" && return 0
    sleep 0.05
  done
  cat "$T/standin.log" >&2
  fail "the conditional-put stand-in did not start on $STANDIN_ENDPOINT"
}

# kill_at_first_write PID SIGNAL: as soon as s3rver starts writing a new object under the
# store's creds/ (its data file is there, its metadata not yet), send SIGNAL to PID. Fails if no
# write shows up within 20 s or every write completed before it could be caught.
kill_at_first_write() {
  python3 - "$S3_DATA/$S3_BUCKET" "$1" "$2" <<'PY' || fail "no s3rver write to interrupt"
import os, signal, sys, time
root, pid, sig = sys.argv[1], int(sys.argv[2]), getattr(signal, "SIG" + sys.argv[3])
def partials():
    for d, _, files in os.walk(root):
        if "/creds" not in d:
            continue
        for f in files:
            if f.endswith("._S3rver_object") and f[:-len("object")] + "metadata.json" not in files:
                yield os.path.join(d, f)
before = set(partials())  # left by an earlier interrupted write
deadline = time.time() + 20
while time.time() < deadline:
    found = next((p for p in partials() if p not in before), None)
    if found:
        os.kill(pid, sig)
        print(found)
        sys.exit(0)
    time.sleep(0.002)
sys.exit(1)
PY
}
