#!/usr/bin/env bash
# `ward check ssh` against OpenSSH's sshd on loopback: a default (hardened) server, a server
# configured with weak algorithms, host key verification (known_hosts, expected fingerprint,
# mismatch, unknown), password logins offered, authentication with a stored credential, and the
# ways a target can fail (closed port, silent server, not SSH). Terrapin exposure and
# post-quantum names come from a stand-in replaying a KEXINIT, because Debian's OpenSSH cannot
# show them (tests/servers/ssh_standin_kexinit.py).
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/sshd.bash"
# Under the sanitizers: the slow unwinder, so the one LeakSanitizer suppression this test needs
# (tests/sanitizers/lsan.supp, libssh2's own leak in a timed-out key exchange) can see the
# libssh2 function the leak comes from.
if [[ ${WARD_SANITIZED:-0} == 1 ]]; then export ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0"; fi
require_cmd python3 jq

findings() { jq -r '[.results[].findings[].id] | unique | join(" ")' <<<"$OUT"; }
# has ID... / lacks ID...: whole ids in the last result's findings.
has() {
  local f=" $(findings) " id
  for id; do [[ $f == *" $id "* ]] || fail "expected finding $id, got [$f]"; done
}
lacks() {
  local f=" $(findings) " id
  for id; do [[ $f != *" $id "* ]] || fail "unexpected finding $id in [$f]"; done
}

# --- A default sshd: modern algorithms, strict kex, password logins on (the fixture's default).
start_sshd
target=127.0.0.1:$SSHD_PORT
expect_exit 0 "$WARD" --json check ssh "$target" --known-hosts "$SSHD_KNOWN_HOSTS"
assert_eq "$(jq -r '.schema' <<<"$OUT")" "ward.check.ssh/v1"
assert_eq "$(jq -r '.results[0].facts.host_key.fingerprint' <<<"$OUT")" "$SSHD_HOSTKEY_FP"
assert_eq "$(jq -r '.results[0].facts.strict_kex' <<<"$OUT")" "true"
assert_contains "$(jq -r '.results[0].facts.software' <<<"$OUT")" "OpenSSH"
# Password logins on; OpenSSH's defaults still include hmac-sha1 and umac-64 (low), ECDH over
# NIST curves, and the fixture's ECDSA host key: low findings, never anything worse.
has ssh.auth.password ssh.mac.weak ssh.kex.nist_curve ssh.hostkey.nist_curve
assert_eq "$(jq '[.results[].findings[] | select(.severity == "high" or .severity == "critical" or .severity == "medium")] | length' <<<"$OUT")" 0
lacks ssh.terrapin ssh.kex.weak ssh.cipher.weak ssh.cipher.cbc ssh.cipher.none ssh.mac.none
lacks ssh.hostkey.mismatch ssh.hostkey.unknown ssh.hostkey.unverified ssh.kex.no_post_quantum
lacks ssh.hostkey.weak ssh.hostkey.weak_key ssh.protocol.v1 ssh.compression.preauth
lacks ssh.algorithm.unknown ssh.handshake.failed ssh.auth.failed ssh.refused ssh.timeout
lacks ssh.closed ssh.io ssh.unresolved
# One connection per check: the KEXINIT is read from the connection libssh2 logs in on.
connections=$(grep -c "Connection from 127.0.0.1" "$SSHD_LOG")
expect_exit 0 "$WARD" --json check ssh "$target" --known-hosts "$SSHD_KNOWN_HOSTS"
assert_eq "$(($(grep -c "Connection from 127.0.0.1" "$SSHD_LOG") - connections))" 1
# Human output names the target and the finding.
expect_exit 0 "$WARD" check ssh "$target" --expect-hostkey "$SSHD_HOSTKEY_FP"
assert_contains "$OUT" "$target"
assert_contains "$OUT" "ssh.auth.password"
# --fail-on low turns the password finding into a failing check, with a JUnit report.
expect_exit 1 "$WARD" check ssh "$target" --expect-hostkey "$SSHD_HOSTKEY_FP" --fail-on low \
  --junit "$T/ssh.xml"
grep -q 'ssh.auth.password' "$T/ssh.xml" || fail "the JUnit report lacks the finding"

# --- Host key verification.
wrong_fp=$(ssh-keygen -l -f "$SSHD_KEY.pub" | cut -d' ' -f2)
expect_exit 1 "$WARD" --json check ssh "$target" --expect-hostkey "$wrong_fp"
has ssh.hostkey.mismatch
lacks ssh.hostkey.unknown ssh.hostkey.unverified
assert_eq "$(jq -r '.results[0].findings[] | select(.id=="ssh.hostkey.mismatch") | .severity' <<<"$OUT")" critical
ssh-keygen -q -t ed25519 -N '' -f "$T/other_host"
printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$T/other_host.pub")" >"$T/wrong_known_hosts"
expect_exit 1 "$WARD" --json check ssh "$target" --known-hosts "$T/wrong_known_hosts"
assert_contains "$(findings)" "ssh.hostkey.mismatch"
: >"$T/empty_known_hosts"
expect_exit 1 "$WARD" --json check ssh "$target" --known-hosts "$T/empty_known_hosts"
has ssh.hostkey.unknown
lacks ssh.hostkey.mismatch
expect_exit 0 "$WARD" --json check ssh "$target"
has ssh.hostkey.unverified
lacks ssh.hostkey.mismatch ssh.hostkey.unknown
expect_exit 2 "$WARD" check ssh "$target" --expect-hostkey "not-a-fingerprint"

# --- Authentication with stored credentials: a key that works, a password that does not.
new_store
expect_exit 0 "$WARD" cred add jump --type ssh --field host=127.0.0.1 --field "port=$SSHD_PORT" \
  --field "user=$SSHD_USER" --field "hostkey=$SSHD_HOSTKEY_FP" --secret-field private_key --secret-file "$SSHD_KEY"
expect_exit 0 "$WARD" --json check ssh "$target" --expect-hostkey "$SSHD_HOSTKEY_FP" --cred jump
assert_eq "$(jq -r '.results[0].facts.authenticated' <<<"$OUT")" "true"
lacks ssh.auth.failed
printf 'not-the-password-9Q!' | "$WARD" cred add badpw --type ssh --field host=127.0.0.1 \
  --field "port=$SSHD_PORT" --field "user=$SSHD_USER" --secret-stdin --allow-weak >/dev/null
expect_exit 1 "$WARD" --json check ssh "$target" --expect-hostkey "$SSHD_HOSTKEY_FP" --cred badpw
has ssh.auth.failed
assert_not_contains "$OUT$ERR" "not-the-password-9Q!"
# The checks were audited, and the results stored for reports.
expect_exit 0 "$WARD" --json audit log --action check.ssh
[[ $(jq '.events | length' <<<"$OUT") -ge 2 ]] || fail "check ssh was not audited"

# --- A server offering weak algorithms (all still compiled into Debian's OpenSSH).
stop_sshd
rm -rf -- "$SSHD_DIR"
SSHD_HOST_KEY_TYPES="ed25519 rsa" start_sshd \
  "KexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1" \
  "Ciphers +aes128-cbc,3des-cbc" "MACs +hmac-sha1-96,hmac-md5" \
  "HostKeyAlgorithms +ssh-rsa" "PasswordAuthentication no"
expect_exit 1 "$WARD" --json check ssh "127.0.0.1:$SSHD_PORT" --known-hosts "$SSHD_KNOWN_HOSTS"
has ssh.kex.weak ssh.cipher.weak ssh.cipher.cbc ssh.mac.weak ssh.hostkey.weak
# Only ed25519 and a 3072-bit RSA host key: no NIST curve, and RSA of a size that holds.
lacks ssh.auth.password ssh.hostkey.nist_curve ssh.hostkey.weak_key
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" fail
# The RSA host key, asked for by a known_hosts file that lists only it.
grep ' ssh-rsa ' "$SSHD_KNOWN_HOSTS" >"$T/rsa_known_hosts"
expect_exit 1 "$WARD" --json check ssh "127.0.0.1:$SSHD_PORT" --known-hosts "$T/rsa_known_hosts"
assert_eq "$(jq -r '.results[0].facts.host_key.type' <<<"$OUT")" ssh-rsa
assert_eq "$(jq -r '.results[0].facts.host_key.bits' <<<"$OUT")" 3072
lacks ssh.hostkey.weak_key

# --- A real sshd with a 1024-bit RSA host key (OpenSSH 9.2 still loads it: RequiredRSASize
# defaults to 1024). It offers ssh-rsa signatures because libssh2 1.10 verifies RSA host keys
# with no other: ward judges the host key it negotiates.
stop_sshd
rm -rf -- "$SSHD_DIR"
SSHD_HOST_KEY_TYPES="ed25519 rsa" SSHD_RSA_BITS=1024 start_sshd "HostKeyAlgorithms +ssh-rsa"
grep ' ssh-rsa ' "$SSHD_KNOWN_HOSTS" >"$T/rsa_known_hosts"
expect_exit 1 "$WARD" --json check ssh "127.0.0.1:$SSHD_PORT" --known-hosts "$T/rsa_known_hosts"
assert_eq "$(jq -r '.results[0].facts.host_key.bits' <<<"$OUT")" 1024
has ssh.hostkey.weak_key
assert_eq "$(jq -r '.results[0].findings[] | select(.id=="ssh.hostkey.weak_key") | .severity' <<<"$OUT")" high
lacks ssh.hostkey.mismatch ssh.hostkey.unknown
# The same server over its ed25519 key: no RSA key to judge.
expect_exit 0 "$WARD" --json check ssh "127.0.0.1:$SSHD_PORT" --expect-hostkey "$SSHD_HOSTKEY_FP"
lacks ssh.hostkey.weak_key

# --- Stand-ins replaying a KEXINIT (see the header).
standin() { # NAME KEX HOSTKEYS CIPHERS MACS -> sets STANDIN_PORT
  python3 "$WARD_SOURCE_DIR/tests/servers/ssh_standin_kexinit.py" "$T/$1.port" "${@:2}" &
  defer "kill $! 2>/dev/null"
  for _ in $(seq 50); do [[ -s $T/$1.port ]] && break; sleep 0.1; done
  STANDIN_PORT=$(cat "$T/$1.port")
}
standin terrapin "curve25519-sha256,ext-info-s" "ssh-ed25519" \
  "chacha20-poly1305@openssh.com,aes256-ctr" "hmac-sha2-256-etm@openssh.com"
expect_exit 1 "$WARD" --json check ssh "127.0.0.1:$STANDIN_PORT" --timeout 2s
has ssh.terrapin ssh.kex.no_post_quantum ssh.handshake.failed
lacks ssh.protocol.v1 ssh.cipher.none ssh.mac.none ssh.compression.preauth ssh.algorithm.unknown
assert_eq "$(jq -r '.results[0].facts.strict_kex' <<<"$OUT")" "false"
standin modern "mlkem768x25519-sha256,sntrup761x25519-sha512,curve25519-sha256,kex-strict-s-v00@openssh.com" \
  "ssh-ed25519" "chacha20-poly1305@openssh.com" "hmac-sha2-256-etm@openssh.com"
expect_exit 1 "$WARD" --json check ssh "127.0.0.1:$STANDIN_PORT" --timeout 2s
lacks ssh.terrapin ssh.algorithm.unknown ssh.kex.no_post_quantum ssh.kex.nist_curve ssh.mac.weak
assert_eq "$(jq -r '.results[0].facts.post_quantum_kex' <<<"$OUT")" "true"
# What OpenSSH cannot offer at all any more: protocol 1.99, the none cipher and MAC, zlib
# before authentication; and names ward does not know.
standin ancient "curve25519-sha256,kex-strict-s-v00@openssh.com,frobnicate-kex@example.org" \
  "ssh-ed25519" "none,aes256-ctr" "none,hmac-sha2-256" "zlib,none" "SSH-1.99-StandIn_0.1"
expect_exit 1 "$WARD" --json check ssh "127.0.0.1:$STANDIN_PORT" --timeout 2s
has ssh.protocol.v1 ssh.cipher.none ssh.mac.none ssh.compression.preauth ssh.algorithm.unknown
assert_contains "$(jq -c '.results[0].findings[] | select(.id=="ssh.algorithm.unknown") | .evidence' <<<"$OUT")" \
  "frobnicate-kex@example.org"

# --- Targets that fail: status error, exit 1, in bounded time, no hang.
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_exit 1 "$WARD" --json check ssh "127.0.0.1:$closed" --timeout 2s
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" error
assert_contains "$(jq -r '.results[0].error' <<<"$OUT")" "refused"
has ssh.refused
lacks ssh.timeout ssh.closed ssh.io
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$T/silent.port" &
defer "kill $! 2>/dev/null"
for _ in $(seq 50); do [[ -s $T/silent.port ]] && break; sleep 0.1; done
start=$SECONDS
expect_exit 1 "$WARD" --json check ssh "127.0.0.1:$(cat "$T/silent.port")" --timeout 1s
((SECONDS - start <= 8)) || fail "a silent server held the check for $((SECONDS - start)) s"
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" error
has ssh.timeout
lacks ssh.refused ssh.handshake.failed
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept(); c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 40); c.close()
' "$T/http.port" &
defer "kill $! 2>/dev/null"
for _ in $(seq 50); do [[ -s $T/http.port ]] && break; sleep 0.1; done
expect_exit 1 "$WARD" --json check ssh "127.0.0.1:$(cat "$T/http.port")" --timeout 2s
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" error
has ssh.io
lacks ssh.closed ssh.timeout
# A server that accepts and hangs up at once.
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept(); c.close()
' "$T/hangup.port" &
defer "kill $! 2>/dev/null"
for _ in $(seq 50); do [[ -s $T/hangup.port ]] && break; sleep 0.1; done
expect_exit 1 "$WARD" --json check ssh "127.0.0.1:$(cat "$T/hangup.port")" --timeout 2s
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" error
has ssh.closed
lacks ssh.io ssh.refused
expect_exit 1 "$WARD" --json check ssh "no-such-host.invalid:22" --timeout 2s
assert_eq "$(jq -r '.results[0].status' <<<"$OUT")" error
has ssh.unresolved
lacks ssh.refused
echo "check ssh: ok"
