#!/usr/bin/env bash
# Races on put-if-absent: concurrent `cred rotate` of one credential end with exactly one new
# version per successful process, the losers exit 5 (never another code), every winner's secret
# is stored at the version it reports; concurrent `cred add` of one name: one wins, one gets 5.
# The store and the audit chain (appended to by every racer) verify at the end.
# backends: file sftp s3
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd python3

new_store
json_get() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$OUT" "$1"; }
# current_version NAME (a grep, not python: python's start-up would dominate the rounds)
current_version() {
  expect_exit 0 "$WARD" --json cred show "$1"
  local v
  v=$(grep -o '"current_version": *[0-9][0-9]*' <<<"$OUT" | grep -o '[0-9]*$')
  [[ $v =~ ^[0-9]+$ ]] || fail "no current_version in: $OUT"
  printf '%s' "$v"
}
R=$T/race
mkdir -p "$R"

# race N CMD...: start N copies of "ward CMD..." at once (copy i reads $R/in.i on stdin and
# writes $R/out.i, $R/err.i); leave their exit statuses in RCS.
race() {
  local n=$1 i
  shift
  local -a pids=()
  for ((i = 1; i <= n; i++)); do
    "$WARD" "$@" <"$R/in.$i" >"$R/out.$i" 2>"$R/err.$i" &
    pids+=($!)
  done
  RCS=()
  for ((i = 0; i < n; i++)); do
    local rc=0
    wait "${pids[i]}" || rc=$?
    RCS+=("$rc")
  done
}

# --- rotate races: 2 racers for 20 rounds, then 3 racers for 6 rounds ------------------------
expect_exit 0 "$WARD" cred add X --type generic --generate
total_wins=0 total_losses=0
for racers in 2 3; do
  rounds=$((racers == 2 ? 20 : 6))
  # A remote store answers in milliseconds, not microseconds: fewer rounds keep the test short.
  [[ $WARD_TEST_BACKEND == file ]] || rounds=$((rounds / 2))
  # Under the sanitizers (WARD_FAULT_QUICK=1) a few rounds reach every path; the gcc suite
  # runs them all.
  [[ ${WARD_FAULT_QUICK:-0} != 1 ]] || rounds=$(((rounds + 3) / 4))
  for ((r = 1; r <= rounds; r++)); do
    before=$(current_version X)
    for ((i = 1; i <= racers; i++)); do
      printf 'Race-%s-%s-%s-%s-Kq8#pZ3!' "$racers" "$r" "$i" "$RANDOM" >"$R/in.$i"
    done
    race "$racers" cred rotate X --secret-stdin
    wins=0
    declare -A seen=()
    for ((i = 1; i <= racers; i++)); do
      rc=${RCS[i - 1]}
      case $rc in
      0)
        wins=$((wins + 1))
        # The winner's reported version holds exactly the winner's secret.
        v=$(sed -n 's/.*version \([0-9][0-9]*\).*/\1/p' "$R/out.$i" | head -1)
        [[ -n $v ]] || fail "round $r: a winner did not report its version: $(cat "$R/out.$i")"
        [[ -z ${seen[$v]:-} ]] || fail "round $r: two winners report version $v"
        seen[$v]=1
        ((v > before)) || fail "round $r: winner reports version $v, not after $before"
        expect_exit 0 "$WARD" cred get X --version "$v"
        assert_eq "$OUT" "$(cat "$R/in.$i")"
        ;;
      5)
        total_losses=$((total_losses + 1))
        [[ -s $R/err.$i ]] || fail "round $r: a loser exited 5 without a message"
        ;;
      *)
        printf -- '--- stdout:\n%s\n--- stderr:\n%s\n' "$(cat "$R/out.$i")" "$(cat "$R/err.$i")" >&2
        fail "round $r: a racing rotate exited $rc (want 0 or 5)"
        ;;
      esac
    done
    unset seen
    ((wins >= 1)) || fail "round $r: every racer lost (${RCS[*]}); nobody else was writing"
    total_wins=$((total_wins + wins))
    after=$(current_version X)
    assert_eq "$after" "$((before + wins))"
    # The current secret is one of the winners'.
    expect_exit 0 "$WARD" cred get X --version "$after"
    cur=$OUT
    expect_exit 0 "$WARD" cred get X
    assert_eq "$OUT" "$cur"
  done
done
# Versions are contiguous: 1 .. 1+wins, no gaps and no extras.
expect_exit 0 "$WARD" --json cred show X
assert_eq "$(json_get 'd["credential"]["versions"] == list(range(1, len(d["credential"]["versions"]) + 1))')" "True"
assert_eq "$(json_get 'd["credential"]["current_version"]')" "$((1 + total_wins))"
echo "rotate races: $total_wins wins, $total_losses losses" >&2

# --- add races: 2 racers adding the same name, 10 rounds (3 under WARD_FAULT_QUICK=1) ------
add_rounds=10
[[ ${WARD_FAULT_QUICK:-0} != 1 ]] || add_rounds=3
for ((r = 1; r <= add_rounds; r++)); do
  for i in 1 2; do printf 'Add-%s-%s-%s-Vw5!mR7#' "$r" "$i" "$RANDOM" >"$R/in.$i"; done
  race 2 cred add "new-$r" --type generic --secret-stdin
  rcs="${RCS[*]}"
  [[ $rcs == "0 5" || $rcs == "5 0" ]] || {
    cat "$R"/err.* >&2
    fail "round $r: racing adds exited '$rcs' (want one 0 and one 5)"
  }
  winner=1
  [[ ${RCS[0]} == 0 ]] || winner=2
  expect_exit 0 "$WARD" cred get "new-$r"
  assert_eq "$OUT" "$(cat "$R/in.$winner")"
  assert_eq "$(current_version "new-$r")" "1"
done

# --- mixed writers on one namespace: adds of different names all succeed --------------------
for i in 1 2 3 4; do : >"$R/in.$i"; done
pids=()
for i in 1 2 3 4; do
  "$WARD" cred add "parallel-$i" --type generic --generate >"$R/out.$i" 2>"$R/err.$i" </dev/null &
  pids+=($!)
done
for i in 0 1 2 3; do
  rc=0
  wait "${pids[i]}" || rc=$?
  # Different credentials never conflict with each other (the audit append retries).
  ((rc == 0)) || fail "cred add parallel-$((i + 1)) exited $rc: $(cat "$R/err.$((i + 1))")"
done
expect_exit 0 "$WARD" --json cred list
for i in 1 2 3 4; do
  assert_eq "$(json_get "len([c for c in d['credentials'] if c['name']=='parallel-$i'])")" "1"
done

# --- ns create races: one namespace, one winner --------------------------------------------
for ((r = 1; r <= 4; r++)); do
  for i in 1 2; do : >"$R/in.$i"; done
  race 2 ns create "tenant-$r"
  rcs="${RCS[*]}"
  [[ $rcs == "0 5" || $rcs == "5 0" ]] || fail "round $r: racing ns creates exited '$rcs' (want 0 and 5)"
  expect_exit 0 "$WARD" --ns "tenant-$r" cred add c --type generic --generate
  expect_exit 0 "$WARD" --ns "tenant-$r" cred get c
done

# --- key rotate races: each success adds exactly one key version -----------------------------
expect_exit 0 "$WARD" --json key status
kv=$(json_get 'd["current_version"]')
for ((r = 1; r <= 4; r++)); do
  for i in 1 2; do : >"$R/in.$i"; done
  race 2 key rotate
  wins=0
  for rc in "${RCS[@]}"; do
    case $rc in 0) wins=$((wins + 1)) ;; 5) ;; *) fail "round $r: racing key rotate exited $rc" ;; esac
  done
  ((wins >= 1)) || fail "round $r: both key rotates lost"
  expect_exit 0 "$WARD" --json key status
  assert_eq "$(json_get 'd["current_version"]')" "$((kv + wins))"
  assert_eq "$(json_get 'sorted(v["version"] for v in d["kek_versions"])[-1]')" "$((kv + wins))"
  kv=$((kv + wins))
done
expect_exit 0 "$WARD" key rewrap
expect_exit 0 "$WARD" cred get X

# --- the end state verifies ------------------------------------------------------------------
expect_exit 0 "$WARD" store verify
expect_exit 0 "$WARD" audit verify
# Every racer's attempt is audited: one cred.rotate event per attempt, losers included.
expect_exit 0 "$WARD" --json audit log --action cred.rotate
assert_eq "$(json_get 'len(d["events"])')" "$((total_wins + total_losses))"

echo "concurrency: ok"
