#!/usr/bin/env bash
# Finding ids are a contract: every id the check code can emit is in ward-check(1)'s table, the
# table names no id the code lacks, and the check tests name every id. For ssh., source. and
# http. ids the tests must do both halves of what the issue asks: assert that a server with the
# problem produces the id (a line naming it with has/assert_contains/present/check_error), and
# that it is absent where the problem is not (a line with lacks/assert_not_contains/absent).
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
SRC=$WARD_SOURCE_DIR
id_re='(tls|http|ssh|source)\.[a-z0-9_]+(\.[a-z0-9_]+)?'

mapfile -t in_code < <({
  grep -ohE "\"$id_re\"" "$SRC"/src/check/*.cpp | tr -d '"'
  # ssh.<failure>: built from net::failure_id() for a target that cannot be read at all.
  printf 'ssh.%s\n' unresolved refused unreachable timeout closed io
} | grep -vE '^ssh\.none$' | sort -u)
mapfile -t in_man < <(grep -oE "^$id_re" "$SRC/man/ward-check.1" | sort -u)
((${#in_code[@]} > 60)) || fail "found only ${#in_code[@]} finding ids in src/check"

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

# Ids no loopback server can produce, and why:
#   tls.connect.failed, ssh.unreachable: a failure other than refused/timeout/unresolved needs
#     a network that is not there (no route to host).
untestable=(tls.connect.failed ssh.unreachable)
tests=()
for file in "$SRC"/tests/integration/check_*.sh; do
  [[ $file == */check_finding_ids.sh ]] || tests+=("$file")
done
mapfile -t lines < <(cat "${tests[@]}")
produced_re='(^|[^a-z_])(has|assert_contains|present|produces|check_error)([^a-z_]|$)'
absent_re='(^|[^a-z_])(lacks|assert_not_contains|absent|none)([^a-z_]|$)'
for id in "${in_code[@]}"; do
  [[ " ${untestable[*]} " == *" $id "* ]] && continue
  named=0 produced=0 absent=0
  for line in "${lines[@]}"; do
    # The id as a whole word: ssh.hostkey.weak must not count for ssh.hostkey.weak_key.
    [[ $line =~ (^|[^a-z0-9_.])${id//./\\.}([^a-z0-9_.]|$) ]] || continue
    named=1
    [[ $line =~ $produced_re ]] && produced=1
    [[ $line =~ $absent_re ]] && absent=1
  done
  ((named)) || { problems+=("$id is not named by any check test"); continue; }
  [[ $id == tls.* ]] && continue
  ((produced)) || problems+=("$id: no test asserts that a server produces it")
  ((absent)) || problems+=("$id: no test asserts that it is absent where the problem is not")
done
if ((${#problems[@]})); then
  printf 'problem: %s\n' "${problems[@]}" >&2
  fail "${#problems[@]} finding id problem(s)"
fi
echo "finding ids: ${#in_code[@]} in the code, the man page and the tests"
