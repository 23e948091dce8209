#!/usr/bin/env bash
# Finding ids are a contract: every id the check code can emit is in ward-check(1)'s table, the
# table names no id the code lacks, and the check tests name every id (they assert it is produced
# by a server that has the problem, and absent from one that does not).
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
SRC=$WARD_SOURCE_DIR

mapfile -t in_code < <(grep -ohE '"(tls|http)\.[a-z0-9_]+\.[a-z0-9_]+"' "$SRC"/src/check/*.cpp |
  tr -d '"' | sort -u)
mapfile -t in_man < <(grep -oE '^(tls|http)\.[a-z0-9_]+\.[a-z0-9_]+' "$SRC/man/ward-check.1" | sort -u)
((${#in_code[@]} > 20)) || fail "found only ${#in_code[@]} finding ids in src/check"

# Membership without a pipe into `grep -q`: under pipefail, grep exiting at the first match can
# kill the writer with SIGPIPE and fail the check at random.
declare -A man_ids=() code_ids=()
for id in "${in_man[@]}"; do man_ids[$id]=1; done
for id in "${in_code[@]}"; do code_ids[$id]=1; done
problems=()
for id in "${in_code[@]}"; do
  [[ -n ${man_ids[$id]:-} ]] || problems+=("$id is emitted but not in man/ward-check.1")
done
for id in "${in_man[@]}"; do
  [[ -n ${code_ids[$id]:-} ]] || problems+=("$id is documented but never emitted")
done
# Ids no loopback server can produce: a failure other than refused/timeout/unresolved needs a
# network that is not there (no route to host).
untestable=(tls.connect.failed)
for id in "${in_code[@]}"; do
  [[ " ${untestable[*]} " == *" $id "* ]] && continue
  grep -qF -- "$id" "$SRC"/tests/integration/check_tls.sh "$SRC"/tests/integration/check_starttls.sh \
    "$SRC"/tests/integration/check_http.sh || problems+=("$id is not named by any check test")
done
if ((${#problems[@]})); then
  printf 'problem: %s\n' "${problems[@]}" >&2
  fail "${#problems[@]} finding id problem(s)"
fi
echo "finding ids: ${#in_code[@]} in the code, the man page and the tests"
