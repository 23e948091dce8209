# The SFTP store backend for the backend-parameterised CLI suite: OpenSSH's sshd (sshd.bash)
# with its internal-sftp subsystem. Source after tests/integration/lib.bash.
# shellcheck shell=bash

# shellcheck source=tests/servers/sshd.bash
source "$WARD_SOURCE_DIR/tests/servers/sshd.bash"

# start_sftp_store: starts sshd and points ward at a store below the test user's home, with
# the server's credentials the documented way (WARD_SSH_IDENTITY, WARD_SSH_KNOWN_HOSTS).
# WARD_TEST_STORE_DIR names the same directory as the server sees it, for tests that look at
# the stored files themselves (the server runs on this machine).
start_sftp_store() {
  start_sshd "$@"
  export WARD_STORE="sftp://$SSHD_USER@$SSHD_HOST:$SSHD_PORT$SSHD_HOME/store"
  export WARD_SSH_IDENTITY=$SSHD_KEY
  export WARD_SSH_KNOWN_HOSTS=$SSHD_KNOWN_HOSTS
  export WARD_TEST_STORE_DIR=$SSHD_HOME/store
}
