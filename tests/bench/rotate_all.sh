#!/usr/bin/env bash
# Benchmark: `ward cred rotate --all` over N PostgreSQL roles (default 200) on a loopback server
# with TLS (verify-full), sequential (--parallel 1) and parallel (--parallel 8), beside the
# anchor an operator would otherwise script: a psql loop that changes each role's password with
# ALTER ROLE over the same verified TLS and then logs in with the new one (what ward verifies).
# Every run is checked: afterwards every role logs in with the password ward stores.
#
# Usage: tests/bench/rotate_all.sh [path/to/ward]
#   WARD   ward binary (default: build-bench/ward, then build-release/ward, then build/ward)
#   ROLES  roles to rotate (default 200)
# Not part of CTest: figures depend on the machine and its load (`uptime` is printed).
set -euo pipefail

source "$(dirname "$0")/common.bash"
ROLES="${ROLES:-200}"
find_ward rotate_all.sh "${1:-}"
need_tools jq

export WARD_BIN=$ward WARD_SOURCE_DIR=$root
source "$root/tests/integration/lib.bash"
set +e +o pipefail
source "$root/tests/servers/pki.bash"
source "$root/tests/servers/postgres.bash"
set -euo pipefail

make_pki "$T/pki"
start_postgres "$T/pki"
new_store >/dev/null

echo "creating $ROLES roles and credentials..." >&2
{
  for i in $(seq "$ROLES"); do
    printf "CREATE ROLE bench_%03d LOGIN PASSWORD 'Start-pw-%03d!Zq';\n" "$i" "$i"
  done
} | pg_psql >/dev/null
for i in $(seq "$ROLES"); do
  printf 'Start-pw-%03d!Zq' "$i" | "$ward" cred add "bench/$i" --type postgres \
    --field host=localhost --field "port=$PG_PORT" --field "user=$(printf 'bench_%03d' "$i")" \
    --field dbname=postgres --field-file "sslrootcert=$T/pki/ca.pem" --secret-stdin \
    --allow-weak >/dev/null
done

conninfo() { echo "host=localhost hostaddr=127.0.0.1 port=$PG_PORT dbname=postgres sslmode=verify-full sslrootcert=$T/pki/ca.pem gssencmode=disable user=$1"; }

# Every role must log in with the password ward holds now.
check_all() {
  local i failed=0
  for i in $(seq "$ROLES"); do
    "$ward" cred exec "bench/$i" -- psql "$(conninfo "$(printf 'bench_%03d' "$i")")" -Atc 'select 1' \
      >/dev/null 2>&1 || failed=$((failed + 1))
  done
  ((failed == 0)) || { echo "after $1: $failed role(s) do not log in with the stored password" >&2; exit 1; }
}

seconds() { # CMD...: wall time in seconds (3 decimals)
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l | xargs printf '%.3f'
}

ward_all() { "$ward" --json cred rotate --all --type postgres --parallel "$1" >"$T/out.json" ||
  { jq -c '.results[] | select(.ok | not)' "$T/out.json" >&2; exit 1; }; }

# The anchor: the loop an operator writes with psql, one role after another — log in with the
# current password, ALTER ROLE to a new one, log in with the new one. It keeps its passwords in
# a file (ward keeps them encrypted, with a pending version, an audit event per role).
anchor_pw=$T/anchor.pw
for i in $(seq "$ROLES"); do printf 'Start-pw-%03d!Zq\n' "$i"; done >"$anchor_pw"
psql_loop() {
  local i role old new
  : >"$anchor_pw.next"
  for i in $(seq "$ROLES"); do
    role=$(printf 'bench_a%03d' "$i")
    old=$(sed -n "${i}p" "$anchor_pw")
    new=$(openssl rand -base64 24)
    PGPASSWORD=$old psql "$(conninfo "$role")" -qAtc "ALTER ROLE $role PASSWORD '$new'" >/dev/null
    PGPASSWORD=$new psql "$(conninfo "$role")" -Atc 'select 1' >/dev/null
    printf '%s\n' "$new" >>"$anchor_pw.next"
  done
  mv "$anchor_pw.next" "$anchor_pw"
}
{
  for i in $(seq "$ROLES"); do
    printf "CREATE ROLE bench_a%03d LOGIN PASSWORD 'Start-pw-%03d!Zq';\n" "$i" "$i"
  done
} | pg_psql >/dev/null

echo "load before: $(uptime)"
t_anchor=$(seconds psql_loop)
t_seq=$(seconds ward_all 1)
check_all "--parallel 1"
t_par=$(seconds ward_all 8)
check_all "--parallel 8"
echo "load after:  $(uptime)"
printf '%-40s %8s s\n' "psql loop (ALTER ROLE + login), $ROLES roles" "$t_anchor" \
  "ward cred rotate --all --parallel 1" "$t_seq" \
  "ward cred rotate --all --parallel 8" "$t_par"
printf 'ward --parallel 1 / psql loop: %.2f\n' "$(echo "$t_seq / $t_anchor" | bc -l)"
printf 'ward --parallel 8 / psql loop: %.2f\n' "$(echo "$t_par / $t_anchor" | bc -l)"
printf 'speed-up of --parallel 8 over 1: %.2fx\n' "$(echo "$t_seq / $t_par" | bc -l)"
