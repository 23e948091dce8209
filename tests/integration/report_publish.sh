#!/usr/bin/env bash
# ward audit report --out https://…: the JSON report POSTed to a real nginx on loopback over TLS
# verified against the test CA stored in the credential (sslrootcert), authenticated by the
# credential's secret. nginx accepts only the right bearer token and keeps each body it
# receives, so the test reads back exactly what arrived. Failures: wrong token (HTTP 401),
# a server the credential's CA does not vouch for, plain http://, nothing listening.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
source "$WARD_SOURCE_DIR/tests/servers/nginx.bash"
require_cmd jq nginx openssl

make_pki "$T/pki"
P=$T/pki
token=$(openssl rand -hex 24)
tls_port=$(free_port)
sink_port=$(free_port)
mkdir -p "$T/bodies"
start_nginx "
  server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $P/server.pem;
    ssl_certificate_key $P/server.key;
    location = /evidence {
      if (\$http_authorization != \"Bearer $token\") { return 401; }
      client_body_in_file_only on;
      client_body_temp_path $T/bodies;
      proxy_pass http://127.0.0.1:$sink_port/ok;
    }
  }
  server {
    listen 127.0.0.1:$sink_port;
    location /ok { return 204; }
  }"
wait_port "$tls_port" || fail "nginx is not listening on $tls_port"

new_store
expect_exit 0 "$WARD" cred add db --type generic --secret-stdin --rotate-every 30d \
  < <(printf 'Vq8#rT2m!Lz5-Kp9-a')
expect_exit 0 "$WARD" cred add evidence --type api-key --secret-stdin \
  --field-file "sslrootcert=$P/ca.pem" < <(printf '%s' "$token")
url=https://127.0.0.1:$tls_port/evidence

expect_exit 0 "$WARD" audit report --format json --out "$url" --auth-cred evidence
assert_contains "$OUT" "(HTTP 204)"
bodies=("$T"/bodies/*)
((${#bodies[@]} == 1)) || fail "nginx kept ${#bodies[@]} bodies, expected 1"
body=$(cat "${bodies[0]}")
assert_eq "$(jq -r .schema <<<"$body")" "ward.audit.report/v1"
assert_eq "$(jq -r '.credentials.items[] | select(.name=="db") | .rotate_every' <<<"$body")" "30d"
assert_not_contains "$body" "$token"  # the credential's secret is a header, not content

# The token is in the audit trail only as the fact that a report was sent.
expect_exit 0 "$WARD" --json audit log --action audit.report
assert_eq "$(jq -r '.events[-1].details.destination' <<<"$OUT")" "url"
assert_not_contains "$OUT" "$token"

# Wrong token: the server says 401, ward exits 6 (the report did not arrive) and says why.
expect_exit 0 "$WARD" cred rotate evidence --generate
expect_exit 6 "$WARD" audit report --format json --out "$url" --auth-cred evidence
assert_contains "$ERR" "HTTP 401"
assert_contains "$ERR" "ward: hint: check the credential named by --auth-cred"
# Without the CA in a credential the test server is not trusted (system store only).
expect_exit 6 "$WARD" audit report --format json --out "$url"
assert_contains "$ERR" "ward: error: cannot send the report to $url"
# Only https://, and only JSON to a URL.
expect_exit 2 "$WARD" audit report --format json --out "http://127.0.0.1:$sink_port/ok"
assert_contains "$ERR" "must be https://"
expect_exit 2 "$WARD" audit report --format html --out "$url"
# Nothing listening.
dead=$(free_port)
expect_exit 6 "$WARD" audit report --format json --out "https://127.0.0.1:$dead/x" --auth-cred evidence
bodies=("$T"/bodies/*)
((${#bodies[@]} == 1)) || fail "a failed POST left a body at the server"
echo "report_publish: ok"
