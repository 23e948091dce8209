#!/usr/bin/env bash
# `ward check source`, `check all` and `ward tunnel` against a real PostgreSQL with TLS, reached
# directly and through OpenSSH's sshd as a bastion, with the credentials' real secrets: a
# working source, a wrong password, an unverifiable certificate, a bastion whose host key
# changed, and a tunnel psql connects through with full verification, closed by SIGINT.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/pki.bash"
source "$WARD_SOURCE_DIR/tests/servers/postgres.bash"
source "$WARD_SOURCE_DIR/tests/servers/sshd.bash"
require_cmd jq psql

findings() { jq -r '[.results[].findings[].id] | unique | join(" ")' <<<"$OUT"; }
has() {
  local f=" $(findings) " id
  for id; do [[ $f == *" $id "* ]] || fail "expected finding $id, got [$f]"; done
}
lacks() {
  local f=" $(findings) " id
  for id; do [[ $f != *" $id "* ]] || fail "unexpected finding $id in [$f]"; done
}

make_pki "$T/pki"
start_postgres "$T/pki"
app_password='App-pw-Zq81!source'
pg_psql -c "CREATE ROLE app LOGIN PASSWORD '$app_password'" >/dev/null
start_sshd
new_store

add_db() { # NAME EXTRA-ARGS... (password from $app_password)
  local name=$1
  shift
  printf '%s' "$app_password" | "$WARD" cred add "$name" --type postgres --field host=localhost \
    --field "port=$PG_PORT" --field user=app --field dbname=postgres \
    --field-file "sslrootcert=$T/pki/ca.pem" --secret-stdin --allow-weak "$@" >/dev/null ||
    fail "cannot add credential $name"
}

# --- Directly, over verified TLS.
add_db db
expect_exit 0 "$WARD" --json check source db
assert_eq "$(jq -r '.schema' <<<"$OUT")" "ward.check.source/v1"
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" pass
assert_eq "$(jq -r '.results[0].facts.tls' <<<"$OUT")" true
assert_contains "$(jq -r '.results[0].facts.protocol' <<<"$OUT")" "TLSv1."
assert_eq "$(jq -r '.results[0].facts.authenticated' <<<"$OUT")" true
assert_not_contains "$OUT$ERR" "$app_password"
lacks source.auth.failed source.tls.cert_invalid source.tls.unverified source.tls.disabled
lacks source.tls.unavailable source.tls.failed source.unreachable source.misconfigured
lacks source.unsupported source.bastion source.bastion.auth source.query.failed
# The CA certificate was handed to libpq in a private temp file, removed afterwards.
[[ -z $(find "$TMPDIR" -name 'ward-sslrootcert*') ]] || fail "a temp file was left behind"

# --- A wrong password, and a certificate that does not verify.
printf 'wrong-password-Zz1!' | "$WARD" cred add baddb --type postgres --field host=localhost \
  --field "port=$PG_PORT" --field user=app --field dbname=postgres \
  --field-file "sslrootcert=$T/pki/ca.pem" --secret-stdin --allow-weak >/dev/null
expect_exit 1 "$WARD" --json check source baddb
has source.auth.failed
lacks source.tls.cert_invalid
assert_not_contains "$OUT$ERR" "wrong-password-Zz1!"
add_db otherca --field-file "sslrootcert=$T/pki/selfsigned.pem"
expect_exit 1 "$WARD" --json check source otherca
has source.tls.cert_invalid
lacks source.auth.failed source.tls.failed
# sslmode=require encrypts without verifying: a medium finding, still a pass at --fail-on high.
add_db unverified --field sslmode=require
expect_exit 0 "$WARD" --json check source unverified
has source.tls.unverified
# Nothing listening.
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '%s' "$app_password" | "$WARD" cred add gone --type postgres --field host=127.0.0.1 \
  --field "port=$closed" --field user=app --secret-stdin --allow-weak >/dev/null
expect_exit 1 "$WARD" --json check source gone --timeout 2s
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" error
has source.unreachable

# --- Through the bastion: the SSH host key is verified, the TLS inside the tunnel too.
expect_exit 0 "$WARD" cred add bastion --type ssh --field host=127.0.0.1 --field "port=$SSHD_PORT" \
  --field "user=$SSHD_USER" --field "hostkey=$SSHD_HOSTKEY_FP" --secret-field private_key --secret-file "$SSHD_KEY"
add_db behind --field bastion=bastion
expect_exit 0 "$WARD" --json check source behind
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" pass
assert_eq "$(jq -r '.results[0].facts.via' <<<"$OUT")" bastion
lacks source.bastion source.bastion.auth
grep -q "direct-tcpip" "$SSHD_LOG" || grep -q "Connection from" "$SSHD_LOG" ||
  fail "sshd saw no connection from the bastion route"
# A bastion whose host key no longer matches is refused before any authentication.
other_fp=$(ssh-keygen -l -f "$SSHD_KEY.pub" | cut -d' ' -f2)
expect_exit 0 "$WARD" cred add evilbastion --type ssh --field host=127.0.0.1 \
  --field "port=$SSHD_PORT" --field "user=$SSHD_USER" --field "hostkey=$other_fp" \
  --secret-field private_key --secret-file "$SSHD_KEY"
add_db behindevil --field bastion=evilbastion
expect_exit 1 "$WARD" --json check source behindevil
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" error
assert_contains "$(jq -r '.results[0].error' <<<"$OUT")" "host key"
has source.bastion
lacks source.bastion.auth
# An ssh credential is itself a source: verified host key, key login.
expect_exit 0 "$WARD" --json check source bastion
assert_eq "$(jq -r '.results[0].facts.authenticated' <<<"$OUT")" true

# --- check all: every checkable credential, concurrently; results stored and audited.
expect_exit 1 "$WARD" --json check all --parallel 4 --timeout 3s
assert_eq "$(jq -r '.schema' <<<"$OUT")" "ward.check.all/v1"
names=$(jq -r '[.results[].target] | sort | join(" ")' <<<"$OUT")
assert_eq "$names" "baddb bastion behind behindevil db evilbastion gone otherca unverified"
# Errors (unreachable targets) fail at any threshold; --type narrows the set.
expect_exit 1 "$WARD" --json check all --type postgres --fail-on critical --timeout 3s
assert_eq "$(jq -r '[.results[].target] | sort | join(" ")' <<<"$OUT")" \
  "baddb behind behindevil db gone otherca unverified"
assert_eq "$(jq -r '[.results[] | select(.status == "error") | .target] | sort | join(" ")' <<<"$OUT")" \
  "behindevil gone"
expect_exit 0 "$WARD" --json audit log --action check.all
[[ $(jq '.events | length' <<<"$OUT") -ge 1 ]] || fail "check all was not audited"

# --- A bastion that refuses the stored password; a type ward does not check; no host.
printf 'not-the-bastion-pw-7!' | "$WARD" cred add badbastion --type ssh --field host=127.0.0.1 \
  --field "port=$SSHD_PORT" --field "user=$SSHD_USER" --field "hostkey=$SSHD_HOSTKEY_FP" \
  --secret-stdin --allow-weak >/dev/null
add_db behindbad --field bastion=badbastion
expect_exit 1 "$WARD" --json check source behindbad
has source.bastion.auth
lacks source.bastion
assert_not_contains "$OUT$ERR" "not-the-bastion-pw-7!"
printf 'mysql-pw-Qx3!' | "$WARD" cred add mydb --type mysql --field host=127.0.0.1 \
  --secret-stdin --allow-weak >/dev/null
expect_exit 1 "$WARD" --json check source mydb
has source.unsupported
lacks source.misconfigured
printf '%s' "$app_password" | "$WARD" cred add nohost --type postgres --field user=app \
  --secret-stdin --allow-weak >/dev/null
expect_exit 1 "$WARD" --json check source nohost
has source.misconfigured
lacks source.unsupported source.unreachable

# --- ward tunnel: psql through the bastion with full verification, closed by SIGINT.
"$WARD" --json tunnel behind >"$T/tunnel.out" 2>"$T/tunnel.err" &
tunnel_pid=$!
defer "kill $tunnel_pid 2>/dev/null"
for _ in $(seq 100); do [[ -s $T/tunnel.out ]] && break; sleep 0.1; done
listen=$(jq -r '.listen' "$T/tunnel.out") || fail "tunnel printed no address: $(cat "$T/tunnel.err")"
port=${listen##*:}
result=$(PGPASSWORD=$app_password psql "host=localhost hostaddr=127.0.0.1 port=$port user=app \
  dbname=postgres sslmode=verify-full sslrootcert=$T/pki/ca.pem gssencmode=disable" \
  -Atc "select 'via-tunnel', ssl from pg_stat_ssl where pid = pg_backend_pid()") ||
  fail "psql through the tunnel failed: $(cat "$T/tunnel.err")"
assert_eq "$result" "via-tunnel|t"
# A second connection through the same tunnel.
PGPASSWORD=$app_password psql "host=localhost hostaddr=127.0.0.1 port=$port user=app \
  dbname=postgres sslmode=verify-full sslrootcert=$T/pki/ca.pem gssencmode=disable" -Atc "select 2" >/dev/null ||
  fail "the second connection through the tunnel failed"
kill -INT "$tunnel_pid"
rc=0
wait "$tunnel_pid" || rc=$?
assert_eq "$rc" 0
expect_exit 0 "$WARD" --json audit log --action tunnel.close
assert_eq "$(jq -r '.events[-1].details.connections' <<<"$OUT")" 2
# --via/--to without a bastion credential name; a bad --listen is a usage error.
expect_exit 2 "$WARD" tunnel --via bastion
expect_exit 2 "$WARD" tunnel db
expect_exit 2 "$WARD" tunnel --via bastion --to "localhost:$PG_PORT" --listen not-an-ip:1

# --- The same server with TLS switched off: refused where TLS is required, flagged where the
# credential let the session fall back to plaintext.
pg_set ssl off
pg_hba_plaintext
expect_exit 1 "$WARD" --json check source db
has source.tls.unavailable
lacks source.tls.disabled source.auth.failed
add_db fallback --field sslmode=prefer
expect_exit 1 "$WARD" --json check source fallback
has source.tls.disabled
lacks source.tls.unavailable source.tls.unverified
assert_eq "$(jq -r '.results[0].facts.tls' <<<"$OUT")" false
echo "check source, check all, tunnel: ok"
