#!/usr/bin/env bash
# The shared SSH layer (src/ssh/) against a real OpenSSH sshd on loopback: handshake, host key
# verification, every authentication method and its failures, exec, direct-tcpip, SFTP, and
# timeouts. The checks are Catch2 cases tagged [.sshd] in the unit test binary, hidden from the
# unit run; this script starts the server they need.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/sshd.bash"

UNIT=${WARD_UNIT_TESTS:?WARD_UNIT_TESTS must name the unit test binary}
start_sshd

# A key the server does not know, and an authorized RSA key (libssh2 1.10 signs it with SHA-1,
# which OpenSSH 9 refuses: the case the layer must explain).
ssh-keygen -q -t ed25519 -N '' -f "$T/other_ed25519"
ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -f "$T/rsa_key"
cat "$T/rsa_key.pub" >>"$SSHD_HOME/authorized_keys"
export WARD_TEST_OTHER_KEY=$T/other_ed25519 WARD_TEST_RSA_KEY=$T/rsa_key

"$UNIT" -# "[sshd][#ssh_integration_test]" --use-colour no || fail "SSH layer checks against sshd failed (log: $SSHD_LOG)"

# The cases really ran (a tag typo would run nothing and pass).
count=$( ("$UNIT" -# "[sshd][#ssh_integration_test]" --list-test-names-only || true) | grep -c '^ssh: ')
((count >= 10)) || fail "expected at least 10 [sshd] cases, found $count"
