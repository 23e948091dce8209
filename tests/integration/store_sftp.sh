#!/usr/bin/env bash
# The SFTP store backend against a real OpenSSH sshd: the object store conformance suite,
# reconnection after a dropped connection, batches on several connections, stale temporaries
# (the [.sshd] cases of tests/unit/store_sftp_test.cpp, hidden from the unit run; this script
# starts their server).
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$WARD_SOURCE_DIR/tests/servers/sshd.bash"

UNIT=${WARD_UNIT_TESTS:?WARD_UNIT_TESTS must name the unit test binary}
start_sshd

"$UNIT" -# "[sshd][#store_sftp_test]" --use-colour no ||
  fail "SFTP store checks against sshd failed (log: $SSHD_LOG)"
count=$( ("$UNIT" -# "[sshd][#store_sftp_test]" --list-test-names-only || true) | grep -c '^sftp store')
((count >= 4)) || fail "expected at least 4 SFTP store cases, found $count"
