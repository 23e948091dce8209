#!/usr/bin/env bash
# ward check tls against real openssl s_server instances on loopback: each finding id produced
# by a server that has the problem and absent on one that does not; a scripted stand-in for
# what OpenSSL 3.0 cannot serve (SSL 3.0, RC4, DES, 3DES, export); unreachable, silent and
# non-TLS targets (status error, exit 1, bounded time); JSON, JUnit, --fail-on and the audit
# record.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
source "$WARD_SOURCE_DIR/tests/servers/tls.bash"
require_cmd openssl python3 jq

P=$T/pki
make_pki "$P"
modern='ECDHE+AESGCM:ECDHE+CHACHA20'
start_tls_server good -cert "$P/server.pem" -key "$P/server.key" -cipher "$modern"
start_tls_server tls12 -cert "$P/server.pem" -key "$P/server.key" -cipher "$modern" -tls1_2
start_tls_server tls13 -cert "$P/server.pem" -key "$P/server.key" -tls1_3
start_tls_server legacy -cert "$P/server.pem" -key "$P/server.key" -min_protocol TLSv1 \
  -cipher 'DEFAULT@SECLEVEL=0'
start_tls_server weak -cert "$P/server.pem" -key "$P/server.key" -tls1_2 \
  -cipher 'ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:NULL-SHA256:AECDH-AES128-SHA:@SECLEVEL=0'
start_tls_server anononly -nocert -tls1_2 -cipher 'AECDH-AES128-SHA:@SECLEVEL=0'
for name in expired future expiring wronghost selfsigned; do
  start_tls_server "$name" -cert "$P/$name.pem" -key "$P/server.key" -cipher "$modern"
done
start_tls_server sha1 -cert "$P/sha1.pem" -key "$P/server.key" -cipher "$modern:@SECLEVEL=0"
start_tls_server weakkey -cert "$P/weakkey.pem" -key "$P/weakkey.key" -cipher "$modern:@SECLEVEL=0"

# The stand-in for suites no server on this machine can offer.
standin() { # NAME ARGS...
  local name=$1 pid
  shift
  python3 "$WARD_SOURCE_DIR/tests/servers/tls_standin_legacy_ciphers.py" "$T/$name.port" "$@" &
  pid=$!
  defer "kill $pid 2>/dev/null"
  for _ in $(seq 100); do [[ -s $T/$name.port ]] && break; sleep 0.05; done
  TLS_PORT[$name]=$(cat "$T/$name.port")
}
standin legacy_ciphers --suites 0x0005,0x000A,0x0003,0x0009
standin sslv3 --sslv3-only --suites 0x002F

# check NAME EXPECTED_EXIT [ARGS...]: JSON check of a named server, trusting the test CA.
check() {
  local name=$1 want=$2
  shift 2
  expect_exit "$want" "$WARD" --json check tls "127.0.0.1:${TLS_PORT[$name]}" --ca "$P/ca.pem" "$@"
  RESULT=$(jq -c '.results[0]' <<<"$OUT")
  IDS=" $(jq -r '[.findings[].id] | join(" ")' <<<"$RESULT") "
  STATUS=$(jq -r '.status' <<<"$RESULT")
}
has() { [[ $IDS == *" $1 "* ]] || fail "expected finding $1 for $CURRENT, got [$IDS]"; }
hasnt() { [[ $IDS != *" $1 "* ]] || fail "unexpected finding $1 for $CURRENT: $RESULT"; }

# --- a well-configured server: nothing but the TLS 1.3 fact -------------------------------------
CURRENT=good
start=$(date +%s%N)
check good 0 --fail-on low
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "check tls (good server, full probe): ${elapsed_ms} ms"
# Generous for a loaded CI machine: it catches probes run one after another into their
# timeouts, not a slow scheduler (figures belong in tests/bench/checks.sh).
((elapsed_ms < 10000)) || fail "a full check of a local server took ${elapsed_ms} ms"
assert_eq "$STATUS" pass
assert_eq "$(jq -r .schema <<<"$OUT")" ward.check.tls/v1
assert_eq "$IDS" " tls.protocol.tls13 "
assert_eq "$(jq -r '.facts.protocols | join(",")' <<<"$RESULT")" "TLSv1.2,TLSv1.3"
assert_eq "$(jq -r '.facts.cert_verified' <<<"$RESULT")" true
assert_eq "$(jq -r '.facts.cert_key' <<<"$RESULT")" "RSA 2048"
for id in tls.protocol.legacy tls.protocol.sslv3 tls.protocol.no_tls13 tls.protocol.below_minimum \
  tls.cipher.null tls.cipher.anon tls.cipher.export tls.cipher.rc4 tls.cipher.des tls.cipher.3des \
  tls.cipher.cbc_sha1 tls.cipher.no_forward_secrecy tls.cert.expired tls.cert.not_yet_valid \
  tls.cert.expiring tls.cert.self_signed tls.cert.untrusted tls.cert.hostname_mismatch \
  tls.cert.weak_key tls.cert.weak_signature tls.cert.fingerprint_mismatch tls.cert.missing \
  tls.starttls.not_offered tls.starttls.plaintext_accepted; do
  hasnt "$id"
done

# Human output: a status line, facts, the findings table.
expect_exit 0 "$WARD" check tls "127.0.0.1:${TLS_PORT[good]}" --ca "$P/ca.pem"
assert_contains "$OUT" "127.0.0.1:${TLS_PORT[good]}  tls  pass"
assert_contains "$OUT" "protocols: TLSv1.2, TLSv1.3"
assert_contains "$OUT" "tls.protocol.tls13"

# The fingerprint: matches in both spellings, mismatches are critical.
fp_hex=$(openssl x509 -in "$P/server.pem" -noout -fingerprint -sha256 | cut -d= -f2)
check good 0 --expect-fingerprint "SHA256:$fp_hex"
hasnt tls.cert.fingerprint_mismatch
fp_b64=$(jq -r '.facts.cert_fingerprint' <<<"$RESULT")
check good 0 --expect-fingerprint "$fp_b64"
hasnt tls.cert.fingerprint_mismatch
CURRENT=fingerprint
check good 1 --expect-fingerprint "SHA256:$(printf '%064d' 0)"
has tls.cert.fingerprint_mismatch
assert_eq "$(jq -r '.findings[] | select(.id=="tls.cert.fingerprint_mismatch") | .severity' <<<"$RESULT")" critical
expect_exit 2 "$WARD" check tls "127.0.0.1:${TLS_PORT[good]}" --expect-fingerprint "MD5:abc"
assert_contains "$ERR" "bad --expect-fingerprint"

# Without --ca the test CA is unknown: untrusted, and an IP SAN still matches.
CURRENT=untrusted
expect_exit 1 "$WARD" --json check tls "127.0.0.1:${TLS_PORT[good]}"
IDS=" $(jq -r '[.results[0].findings[].id] | join(" ")' <<<"$OUT") "
has tls.cert.untrusted
hasnt tls.cert.hostname_mismatch
hasnt tls.cert.self_signed

# --min-version 1.3: TLS 1.2 is below it (medium: exit 0 at the default threshold).
CURRENT=below_minimum
check good 0 --min-version 1.3
has tls.protocol.below_minimum
check good 1 --min-version 1.3 --fail-on medium
check tls13 0 --min-version 1.3 --fail-on low
hasnt tls.protocol.below_minimum

# --- protocol versions ----------------------------------------------------------------------
CURRENT=tls12
check tls12 0
has tls.protocol.no_tls13
hasnt tls.protocol.tls13
assert_eq "$STATUS" warn
CURRENT=tls13
check tls13 0
has tls.protocol.tls13
assert_eq "$(jq -r '.facts.protocols | join(",")' <<<"$RESULT")" "TLSv1.3"
CURRENT=legacy
check legacy 1
has tls.protocol.legacy
assert_eq "$(jq -r '.findings[] | select(.id=="tls.protocol.legacy") | .evidence.versions | join(",")' <<<"$RESULT")" "TLSv1,TLSv1.1"
assert_eq "$STATUS" fail
# An operator who accepts TLS 1.0 says so.
check legacy 0 --min-version 1.0
hasnt tls.protocol.legacy
CURRENT=sslv3
check sslv3 1
has tls.protocol.sslv3

# --- cipher classes: what OpenSSL can serve ---------------------------------------------------
CURRENT=weak
check weak 1
has tls.cipher.null
has tls.cipher.anon
has tls.cipher.cbc_sha1
has tls.cipher.no_forward_secrecy
hasnt tls.cipher.rc4
assert_contains "$RESULT" "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"
assert_contains "$RESULT" "TLS_RSA_WITH_NULL_SHA256"
# ...and what it cannot: the stand-in.
CURRENT=legacy_ciphers
check legacy_ciphers 1
has tls.cipher.rc4
has tls.cipher.3des
has tls.cipher.export
has tls.cipher.des
has tls.cipher.no_forward_secrecy
assert_contains "$RESULT" "TLS_RSA_WITH_RC4_128_SHA"
assert_contains "$RESULT" "TLS_RSA_WITH_3DES_EDE_CBC_SHA"

# --- certificates -----------------------------------------------------------------------------
CURRENT=expired
check expired 1
has tls.cert.expired
hasnt tls.cert.untrusted
CURRENT=future
check future 1
has tls.cert.not_yet_valid
CURRENT=expiring
check expiring 0
has tls.cert.expiring
check expiring 0 --warn-days 5
hasnt tls.cert.expiring
check expiring 1 --fail-on medium
CURRENT=wronghost
check wronghost 1
has tls.cert.hostname_mismatch
hasnt tls.cert.untrusted
# The name that is checked follows --sni.
check wronghost 0 --sni wrong.example.com
hasnt tls.cert.hostname_mismatch
assert_eq "$(jq -r '.facts.sni' <<<"$RESULT")" wrong.example.com
CURRENT=selfsigned
check selfsigned 1
has tls.cert.self_signed
hasnt tls.cert.untrusted
assert_eq "$(jq -r '.findings[] | select(.id=="tls.cert.self_signed") | .severity' <<<"$RESULT")" high
# Pinned with --ca it is trusted, and still said to be self-signed.
expect_exit 0 "$WARD" --json check tls "127.0.0.1:${TLS_PORT[selfsigned]}" --ca "$P/selfsigned.pem"
assert_eq "$(jq -r '.results[0].findings[] | select(.id=="tls.cert.self_signed") | .severity' <<<"$OUT")" low
CURRENT=sha1
check sha1 0
has tls.cert.weak_signature
CURRENT=weakkey
check weakkey 1
has tls.cert.weak_key
assert_eq "$(jq -r '.facts.cert_key' <<<"$RESULT")" "RSA 1024"
CURRENT=anononly
check anononly 1
has tls.cert.missing
has tls.cipher.anon

# --- targets that do not answer properly: status error, exit 1, bounded time --------------------
port=$(free_port)
CURRENT=refused
check_error() { # ID TARGET [ARGS...]
  local id=$1 target=$2
  shift 2
  local t0=$(date +%s%N)
  expect_exit 1 "$WARD" --json check tls "$target" --timeout 1s "$@"
  local ms=$((($(date +%s%N) - t0) / 1000000))
  ((ms < 4000)) || fail "$id: took ${ms} ms with --timeout 1s"
  assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" error
  assert_eq "$(jq -r '.results[0].findings[0].id' <<<"$OUT")" "$id"
  assert_contains "$ERR" "failed the check"
  echo "$id: ${ms} ms"
}
check_error tls.connect.refused "127.0.0.1:$port"
assert_contains "$(jq -r '.results[0].error' <<<"$OUT")" "Connection refused"
check_error tls.connect.unresolved "no-such-host.invalid:443"

# A server that accepts and never speaks.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$T/silent.port" &
defer "kill $! 2>/dev/null"
for _ in $(seq 100); do [[ -s $T/silent.port ]] && break; sleep 0.05; done
check_error tls.handshake.timeout "127.0.0.1:$(cat "$T/silent.port")"

# A server whose accept queue is full (backlog 0, already taken): connecting times out.
python3 -c '
import socket, sys, os, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
held = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held.append(c)
time.sleep(0.2)
open(sys.argv[1] + ".tmp", "w").write(str(port)); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)
' "$T/full.port" &
defer "kill $! 2>/dev/null"
for _ in $(seq 100); do [[ -s $T/full.port ]] && break; sleep 0.05; done
check_error tls.connect.timeout "127.0.0.1:$(cat "$T/full.port")"

# A real server of another protocol: HTTP answers a ClientHello with an error page. Python's
# http.server listens with a backlog of 5: under load (the sanitizer stage) its accepting
# thread fell behind ward's parallel probes, the kernel dropped their SYNs, and a connect took
# longer than --timeout 1s. The same server with a deeper backlog.
http_port=$(free_port)
python3 -c 'import http.server as h, sys
h.ThreadingHTTPServer.request_queue_size = 128
h.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), h.SimpleHTTPRequestHandler).serve_forever()' \
  "$http_port" >"$T/http.log" 2>&1 &
defer "kill $! 2>/dev/null"
wait_port "$http_port" || fail "python http.server did not start"
check_error tls.handshake.failed "127.0.0.1:$http_port"
assert_contains "$(jq -r '.results[0].error' <<<"$OUT")" "does not speak TLS"
check_error tls.starttls.failed "127.0.0.1:$http_port" --starttls postgres
assert_contains "$(jq -r '.results[0].error' <<<"$OUT")" "PostgreSQL"

# Bad input: usage errors, exit 2.
expect_exit 2 "$WARD" check tls "127.0.0.1:99999"
expect_exit 2 "$WARD" check tls "127.0.0.1:${TLS_PORT[good]}" --min-version 1.4
expect_exit 2 "$WARD" check tls "127.0.0.1:${TLS_PORT[good]}" --ca "$T/missing.pem"
assert_contains "$ERR" "cannot read CA certificates"
expect_exit 2 "$WARD" check tls "127.0.0.1:${TLS_PORT[good]}" --fail-on severe
expect_exit 2 "$WARD" check tls "127.0.0.1:${TLS_PORT[good]}" --timeout 0s

# --- JUnit: one test case per target, one failure per finding at or above the threshold ---------
expect_exit 1 "$WARD" check tls "127.0.0.1:${TLS_PORT[legacy]}" --ca "$P/ca.pem" --fail-on low \
  --junit "$T/report.xml"
xml=$(cat "$T/report.xml")
assert_contains "$xml" '<testsuites name="ward" tests="1" failures="1" errors="0"'
assert_contains "$xml" "<testcase name=\"127.0.0.1:${TLS_PORT[legacy]}\" classname=\"ward.check.tls\""
assert_contains "$xml" 'type="tls.protocol.legacy"'
assert_contains "$xml" 'type="tls.cipher.cbc_sha1"'
assert_not_contains "$xml" 'type="tls.protocol.tls13"'  # info is below --fail-on low
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$T/report.xml" ||
  fail "the JUnit report is not well-formed XML"
expect_exit 1 "$WARD" check tls "127.0.0.1:$port" --timeout 1s --junit "$T/down.xml"
assert_contains "$(cat "$T/down.xml")" '<error type="tls.connect.refused"'
expect_exit 2 "$WARD" check tls "127.0.0.1:${TLS_PORT[good]}" --ca "$P/ca.pem" --junit "$T/no/such/dir/r.xml"
assert_contains "$ERR" "cannot write the report"

# --- with a store: each check is an audit event ------------------------------------------------
new_store
expect_exit 1 "$WARD" check tls "127.0.0.1:${TLS_PORT[expired]}" --ca "$P/ca.pem"
expect_exit 0 "$WARD" check tls "127.0.0.1:${TLS_PORT[good]}" --ca "$P/ca.pem"
expect_exit 0 "$WARD" --json audit log --action check.
events=$OUT
assert_eq "$(jq '[.events[] | select(.action=="check.tls")] | length' <<<"$events")" 2
assert_contains "$events" "tls.cert.expired"
assert_contains "$events" "127.0.0.1:${TLS_PORT[good]}"
# A store that cannot be unlocked fails before anything is probed.
expect_exit 4 env -u WARD_KEY_FILE "$WARD" check tls "127.0.0.1:${TLS_PORT[good]}" --ca "$P/ca.pem" </dev/null
echo "check_tls: ok"
