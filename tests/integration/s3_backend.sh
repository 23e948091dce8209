#!/usr/bin/env bash
# The S3 backend against real servers on loopback: s3rver (which ignores If-None-Match, so the
# suffix-and-rule fallback) and the stand-in for servers that honour it. Runs the object store
# conformance suite on both (hidden `[s3]` unit tests), then ward itself: init says which
# put-if-absent mode it found, and the faults: wrong access key id, a missing bucket, clock
# skew, plain http to a non-loopback host, an untrusted TLS certificate, the server killed in
# the middle of a write, and a torn object left by a killed writer.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/s3.bash"
require_cmd python3 curl faketime openssl
UNIT=${WARD_UNIT_TESTS:?WARD_UNIT_TESTS must name the unit test binary}

# --service-endpoint: virtual-hosted requests to <bucket>.s3.localhost reach the bucket too.
start_s3rver --service-endpoint localhost
start_s3_standin
s3_env

# --- the conformance suite, pagination past 1,000 keys, multipart -----------------------------
WARD_TEST_S3_ENDPOINT=$S3_ENDPOINT WARD_TEST_S3_STANDIN_ENDPOINT=$STANDIN_ENDPOINT \
  "$UNIT" '[s3]' >"$T/unit.out" 2>&1 || { cat "$T/unit.out" >&2; fail "the [s3] unit tests failed"; }
grep -q 'All tests passed' "$T/unit.out" || { cat "$T/unit.out" >&2; fail "no [s3] unit test ran"; }

# --- init says which put-if-absent mode the server supports -----------------------------------
export WARD_KEY_FILE=$T/master.key
expect_exit 0 "$WARD" --store "$(s3_url fallback)" init --key-file "$T/master.key"
assert_contains "$OUT" "ignores If-None-Match"
assert_contains "$ERR" "plain http://"
expect_exit 0 "$WARD" --store "$(s3_url fallback)" --json store info
assert_contains "$OUT" '"put_if_absent": "suffix"'

expect_exit 0 "$WARD" --store "s3://$S3_BUCKET/atomic?endpoint=$STANDIN_ENDPOINT" --json init \
  --key-file "$T/standin.key"
assert_contains "$OUT" '"put_if_absent": "atomic"'
expect_exit 0 "$WARD" --store "s3://$S3_BUCKET/atomic?endpoint=$STANDIN_ENDPOINT" \
  --key-file "$T/standin.key" cred add on-standin --type generic --generate
expect_exit 0 "$WARD" --store "s3://$S3_BUCKET/atomic?endpoint=$STANDIN_ENDPOINT" \
  --key-file "$T/standin.key" store verify
assert_contains "$OUT" "store intact"

# Virtual-hosted addressing (bucket in the host name; *.localhost is loopback).
vhost="s3://$S3_BUCKET/vhost?endpoint=http://s3.localhost:$S3_PORT&addressing=virtual"
expect_exit 0 "$WARD" --store "$vhost" init --key-file "$T/vhost.key"
expect_exit 0 "$WARD" --store "$vhost" --key-file "$T/vhost.key" cred add v --type generic --generate
expect_exit 0 "$WARD" --store "$vhost" --key-file "$T/vhost.key" store verify
[[ -n $(find "$S3_DATA/$S3_BUCKET/vhost/creds" -name '*._S3rver_object') ]] ||
  fail "the virtual-hosted store's objects are not in bucket $S3_BUCKET"

export WARD_STORE
WARD_STORE=$(s3_url fallback)
expect_exit 0 "$WARD" cred add db --type generic --secret-stdin < <(printf 'S3-Secret-%s-x#9Kq' "$RANDOM")

# --- wrong access key id: exit 4 ----------------------------------------------------------------
expect_exit 4 env AWS_ACCESS_KEY_ID=NOT-S3RVER "$WARD" cred get db
assert_contains "$ERR" "rejected the credentials"
assert_contains "$ERR" "AWS_ACCESS_KEY_ID"
expect_exit 4 env -u AWS_SECRET_ACCESS_KEY "$WARD" cred get db
assert_contains "$ERR" "no S3 credentials"

# --- a bucket that does not exist: exit 3, named -------------------------------------------------
expect_exit 3 "$WARD" --store "s3://no-such-bucket/x?endpoint=$S3_ENDPOINT" init --key-file "$T/k2"
assert_contains "$ERR" "bucket 'no-such-bucket' does not exist"
[[ ! -e $T/k2 ]] || fail "a failed init left its new key file behind"
expect_exit 3 "$WARD" --store "s3://no-such-bucket/x?endpoint=$S3_ENDPOINT" cred list
assert_contains "$ERR" "does not exist"

# --- clock skew: s3rver refuses requests more than 15 minutes off: exit 4 with a hint ----------
expect_exit 4 env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '+1h' "$WARD" cred get db
assert_contains "$ERR" "clock"
assert_contains "$ERR" "15 minutes"

# --- plain http only on loopback; TLS verified by default --------------------------------------
expect_exit 2 "$WARD" --store "s3://b/x?endpoint=http://192.0.2.1:9000" store info
assert_contains "$ERR" "plain http://"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.crt" -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
tls_port=$(free_port)
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER_BIN" -d "$T/s3tls" -a 127.0.0.1 -p "$tls_port" --configure-bucket "$S3_BUCKET" \
  --key "$T/tls.key" --cert "$T/tls.crt" </dev/null >"$T/s3tls.log" 2>&1 &
tls_pid=$!
defer "kill $tls_pid 2>/dev/null; wait $tls_pid 2>/dev/null"
for _ in $(seq 200); do curl -sk -o /dev/null "https://127.0.0.1:$tls_port/" && break; sleep 0.05; done
expect_exit 6 "$WARD" --store "s3://$S3_BUCKET/x?endpoint=https://127.0.0.1:$tls_port" store info
assert_contains "$ERR" "TLS verification"

# --- the server killed in the middle of a write: exit 6, clear message, the next run works ----
# A 40 MB credential (40 fields of 1 MB, the largest a field may be) takes long enough to
# write that the server can be killed in the middle.
head -c 760000 /dev/urandom | base64 -w0 >"$T/blob.txt"
big_fields=()
for i in $(seq 40); do big_fields+=(--field-file "b$i=$T/blob.txt"); done
"$WARD" cred add big --type generic --generate "${big_fields[@]}" \
  >"$T/big.out" 2>"$T/big.err" &
writer=$!
torn=$(kill_at_first_write "$S3_PID" KILL)
rc=0
wait "$writer" || rc=$?
[[ $rc == 6 ]] || { cat "$T/big.err" >&2; fail "a write to a killed server exited $rc, not 6"; }
assert_contains "$(cat "$T/big.err")" "cannot write object"
assert_contains "$(cat "$T/big.err")" "$S3_ENDPOINT"
S3_PID=
restart_s3rver
# s3rver wrote in place: the interrupted object is there, partial. It is never accepted...
[[ -e $torn ]] || fail "expected the partial object $torn"
expect_exit 4 "$WARD" cred get big --field b1
assert_contains "$ERR" "incomplete or damaged"
# ...and the next runs succeed.
expect_exit 0 "$WARD" cred get db
expect_exit 0 "$WARD" cred add big2 --type generic --generate "${big_fields[@]}"
expect_exit 0 "$WARD" cred get big2 --field b40
[[ $OUT == "$(cat "$T/blob.txt")" ]] || fail "the large credential did not come back intact"

# --- a torn object left by a killed writer: never accepted; the next run succeeds -------------
"$WARD" cred add torn --type generic --generate "${big_fields[@]}" \
  >"$T/torn.out" 2>"$T/torn.err" &
writer=$!
torn=$(kill_at_first_write "$writer" KILL)
wait "$writer" 2>/dev/null || true
sleep 0.2
[[ -e $torn && ! -e ${torn%object}metadata.json ]] || fail "the killed writer left no partial object"
expect_exit 4 "$WARD" cred get torn --field b1
assert_contains "$ERR" "incomplete or damaged"
expect_exit 0 "$WARD" cred get db
expect_exit 0 "$WARD" cred add after-torn --type generic --generate
expect_exit 1 "$WARD" store verify
assert_contains "$OUT" "incomplete or damaged"
