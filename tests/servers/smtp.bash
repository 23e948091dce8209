# An SMTP server (aiosmtpd) on 127.0.0.1 for tests. Source after tests/integration/lib.bash,
# then
#
#   start_smtp NAME CERT KEY     # offers STARTTLS with CERT/KEY
#   start_smtp NAME              # no STARTTLS
#
# Sets SMTP_PORT[NAME]. Stopped when the test exits. Debian's python3-aiosmtpd lives in the
# system Python, so it is run with /usr/bin/python3 whatever python3 is first on PATH.
# shellcheck shell=bash

source "$WARD_SOURCE_DIR/tests/servers/ports.bash"

declare -gA SMTP_PORT=()

start_smtp() {
  local name=$1 cert=${2:-} key=${3:-} port pid
  /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
    fail "python3-aiosmtpd is not installed (run scripts/install-deps.sh)"
  port=$(free_port)
  local tls=()
  [[ -n $cert ]] && tls=(--tlscert "$cert" --tlskey "$key" --no-requiretls)
  /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Sink "${tls[@]}" \
    </dev/null >"$T/smtp-$name.log" 2>&1 &
  pid=$!
  defer "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  wait_port "$port" || fail "aiosmtpd '$name' did not start: $(cat "$T/smtp-$name.log")"
  SMTP_PORT[$name]=$port
}
