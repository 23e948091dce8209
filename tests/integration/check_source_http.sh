#!/usr/bin/env bash
# `ward check source` for https and api-key credentials against a real nginx on loopback that
# requires a bearer token, Basic auth or an X-API-Key header: the right secret, a wrong one, a
# CA that does not sign the server's certificate, a plain-http URL (the secret is never sent),
# a TLS handshake with something that is not TLS, an error answer, a redirect, a closed port,
# and the same request through an sshd bastion.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
source "$WARD_SOURCE_DIR/tests/servers/nginx.bash"
source "$WARD_SOURCE_DIR/tests/servers/sshd.bash"
require_cmd jq nginx base64

P=$T/pki
make_pki "$P"
token='tok-Ry7Qm2xV9pLk4sW8'
key='key-Hc3Zt6nB1dFq5uJ0'
basic=$(printf 'svc:%s' "$token" | base64 -w0)
tls=$(free_port)
plain=$(free_port)
start_nginx "$(cat <<NGINX
  log_format who '\$request_uri';
  server {
    listen 127.0.0.1:$tls ssl;
    ssl_certificate $P/server.pem;
    ssl_certificate_key $P/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    access_log $T/nginx/requests.log who;
    location /api { if (\$http_authorization != "Bearer $token") { return 401; } return 200 "ok\n"; }
    location /basic { if (\$http_authorization != "Basic $basic") { return 401; } return 200 "ok\n"; }
    location /key { if (\$http_x_api_key != "$key") { return 403; } return 200 "ok\n"; }
    location /broken { return 500; }
    location /moved { return 302 /api; }
  }
  server { listen 127.0.0.1:$plain; location / { return 200 "plain\n"; } }
NGINX
)"
new_store

add() { # NAME TYPE URL SECRET EXTRA-ARGS...
  local name=$1 type=$2 url=$3 secret=$4
  shift 4
  printf '%s' "$secret" | "$WARD" cred add "$name" --type "$type" --field "url=$url" \
    --secret-stdin --allow-weak "$@" >/dev/null || fail "cannot add credential $name"
}
check() { # EXPECTED_EXIT NAME...
  local want=$1
  shift
  expect_exit "$want" "$WARD" --json check source "$@" --timeout 5s
  RESULT=$(jq -c '.results[0]' <<<"$OUT")
  IDS=" $(jq -r '[.findings[].id] | join(" ")' <<<"$RESULT") "
  assert_not_contains "$OUT$ERR" "$token"
  assert_not_contains "$OUT$ERR" "$key"
}
has() { [[ $IDS == *" $1 "* ]] || fail "expected finding $1 ($CURRENT), got [$IDS]"; }
lacks() { [[ $IDS != *" $1 "* ]] || fail "unexpected finding $1 ($CURRENT), got [$IDS]"; }
fact() { jq -r ".facts.$1" <<<"$RESULT"; }

CURRENT="api-key, bearer token, right token"
add api api-key "https://localhost:$tls/api?case=right" "$token" --field-file "ca=$P/ca.pem"
check 0 api
assert_eq "$(jq -r .status <<<"$RESULT")" pass
assert_eq "$IDS" "  "
assert_eq "$(fact status)" 200
assert_eq "$(fact authenticated)" true
assert_eq "$(fact auth)" bearer
assert_eq "$(fact type)" api-key
assert_contains "$(fact protocol)" "TLSv1."
lacks source.auth.failed
lacks source.tls.cert_invalid
lacks source.tls.disabled
lacks source.tls.failed
lacks source.request.failed
# The CA went to libcurl in a private temp file, removed afterwards.
[[ -z $(find "$TMPDIR" -name 'ward-ca*') ]] || fail "a temp file was left behind"

CURRENT="api-key, wrong token"
add wrongtoken api-key "https://localhost:$tls/api?case=wrongtoken" "not-the-token-0000" \
  --field-file "ca=$P/ca.pem"
check 1 wrongtoken
has source.auth.failed
assert_eq "$(fact status)" 401
assert_eq "$(fact authenticated)" false
assert_eq "$(jq -r .status <<<"$RESULT")" fail

CURRENT="https with user: Basic auth; the CA as sslrootcert, by path"
add basic https "https://127.0.0.1:$tls/basic" "$token" --field user=svc --field "sslrootcert=$P/ca.pem"
check 0 basic
assert_eq "$(fact auth)" basic
assert_eq "$(fact authenticated)" true
add badbasic https "https://127.0.0.1:$tls/basic" "wrong-Basic-pw-1" --field user=svc \
  --field "sslrootcert=$P/ca.pem"
check 1 badbasic
has source.auth.failed

CURRENT="a configurable header field"
add xkey api-key "https://localhost:$tls/key" "$key" --field header=X-API-Key --field-file "ca=$P/ca.pem"
check 0 xkey
assert_eq "$(fact auth)" "header X-API-Key"
add badxkey api-key "https://localhost:$tls/key" "$token" --field header=X-API-Key --field-file "ca=$P/ca.pem"
check 1 badxkey
has source.auth.failed
assert_eq "$(fact status)" 403
add badheader api-key "https://localhost:$tls/key" "$key" --field "header=X-API-Key: x" \
  --field-file "ca=$P/ca.pem"
check 1 badheader
assert_eq "$(jq -r .status <<<"$RESULT")" error
has source.misconfigured

CURRENT="wrong CA: the request, and so the secret, never reaches the server"
add wrongca api-key "https://localhost:$tls/api?case=wrongca" "$token" --field-file "ca=$P/selfsigned.pem"
check 1 wrongca
has source.tls.cert_invalid
lacks source.auth.failed
grep -q 'case=right' "$T/nginx/requests.log" || fail "nginx logged no request at all"
! grep -q 'case=wrongca' "$T/nginx/requests.log" || fail "the request went to an unverified server"

CURRENT="plain http: refused before connecting"
add plainapi api-key "http://127.0.0.1:$plain/api" "$token"
check 1 plainapi
has source.tls.disabled
lacks source.auth.failed

CURRENT="https to a server that does not speak TLS"
add nottls api-key "https://127.0.0.1:$plain/api" "$token" --field-file "ca=$P/ca.pem"
check 1 nottls
has source.tls.failed

CURRENT="an error answer, and a redirect that is not followed"
add broken api-key "https://localhost:$tls/broken" "$token" --field-file "ca=$P/ca.pem"
check 0 broken  # medium: below the default threshold
has source.request.failed
assert_eq "$(fact status)" 500
expect_exit 1 "$WARD" --json check source broken --fail-on medium
add moved api-key "https://localhost:$tls/moved" "$token" --field-file "ca=$P/ca.pem"
check 0 moved
has source.request.failed
assert_contains "$(jq -r '.findings[0].evidence.location' <<<"$RESULT")" "/api"

CURRENT="misconfigured and unreachable"
printf '%s' "$token" | "$WARD" cred add nourl --type api-key --secret-stdin --allow-weak >/dev/null
check 1 nourl
has source.misconfigured
add badurl api-key "ftp://localhost/x" "$token"
check 1 badurl
has source.misconfigured
closed=$(free_port)
add gone api-key "https://127.0.0.1:$closed/api" "$token" --field-file "ca=$P/ca.pem"
check 1 gone
has source.unreachable
assert_eq "$(jq -r .status <<<"$RESULT")" error

CURRENT="through an sshd bastion: TLS verified against the URL's host inside the tunnel"
start_sshd
expect_exit 0 "$WARD" cred add bastion --type ssh --field host=127.0.0.1 --field "port=$SSHD_PORT" \
  --field "user=$SSHD_USER" --field "hostkey=$SSHD_HOSTKEY_FP" --secret-field private_key \
  --secret-file "$SSHD_KEY"
add behind api-key "https://localhost:$tls/api?case=behind" "$token" --field-file "ca=$P/ca.pem" \
  --field bastion=bastion
check 0 behind
assert_eq "$(fact via)" bastion
assert_eq "$(fact authenticated)" true
grep -q 'case=behind' "$T/nginx/requests.log" || fail "the request through the bastion never arrived"

CURRENT="check all takes https and api-key credentials too"
expect_exit 1 "$WARD" --json check all --type api-key --timeout 5s
assert_eq "$(jq -r '[.results[].target] | sort | join(" ")' <<<"$OUT")" \
  "api badheader badurl badxkey behind broken gone moved nottls nourl plainapi wrongca wrongtoken xkey"
echo "check source over https: ok"
