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

# --- multipart_threshold and part_size in the URL -----------------------------------------------
# A credential of 12 fields of 1 MB (one object of about 11.6 MiB): one PUT by default (threshold
# 64 MiB), three 5 MiB parts when asked; s3rver's log names every part it stores. Both copies
# verify and give the credential back.
head -c 760000 /dev/urandom | base64 -w0 >"$T/mp-field.txt"
mp_fields=()
for i in $(seq 12); do mp_fields+=(--field-file "f$i=$T/mp-field.txt"); done
expect_exit 0 "$WARD" --store "file://$T/mp-src" init --key-file "$T/mp.key"
expect_exit 0 "$WARD" --store "file://$T/mp-src" --key-file "$T/mp.key" \
  cred add mp --type generic --generate "${mp_fields[@]}"
expect_exit 0 "$WARD" --key-file "$T/mp.key" store migrate "file://$T/mp-src" "$(s3_url mp-default)"
expect_exit 0 "$WARD" --key-file "$T/mp.key" store migrate "file://$T/mp-src" \
  "$(s3_url mp-parts)&multipart_threshold=5MiB&part_size=5MiB"
parts=$(grep -c 'mp-parts/creds/[^ ]*partNumber=' "$T/s3rver/s3rver.log" || true)
[[ $parts == 3 ]] || fail "expected 3 parts of 5 MiB for the 11.6 MiB object, s3rver stored $parts"
! grep -q 'mp-default/[^ ]*uploads' "$T/s3rver/s3rver.log" ||
  fail "an object under the default threshold went up as a multipart upload"
for prefix in mp-default mp-parts; do
  expect_exit 0 "$WARD" --store "$(s3_url "$prefix")" --key-file "$T/mp.key" store verify
  expect_exit 0 "$WARD" --store "$(s3_url "$prefix")" --key-file "$T/mp.key" cred get mp --field f12
  [[ $OUT == "$(cat "$T/mp-field.txt")" ]] || fail "$prefix: the credential did not come back intact"
done
expect_exit 2 "$WARD" --store "$(s3_url mp-parts)&part_size=1MiB" store info
assert_contains "$ERR" "part_size must be a size from 5MiB to 5GiB"

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
# s3rver behind TLS with the test PKI's server certificate (signed by its own root CA).
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
make_pki "$T/pki"
tls_port=$(free_port)
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER_BIN" -d "$T/s3tls" -a 127.0.0.1 -p "$tls_port" --configure-bucket "$S3_BUCKET" \
  --key "$T/pki/server.key" --cert "$T/pki/server.pem" </dev/null >"$T/s3tls.log" 2>&1 &
tls_pid=$!
defer "kill $tls_pid 2>/dev/null; wait $tls_pid 2>/dev/null"
for _ in $(seq 200); do curl -s --cacert "$T/pki/ca.pem" -o /dev/null "https://127.0.0.1:$tls_port/" && break; sleep 0.05; done
tls_url="s3://$S3_BUCKET/tls?endpoint=https://127.0.0.1:$tls_port"
# Verified by default against the system's CAs, which do not know the test CA: refused.
expect_exit 6 "$WARD" --store "$tls_url" init --key-file "$T/tls.key"
assert_contains "$ERR" "TLS verification"
assert_contains "$ERR" "--s3-ca"
# With the test CA named, every command works over https.
expect_exit 0 "$WARD" --store "$tls_url" --s3-ca "$T/pki/ca.pem" init --key-file "$T/tls.key"
assert_not_contains "$ERR" "plain http://"
expect_exit 0 env WARD_S3_CA_FILE="$T/pki/ca.pem" "$WARD" --store "$tls_url" --key-file "$T/tls.key" \
  cred add over-tls --type generic --generate
expect_exit 0 env WARD_S3_CA_FILE="$T/pki/ca.pem" "$WARD" --store "$tls_url" --key-file "$T/tls.key" \
  store verify
assert_contains "$OUT" "store intact"
[[ -n $(find "$T/s3tls/$S3_BUCKET/tls/creds" -name '*._S3rver_object') ]] ||
  fail "the https store's objects are not on the TLS server"
# A CA that did not sign the server's certificate is refused, with the file named.
expect_exit 6 "$WARD" --store "$tls_url" --s3-ca "$T/pki/selfsigned.pem" --key-file "$T/tls.key" cred list
assert_contains "$ERR" "TLS verification"
assert_contains "$ERR" "$T/pki/selfsigned.pem"
# An unreadable CA file is a usage error.
expect_exit 2 "$WARD" --store "$tls_url" --s3-ca "$T/pki/missing.pem" --key-file "$T/tls.key" cred list
assert_contains "$ERR" "cannot read the CA file"

# --- S3 keys from a stored ward credential --------------------------------------------------------
# The keys live as an api-key credential in the local default store, unlocked by its own key
# file; the AWS_* variables are not set at all.
expect_exit 0 env -u WARD_STORE "$WARD" init --key-file "$T/local.key"
expect_exit 0 env -u WARD_STORE WARD_KEY_FILE="$T/local.key" "$WARD" cred add s3keys --type api-key \
  --field access_key_id="$S3_ACCESS_KEY" --secret-field secret_access_key --secret-stdin \
  --allow-weak < <(printf '%s' "$S3_SECRET_KEY")  # s3rver's fixed secret, short by its choice
wrong_secret=$(head -c 30 /dev/urandom | base64 | tr -d "/+=")  # strong enough for the policy, every run
expect_exit 0 env -u WARD_STORE WARD_KEY_FILE="$T/local.key" "$WARD" cred add s3wrong --type api-key \
  --field access_key_id=NOT-S3RVER --secret-field secret_access_key --secret-stdin \
  < <(printf '%s' "$wrong_secret")
nokeys=(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY WARD_S3_CREDENTIAL_KEY_FILE="$T/local.key")
expect_exit 0 "${nokeys[@]}" "$WARD" --store "$(s3_url fallback)" --s3-credential s3keys cred list
assert_contains "$OUT" "db"
expect_exit 0 "${nokeys[@]}" WARD_S3_CREDENTIAL=s3keys "$WARD" --store "$(s3_url fallback)" store info
# Wrong keys in the credential: exit 4, naming where they came from.
expect_exit 4 "${nokeys[@]}" "$WARD" -vv --store "$(s3_url fallback)" --s3-credential s3wrong cred list
assert_contains "$ERR" "rejected the credentials"
assert_not_contains "$ERR" "$wrong_secret"
assert_contains "$ERR" "stored credential 's3wrong'"
# A credential that does not exist: exit 3 with a hint how to store one.
expect_exit 3 "${nokeys[@]}" "$WARD" --store "$(s3_url fallback)" --s3-credential nope cred list
assert_contains "$ERR" "no S3 credential 'nope'"
assert_contains "$ERR" "cred add nope"
# The local store unlocked with the wrong key file: exit 4.
"$WARD" --store "file://$T/other" init --key-file "$T/other.key" >/dev/null 2>&1
expect_exit 4 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY WARD_S3_CREDENTIAL_KEY_FILE="$T/other.key" \
  "$WARD" --store "$(s3_url fallback)" --s3-credential s3keys cred list
# Each use is a cred.get in the local store's trail; the secret never appears in logs.
expect_exit 0 env -u WARD_STORE WARD_KEY_FILE="$T/local.key" "$WARD" --json audit log
assert_contains "$OUT" '"s3 store credential"'

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
# s3rver wrote in place: the interrupted object is there, partial. It is never accepted: while
# its writer's time is not up it is a write in progress (5), then it no longer counts (3)...
[[ -e $torn ]] || fail "expected the partial object $torn"
expect_exit 5 "$WARD" cred get big --field b1
assert_contains "$ERR" "being written by another process"
expect_exit 3 env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '+3m' "$WARD" cred get big --field b1
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
expect_exit 5 "$WARD" cred get torn --field b1
assert_contains "$ERR" "being written by another process"
expect_exit 0 "$WARD" cred get db
expect_exit 0 "$WARD" cred add after-torn --type generic --generate
expect_exit 0 "$WARD" store verify
assert_contains "$OUT" "being written by another process"
# Once its writer's time is up the partial candidate never counts: the name is free again, and
# the writer that takes it removes the leftover.
later=(env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '+3m')
expect_exit 3 "${later[@]}" "$WARD" cred get torn --field b1
expect_exit 0 "${later[@]}" "$WARD" store verify
assert_contains "$OUT" "store intact"
expect_exit 0 "${later[@]}" "$WARD" cred add torn --type generic --generate
[[ ! -e $torn ]] || fail "the partial candidate $torn was not removed by the next writer"
expect_exit 0 "${later[@]}" "$WARD" cred get torn --field secret

# --- a torn audit event never blocks the trail --------------------------------------------------
# What a writer killed while appending event N leaves on s3rver: a candidate audit/N~… whose
# data stops short of the size its name records, without metadata.
plant_torn_event() {  # plant_torn_event AGE_SECONDS: a torn candidate for the next event
  local head next stamp
  head=$(find "$WARD_TEST_S3_STORE/audit" -maxdepth 1 -name '*._S3rver_object' -printf '%f\n' |
    sed -n 's/^\([0-9]\{12\}\)~.*/\1/p' | sort | tail -1)
  [[ -n $head ]] || fail "no single audit event in $WARD_TEST_S3_STORE/audit"
  next=$(printf '%012d' $((10#$head + 1)))
  stamp=$(python3 -c "import time; print(f'{int((time.time() - $1) * 1e9):020d}')")
  TORN_KEY="audit/$next~${stamp}0123456789ab-600"
  head -c 100 /dev/urandom >"$T/torn-event"
  curl -sS --fail --aws-sigv4 aws:amz:us-east-1:s3 --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -T "$T/torn-event" \
    "$S3_ENDPOINT/$S3_BUCKET/fallback/$TORN_KEY" || fail "could not plant a torn audit event"
  TORN_FILE=$WARD_TEST_S3_STORE/$TORN_KEY._S3rver_object
  [[ -e $TORN_FILE ]] || fail "the planted torn event is not where s3rver keeps objects"
  rm -f "${TORN_FILE%object}metadata.json"
}
WARD_TEST_S3_STORE=$S3_DATA/$S3_BUCKET/fallback
# Left by a writer killed two minutes ago: the next writer takes the number, removes it.
plant_torn_event 120
expect_exit 0 "$WARD" cred get db
[[ ! -e $TORN_FILE ]] || fail "the abandoned audit candidate was not removed"
expect_exit 0 "$WARD" audit verify
# Left just now (its writer may still be writing): the next writer is told to retry (5); once
# the writer's time is up the append goes through, and the trail verifies.
plant_torn_event 0
expect_exit 5 "$WARD" cred get db
assert_contains "$ERR" "being written by another process"
expect_exit 0 "${later[@]}" "$WARD" cred get db
expect_exit 0 "${later[@]}" "$WARD" audit verify
expect_exit 0 "${later[@]}" "$WARD" --json audit log
assert_contains "$OUT" '"cred.get"'

