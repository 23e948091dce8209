#!/usr/bin/env bash
# Benchmark: `ward check tls` beside sslscan, nmap's ssl-enum-ciphers and testssl.sh --fast,
# against the same local openssl s_server instances, each with one planted problem. Prints the
# median wall time per tool and target, ward's time as a fraction of sslscan's, and which
# planted problems each tool reported.
#
# Usage: tests/bench/checks.sh [path/to/ward]
#   WARD      ward binary (default: build-bench/ward, then build-release/ward, then build/ward)
#   RUNS      runs per tool and target (default 5; testssl runs once)
#   TESTSSL=0 skip testssl.sh (about 150 s; it runs on one target only)
# Not part of CTest: figures depend on the machine and its load.
set -euo pipefail

source "$(dirname "$0")/common.bash"
RUNS="${RUNS:-5}"
find_ward checks.sh "${1:-}"
need_tools sslscan nmap python3 jq
if [[ ${TESTSSL:-1} == 1 ]] && ! command -v testssl >/dev/null 2>&1; then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
    install -y -qq testssl.sh >/dev/null
fi

# The test fixtures start and stop the servers (lib.bash gives $T, defer and fail).
export WARD_BIN=$ward WARD_SOURCE_DIR=$root
source "$root/tests/integration/lib.bash"
set +e +o pipefail
source "$root/tests/servers/pki.bash"
source "$root/tests/servers/tls.bash"
set -euo pipefail

P=$T/pki
make_pki "$P"
modern='ECDHE+AESGCM:ECDHE+CHACHA20'
# name | planted problem | s_server arguments
start_tls_server good -cert "$P/server.pem" -key "$P/server.key" -cipher "$modern"
start_tls_server legacy -cert "$P/server.pem" -key "$P/server.key" -min_protocol TLSv1 -cipher "$modern:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
start_tls_server nullanon -cert "$P/server.pem" -key "$P/server.key" -tls1_2 \
  -cipher "ECDHE-RSA-AES128-GCM-SHA256:NULL-SHA256:AECDH-AES128-SHA:@SECLEVEL=0"
start_tls_server nofs -cert "$P/server.pem" -key "$P/server.key" -tls1_2 -cipher "ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256"
for name in expired expiring wronghost selfsigned; do
  start_tls_server "$name" -cert "$P/$name.pem" -key "$P/server.key" -cipher "$modern"
done
start_tls_server weakkey -cert "$P/weakkey.pem" -key "$P/weakkey.key" -cipher "$modern:@SECLEVEL=0"
start_tls_server sha1 -cert "$P/sha1.pem" -key "$P/server.key" -cipher "$modern:@SECLEVEL=0"
targets=(good legacy nullanon nofs expired expiring wronghost selfsigned weakkey sha1)
declare -A planted=(
  [good]="-" [legacy]="TLS 1.0/1.1" [nullanon]="NULL + anon suites" [nofs]="no forward secrecy"
  [expired]="expired cert" [expiring]="cert expires in 10 d" [wronghost]="wrong host name"
  [selfsigned]="self-signed cert" [weakkey]="RSA 1024 key" [sha1]="SHA-1 signature")

# How each tool shows each planted problem (extended regex over its plain-text output).
declare -A ward_pat=(
  [legacy]='tls\.protocol\.legacy' [nullanon]='tls\.cipher\.null.*|tls\.cipher\.anon'
  [nofs]='tls\.cipher\.no_forward_secrecy' [expired]='tls\.cert\.expired'
  [expiring]='tls\.cert\.expiring' [wronghost]='tls\.cert\.hostname_mismatch'
  [selfsigned]='tls\.cert\.self_signed' [weakkey]='tls\.cert\.weak_key' [sha1]='tls\.cert\.weak_signature')
declare -A sslscan_pat=(
  [legacy]='TLSv1\.[01] +enabled' [nullanon]='NULL-SHA256|AECDH' [nofs]='Accepted +TLSv1\.2 +128 bits +AES128-GCM-SHA256'
  [expired]='[Ee]xpired' [expiring]='expir(es|ing) soon' [wronghost]='mismatch'
  [selfsigned]='[Ss]elf.signed' [weakkey]='RSA Key Strength: +1024' [sha1]='Signature Algorithm: +sha1')
declare -A nmap_pat=(
  [legacy]='TLSv1\.[01]:' [nullanon]='NULL|anon' [nofs]='TLS_RSA_WITH_AES_128_GCM' [expired]='[Ee]xpired'
  [expiring]='expir' [wronghost]='mismatch' [selfsigned]='[Ss]elf.signed' [weakkey]='rsa 1024'
  [sha1]='sha1|SHA1')
declare -A testssl_pat=(
  [legacy]='TLS 1(\.1)? +offered' [nullanon]='NULL ciphers.*offered|Anonymous NULL.*offered'
  [nofs]='(Forward Secrecy|FS).*not offered|Obsoleted CBC|non-FS' [expired]='expired'
  [expiring]='expires < ' [wronghost]='does not match' [selfsigned]='self signed'
  [weakkey]='RSA 1024' [sha1]='SHA1 with RSA')

median_ms() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# run_timed OUTFILE CMD...: runs CMD RUNS times, prints the median wall time in ms; keeps the
# output of the last run in OUTFILE.
run_timed() {
  local out=$1 i t0
  shift
  for ((i = 0; i < RUNS; i++)); do
    t0=$(date +%s%N)
    "$@" >"$out" 2>&1 || true
    echo $((($(date +%s%N) - t0) / 1000000))
  done | median_ms
}

declare -A time_of found
for name in "${targets[@]}"; do
  port=${TLS_PORT[$name]}
  time_of[ward,$name]=$(run_timed "$T/ward.$name" "$ward" check tls "127.0.0.1:$port" --ca "$P/ca.pem")
  time_of[sslscan,$name]=$(run_timed "$T/sslscan.$name" sslscan --no-colour "127.0.0.1:$port")
  time_of[nmap,$name]=$(run_timed "$T/nmap.$name" nmap -Pn -n -p "$port" --script ssl-enum-ciphers 127.0.0.1)
  for tool in ward sslscan nmap; do
    unset -n pat 2>/dev/null || true
    declare -n pat="${tool}_pat"
    if [[ $name == good ]]; then found[$tool,$name]="-"
    # The fixtures name certificates after their problem (CN=expired): subject lines do not count.
    elif grep -vE '^ *(Subject|Issuer|Altnames|cert_subject|cert_issuer)' "$T/$tool.$name" |
      grep -Eq "${pat[$name]}"; then found[$tool,$name]=yes
    else found[$tool,$name]=no; fi
  done
done

testssl_target=legacy
if [[ ${TESTSSL:-1} == 1 ]]; then
  t0=$(date +%s%N)
  testssl --fast --quiet --color 0 --warnings off "127.0.0.1:${TLS_PORT[$testssl_target]}" \
    >"$T/testssl.$testssl_target" 2>&1 || true
  time_of[testssl,$testssl_target]=$((($(date +%s%N) - t0) / 1000000))
  grep -Eq "${testssl_pat[$testssl_target]}" "$T/testssl.$testssl_target" &&
    found[testssl,$testssl_target]=yes || found[testssl,$testssl_target]=no
fi

echo
echo "## wall time, median of $RUNS runs (ms); ward = ward check tls (process start included)"
printf '| %-10s | %-22s | %7s | %8s | %7s | %8s | %11s |\n' target planted ward sslscan nmap testssl "ward/sslscan"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------ ------------------------ --------- ---------- --------- ---------- -------------
for name in "${targets[@]}"; do
  ratio=$(awk -v a="${time_of[ward,$name]}" -v b="${time_of[sslscan,$name]}" 'BEGIN {printf "%.3f", a / b}')
  printf '| %-10s | %-22s | %7s | %8s | %7s | %8s | %11s |\n' "$name" "${planted[$name]}" \
    "${time_of[ward,$name]}" "${time_of[sslscan,$name]}" "${time_of[nmap,$name]}" \
    "${time_of[testssl,$name]:--}" "$ratio"
done
echo
echo "## planted problem reported? (yes/no; testssl.sh --fast ran on '$testssl_target' only)"
printf '| %-10s | %-22s | %4s | %7s | %4s | %7s |\n' target planted ward sslscan nmap testssl
printf '|%s|%s|%s|%s|%s|%s|\n' ------------ ------------------------ ------ --------- ------ ---------
for name in "${targets[@]}"; do
  printf '| %-10s | %-22s | %4s | %7s | %4s | %7s |\n' "$name" "${planted[$name]}" \
    "${found[ward,$name]}" "${found[sslscan,$name]}" "${found[nmap,$name]}" "${found[testssl,$name]:--}"
done
[[ ${KEEP:-0} == 1 ]] && { cp -r "$T" "${T}.kept"; echo "outputs kept in ${T}.kept"; }
exit 0
