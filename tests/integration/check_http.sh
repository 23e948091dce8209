#!/usr/bin/env bash
# ward check http against nginx and openssl s_server on loopback: redirects to HTTPS, HSTS,
# certificate trust and expiry; unreachable, silent and non-HTTP targets.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
source "$WARD_SOURCE_DIR/tests/servers/tls.bash"
source "$WARD_SOURCE_DIR/tests/servers/nginx.bash"
require_cmd openssl jq nginx python3

P=$T/pki
make_pki "$P"
declare -A port
for name in hsts short nohsts expiring selfsigned wronghost redirect plain wrongredirect; do port[$name]=$(free_port); done
tls_block() { # NAME CERT HEADER
  printf '  server {\n    listen 127.0.0.1:%s ssl;\n    ssl_certificate %s;\n    ssl_certificate_key %s;\n    ssl_protocols TLSv1.2 TLSv1.3;\n    %s\n    location / { return 200 "ok\\n"; }\n  }\n' \
    "${port[$1]}" "$2" "$P/server.key" "$3"
}
start_nginx "$(
  tls_block hsts "$P/server.pem" 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;'
  tls_block short "$P/server.pem" 'add_header Strict-Transport-Security "max-age=300" always;'
  tls_block nohsts "$P/server.pem" ''
  tls_block expiring "$P/expiring.pem" 'add_header Strict-Transport-Security "max-age=31536000" always;'
  tls_block selfsigned "$P/selfsigned.pem" 'add_header Strict-Transport-Security "max-age=31536000" always;'
  tls_block wronghost "$P/wronghost.pem" 'add_header Strict-Transport-Security "max-age=31536000" always;'
  printf '  server { listen 127.0.0.1:%s; return 301 https://127.0.0.1:%s$request_uri; }\n' "${port[redirect]}" "${port[hsts]}"
  printf '  server { listen 127.0.0.1:%s; return 301 http://127.0.0.1:%s/elsewhere; }\n' "${port[wrongredirect]}" "${port[plain]}"
  printf '  server { listen 127.0.0.1:%s; location / { return 200 "plain\\n"; } }\n' "${port[plain]}"
)"

check() { # URL EXPECTED_EXIT [ARGS...]
  local url=$1 want=$2
  shift 2
  expect_exit "$want" "$WARD" --json check http "$url" --ca "$P/ca.pem" "$@"
  RESULT=$(jq -c '.results[0]' <<<"$OUT")
  IDS=" $(jq -r '[.findings[].id] | join(" ")' <<<"$RESULT") "
  STATUS=$(jq -r .status <<<"$RESULT")
}
has() { [[ $IDS == *" $1 "* ]] || fail "expected finding $1 ($CURRENT), got [$IDS]"; }
none() { [[ $IDS == "  " ]] || fail "expected no findings ($CURRENT), got [$IDS]"; }
lacks() {
  local id
  for id; do [[ $IDS != *" $id "* ]] || fail "unexpected finding $id ($CURRENT), got [$IDS]"; done
}

CURRENT="https with HSTS"
check "https://127.0.0.1:${port[hsts]}/" 0 --fail-on info
none
lacks http.cert.expiring http.hsts.missing http.hsts.short http.redirect.missing http.tls.untrusted
lacks http.tls.handshake_failed http.connect.failed http.connect.refused http.connect.timeout
lacks http.connect.unresolved
assert_eq "$STATUS" pass
assert_eq "$(jq -r .schema <<<"$OUT")" ward.check.http/v1
assert_eq "$(jq -r .facts.protocol <<<"$RESULT")" TLSv1.3
assert_eq "$(jq -r .facts.status <<<"$RESULT")" 200
assert_contains "$(jq -r .facts.hsts <<<"$RESULT")" "max-age=31536000"
# by name too: the certificate names localhost
check "https://localhost:${port[hsts]}/" 0 --fail-on info
none

CURRENT="http redirecting to https"
check "http://127.0.0.1:${port[redirect]}/x" 0 --fail-on info
none
assert_eq "$(jq -r .facts.redirect <<<"$RESULT")" "https://127.0.0.1:${port[hsts]}/x"
assert_eq "$(jq -r .facts.http_status <<<"$RESULT")" 301

CURRENT="plain http"
check "http://127.0.0.1:${port[plain]}/" 1
has http.redirect.missing
CURRENT="redirect to http"
check "http://127.0.0.1:${port[wrongredirect]}/" 1
has http.redirect.missing

CURRENT="no HSTS"
check "https://127.0.0.1:${port[nohsts]}/" 0
has http.hsts.missing
check "https://127.0.0.1:${port[nohsts]}/" 1 --fail-on medium
CURRENT="short HSTS"
check "https://127.0.0.1:${port[short]}/" 0
has http.hsts.short
assert_eq "$STATUS" warn

CURRENT="expiring"
check "https://127.0.0.1:${port[expiring]}/" 0
has http.cert.expiring
check "https://127.0.0.1:${port[expiring]}/" 0 --warn-days 3 --fail-on info
none

CURRENT="self-signed"
check "https://127.0.0.1:${port[selfsigned]}/" 1
has http.tls.untrusted
# Unverified, the rest is still judged: the header is there.
assert_contains "$(jq -r .facts.hsts <<<"$RESULT")" "max-age"
CURRENT="wrong name"
check "https://127.0.0.1:${port[wronghost]}/" 1
has http.tls.untrusted
assert_contains "$(jq -r '.findings[0].message' <<<"$RESULT")" "127.0.0.1"

# --- targets that fail: status error, exit 1, bounded time -------------------------------------
check_error() { # ID URL
  local t0=$(date +%s%N)
  expect_exit 1 "$WARD" --json check http "$2" --timeout 1s --ca "$P/ca.pem"
  local ms=$((($(date +%s%N) - t0) / 1000000))
  ((ms < 4000)) || fail "$1 took ${ms} ms with --timeout 1s"
  assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" error
  assert_eq "$(jq -r '.results[0].findings[0].id' <<<"$OUT")" "$1"
  echo "$1: ${ms} ms"
}
closed=$(free_port)
check_error http.connect.refused "https://127.0.0.1:$closed/"
check_error http.connect.unresolved "https://no-such-host.invalid/"
python3 -c '
import socket, sys, os
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$T/silent.port" &
defer "kill $! 2>/dev/null"
for _ in $(seq 100); do [[ -s $T/silent.port ]] && break; sleep 0.05; done
check_error http.connect.timeout "https://127.0.0.1:$(cat "$T/silent.port")/"
start_tls_server tls10 -cert "$P/server.pem" -key "$P/server.key" -tls1 -cipher 'DEFAULT@SECLEVEL=0'
check_error http.tls.handshake_failed "https://127.0.0.1:${TLS_PORT[tls10]}/"
assert_contains "$ERR" "failed the check"
# A TLS server asked for plain HTTP answers with TLS bytes, not HTTP.
check_error http.connect.failed "http://127.0.0.1:${TLS_PORT[tls10]}/"

expect_exit 2 "$WARD" check http "ftp://127.0.0.1/"
assert_contains "$ERR" "http:// or https://"
expect_exit 2 "$WARD" check http "https://127.0.0.1:${port[hsts]}/" --ca "$T/missing.pem"
assert_contains "$ERR" "cannot read CA certificates"
echo "check_http: ok"
