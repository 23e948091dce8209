#!/usr/bin/env bash
# Benchmark: `ward check ssh` beside ssh-audit (Debian's package) against the same local sshd
# instances (a default one and one with weak algorithms planted), with the median wall time of
# each and which planted problems each tool reported; then `ward check all --parallel 32` over
# 200 stored ssh credentials pointing at the local sshd (the issue's aim: under 5 s).
#
# Usage: tests/bench/checks_ssh.sh [path/to/ward]
#   WARD   ward binary (default: build-bench/ward, then build-release/ward, then build/ward)
#   RUNS   runs per tool and target (default 5)
#   SOURCES number of stored sources for `check all` (default 200)
#   AUDIT_ALL=0 skips ssh-audit over the same number of endpoints (the anchor for check all)
# Not part of CTest: figures depend on the machine and its load.
set -euo pipefail

source "$(dirname "$0")/common.bash"
RUNS="${RUNS:-5}"
SOURCES="${SOURCES:-200}"
find_ward checks_ssh.sh "${1:-}"
need_tools ssh-audit jq python3

export WARD_BIN=$ward WARD_SOURCE_DIR=$root
source "$root/tests/integration/lib.bash"
set +e +o pipefail
source "$root/tests/servers/sshd.bash"
set -euo pipefail

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
elapsed() { # CMD... -> seconds on stdout
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

declare -A ward_time audit_time ward_found audit_found
bench_target() { # NAME
  local name=$1 i w=() a=()
  for ((i = 0; i < RUNS; i++)); do
    w+=("$(elapsed "$ward" check ssh "127.0.0.1:$SSHD_PORT" --known-hosts "$SSHD_KNOWN_HOSTS")")
    a+=("$(elapsed ssh-audit -p "$SSHD_PORT" 127.0.0.1)")
  done
  ward_time[$name]=$(printf '%s\n' "${w[@]}" | median)
  audit_time[$name]=$(printf '%s\n' "${a[@]}" | median)
  "$ward" --json check ssh "127.0.0.1:$SSHD_PORT" --known-hosts "$SSHD_KNOWN_HOSTS" \
    >"$T/$name.ward.json" 2>/dev/null || true
  ssh-audit -p "$SSHD_PORT" 127.0.0.1 >"$T/$name.audit.txt" 2>&1 || true
}

start_sshd
bench_target default
stop_sshd
rm -rf -- "$SSHD_DIR"
SSHD_HOST_KEY_TYPES="ed25519 rsa" start_sshd \
  "KexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1" \
  "Ciphers +aes128-cbc,3des-cbc" "MACs +hmac-sha1-96,hmac-md5" "HostKeyAlgorithms +ssh-rsa" \
  "MaxStartups 256"  # check all below opens 64 handshakes at once
bench_target weak

printf '\n%-8s %10s %10s %8s\n' target ward_s ssh-audit_s ratio
for name in default weak; do
  printf '%-8s %10.3f %10.3f %8.2f\n' "$name" "${ward_time[$name]}" "${audit_time[$name]}" \
    "$(echo "${ward_time[$name]} / ${audit_time[$name]}" | bc -l)"
done

# Planted problems on the weak server: who reported what.
printf '\n%-34s %-6s %-9s\n' "planted (weak server)" ward ssh-audit
row() { # LABEL WARD_ID AUDIT_PATTERN
  local w=no a=no
  jq -e --arg id "$2" '[.results[].findings[].id] | index($id)' "$T/weak.ward.json" >/dev/null && w=yes
  grep -Eq "$3" "$T/weak.audit.txt" && a=yes
  printf '%-34s %-6s %-9s\n' "$1" "$w" "$a"
}
row "diffie-hellman-group1-sha1" ssh.kex.weak 'group1-sha1.*(fail|remove)'
row "3des-cbc / CBC ciphers" ssh.cipher.weak '3des-cbc.*(fail|remove)'
row "hmac-md5 / hmac-sha1-96" ssh.mac.weak 'hmac-md5.*(fail|remove)'
row "ssh-rsa (SHA-1) host key" ssh.hostkey.weak 'ssh-rsa.*(fail|remove)'
row "password authentication" ssh.auth.password 'password'

# check all over many stored sources, all pointing at the local sshd.
new_store >/dev/null
for ((i = 0; i < SOURCES; i++)); do
  "$ward" cred add "host$i" --type ssh --field host=127.0.0.1 --field "port=$SSHD_PORT" \
    --field "user=$SSHD_USER" --field "hostkey=$SSHD_HOSTKEY_FP" \
    --secret-field private_key --secret-file "$SSHD_KEY" >/dev/null
done
printf '\nload average before check all: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
# CPU seconds spent by sshd's connection processes so far: the listener reaps them, so their
# time accumulates in its cutime + cstime (fields 16 and 17 of /proc/PID/stat).
sshd_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($16 + $17) / hz}' "/proc/$SSHD_PID/stat"; }
sshd_before=$(sshd_cpu)
start=$(date +%s.%N)
# `times` in the subshell prints its children's (ward's) user and system time on its second line.
ward_times=$( ("$ward" --json check all --parallel 32 --fail-on critical >"$T/all.json" 2>/dev/null || true; times) | tail -1)
end=$(date +%s.%N)
all_s=$(echo "$end - $start" | bc -l)
sshd_s=$(echo "$(sshd_cpu) - $sshd_before" | bc -l)
to_seconds() { awk '{ m = $1; sub(/m.*/, "", m); s = $1; sub(/^[0-9]+m/, "", s); sub(/s$/, "", s); print m * 60 + s }'; }
ward_cpu=$(echo "$(awk '{print $1}' <<<"$ward_times" | to_seconds) + $(awk '{print $2}' <<<"$ward_times" | to_seconds)" | bc -l)
printf 'check all: %d sources, --parallel 32: %.2f s (%d authenticated)\n' "$SOURCES" \
  "$all_s" "$(jq '[.results[] | select(.facts.authenticated == true)] | length' "$T/all.json")"
# On a small machine the server's side of 200 logins costs more CPU than ward's: the split says
# which side the wall time is spent on.
printf '  CPU: ward %.2f s, sshd %.2f s (%.1f ms per login on the server side; %d cores)\n' \
  "$ward_cpu" "$sshd_s" "$(echo "$sshd_s * 1000 / $SOURCES" | bc -l)" "$(nproc)"
# The anchor in the same run: ssh-audit over as many endpoints, 32 at a time (it only reads
# algorithms and host keys; it does not log in). AUDIT_ALL=0 skips it.
if [[ ${AUDIT_ALL:-1} != 0 ]]; then
  start=$(date +%s.%N)
  seq "$SOURCES" | xargs -P 32 -I{} ssh-audit -p "$SSHD_PORT" 127.0.0.1 >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  audit_s=$(echo "$end - $start" | bc -l)
  printf 'ssh-audit: %d endpoints, 32 at a time: %.2f s; ward/ssh-audit %.3f\n' "$SOURCES" \
    "$audit_s" "$(echo "$all_s / $audit_s" | bc -l)"
fi
printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
