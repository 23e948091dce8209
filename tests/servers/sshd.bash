# OpenSSH's sshd on 127.0.0.1, for the SFTP store, SSH checks, tunnel and rotation tests.
# Source after tests/integration/lib.bash. Needs root (as CI runs): sshd switches to a test user.
#
#   start_sshd [SSHD_CONFIG_LINE...]
#
# starts a private sshd on a free port with its own host keys under $T/sshd, a test user
# ($SSHD_USER, created if missing) with a password and an authorized ed25519 client key, and an
# SFTP subsystem (internal-sftp). Extra arguments are sshd_config lines placed BEFORE the
# defaults: sshd keeps the first value it reads for a keyword, so they override them
# (e.g. start_sshd "PasswordAuthentication no" "Ciphers aes128-cbc"); no Match blocks.
# SSHD_HOST_KEY_TYPES (default "ed25519 ecdsa") chooses the host keys (add rsa for RSA;
# SSHD_RSA_BITS sets its size, default ssh-keygen's 3072);
# SSHD_SFTP_SUBSYSTEM (default internal-sftp) the SFTP server command (sshd refuses a second
# Subsystem line, so it cannot be an extra line).
# The server is stopped when the test exits. It exports:
#   SSHD_HOST SSHD_PORT       where it listens (127.0.0.1)
#   SSHD_USER                 the login user
#   SSHD_KEY                  the client's private key (ed25519, no passphrase, authorized)
#   SSHD_PASSWORD_FILE        a file holding the user's password
#   SSHD_KNOWN_HOSTS          a known_hosts file listing the server's host keys ([host]:port)
#   SSHD_HOSTKEY_FP           SHA256 fingerprint of the ed25519 host key
#   SSHD_HOME                 a directory owned by the user, private to this test (removed at exit)
#   SSHD_DIR SSHD_LOG SSHD_PID  config, host keys and log; the listener's pid
# stop_sshd kills the listener and every session process it spawned (the server "goes away");
# restart_sshd starts it again on the same port with the same keys, rewriting its config from
# the extra lines and SSHD_SFTP_SUBSYSTEM as they are then.
# shellcheck shell=bash

SSHD_USER=${SSHD_USER:-wardtest}
SSHD_HOST=127.0.0.1
# The test user's password: only ever valid on this loopback server's test user.
_sshd_password='Wardtest-pw-1'

# _sshd_retry CMD...: commands that take /etc/passwd or /etc/shadow locks can fail while a
# concurrent test holds them.
_sshd_retry() {
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    "$@" 2>/dev/null && return 0
    sleep 0.2
  done
  "$@"
}

_sshd_listening() { (exec 3<>"/dev/tcp/$SSHD_HOST/$1") 2>/dev/null; }

start_sshd() {
  require_cmd ssh-keygen runuser
  [[ -x /usr/sbin/sshd ]] || fail "/usr/sbin/sshd is not installed (run scripts/install-deps.sh)"
  ((EUID == 0)) || fail "start_sshd needs root: sshd switches to the test user $SSHD_USER"
  SSHD_DIR=$T/sshd
  mkdir -p "$SSHD_DIR"
  chmod 700 "$SSHD_DIR"
  # The privilege-separation directory lives on tmpfs and the package does not create it.
  mkdir -p /run/sshd
  chmod 0755 /run/sshd
  getent passwd sshd >/dev/null ||
    _sshd_retry useradd --system --home-dir /run/sshd --shell /usr/sbin/nologin sshd
  id "$SSHD_USER" >/dev/null 2>&1 || _sshd_retry useradd -m -s /bin/bash "$SSHD_USER" ||
    id "$SSHD_USER" >/dev/null 2>&1 || fail "cannot create the test user $SSHD_USER"
  echo "$SSHD_USER:$_sshd_password" | _sshd_retry chpasswd ||
    fail "cannot set the password of $SSHD_USER"
  SSHD_PASSWORD_FILE=$SSHD_DIR/password
  printf '%s\n' "$_sshd_password" >"$SSHD_PASSWORD_FILE"
  chmod 600 "$SSHD_PASSWORD_FILE"

  local home
  home=$(getent passwd "$SSHD_USER" | cut -d: -f6)
  [[ -d $home ]] || { mkdir -p "$home" && chown "$SSHD_USER:" "$home" && chmod 755 "$home"; }
  # authorized_keys and the test's files live under the user's home: StrictModes refuses
  # anything below /tmp, and sshd reads the file as the user.
  SSHD_HOME=$(runuser -u "$SSHD_USER" -- mktemp -d "$home/ward-test.XXXXXX")
  defer "rm -rf -- '$SSHD_HOME'"

  local type
  for type in ${SSHD_HOST_KEY_TYPES:-ed25519 ecdsa}; do
    local bits=()
    [[ $type == rsa && -n ${SSHD_RSA_BITS:-} ]] && bits=(-b "$SSHD_RSA_BITS")
    ssh-keygen -q -t "$type" "${bits[@]}" -N '' -C "ward-test-host-$type" -f "$SSHD_DIR/host_$type" ||
      fail "cannot generate the $type host key"
  done
  SSHD_KEY=$SSHD_DIR/client_ed25519
  ssh-keygen -q -t ed25519 -N '' -C ward-test-client -f "$SSHD_KEY"
  install -m 600 -o "$SSHD_USER" "$SSHD_KEY.pub" "$SSHD_HOME/authorized_keys"
  SSHD_HOSTKEY_FP=$(ssh-keygen -l -f "$SSHD_DIR/host_ed25519.pub" | cut -d' ' -f2)

  local attempt
  _sshd_extra=("$@")
  for attempt in 1 2 3 4 5 6 7 8; do
    SSHD_PORT=$((20000 + RANDOM % 40000))
    _sshd_listening "$SSHD_PORT" && continue
    _sshd_write_config
    /usr/sbin/sshd -t -f "$SSHD_DIR/sshd_config" || fail "sshd rejects its test config"
    _sshd_launch && break
    SSHD_PID=''
  done
  [[ -n ${SSHD_PID:-} ]] || fail "sshd did not start; log: $(cat "$SSHD_LOG" 2>/dev/null)"

  SSHD_KNOWN_HOSTS=$SSHD_DIR/known_hosts
  : >"$SSHD_KNOWN_HOSTS"
  for type in ${SSHD_HOST_KEY_TYPES:-ed25519 ecdsa}; do
    printf '[%s]:%s %s\n' "$SSHD_HOST" "$SSHD_PORT" \
      "$(cut -d' ' -f1,2 "$SSHD_DIR/host_$type.pub")" >>"$SSHD_KNOWN_HOSTS"
  done
  export SSHD_HOST SSHD_PORT SSHD_USER SSHD_KEY SSHD_PASSWORD_FILE SSHD_KNOWN_HOSTS \
    SSHD_HOSTKEY_FP SSHD_HOME SSHD_DIR SSHD_LOG SSHD_PID
  defer stop_sshd
}

_sshd_write_config() {
  local line type
  {
    for line in "${_sshd_extra[@]}"; do printf '%s\n' "$line"; done
    printf 'Port %s\nListenAddress %s\n' "$SSHD_PORT" "$SSHD_HOST"
    for type in ${SSHD_HOST_KEY_TYPES:-ed25519 ecdsa}; do
      printf 'HostKey %s\n' "$SSHD_DIR/host_$type"
    done
    cat <<CFG
PidFile none
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $SSHD_HOME/authorized_keys
StrictModes yes
PermitRootLogin no
AllowUsers $SSHD_USER
AllowTcpForwarding yes
PermitOpen any
X11Forwarding no
PrintMotd no
UseDNS no
MaxStartups 100
LogLevel VERBOSE
Subsystem sftp ${SSHD_SFTP_SUBSYSTEM:-internal-sftp}
CFG
  } >"$SSHD_DIR/sshd_config"
}

# Starts sshd in the foreground of a background job (its pid is known at once) and waits until
# it listens; false when it could not bind the port.
_sshd_launch() {
  SSHD_LOG=$SSHD_DIR/sshd.log
  # sshd re-executes itself and so needs its absolute path.
  /usr/sbin/sshd -D -f "$SSHD_DIR/sshd_config" -E "$SSHD_LOG" &
  SSHD_PID=$!
  local i
  for i in $(seq 100); do
    _sshd_listening "$SSHD_PORT" && return 0
    kill -0 "$SSHD_PID" 2>/dev/null || return 1
    sleep 0.05
  done
  kill "$SSHD_PID" 2>/dev/null
  return 1
}

# _sshd_descendants PID: the pids of PID's children, grandchildren, ...
_sshd_descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do
    echo "$child"
    _sshd_descendants "$child"
  done
}

stop_sshd() {
  [[ -n ${SSHD_PID:-} ]] || return 0
  local pids
  pids=$(_sshd_descendants "$SSHD_PID")
  kill -9 "$SSHD_PID" $pids 2>/dev/null || true
  wait "$SSHD_PID" 2>/dev/null || true
  SSHD_PID=''
}

restart_sshd() {
  stop_sshd
  _sshd_write_config
  local i
  for i in $(seq 50); do
    _sshd_launch && { export SSHD_PID; return 0; }
    sleep 0.1
  done
  fail "sshd did not restart on port $SSHD_PORT; log: $(cat "$SSHD_LOG")"
}
