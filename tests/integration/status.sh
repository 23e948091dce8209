#!/usr/bin/env bash
# ward status: one gate over what is due or overdue, judged by the policy module, on stores
# whose credentials and keys were written by real ward runs (faketime moves their clocks back).
# Exit codes: 0 nothing due, 1 overdue or due within --due; `key status --check` agrees.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd jq faketime

past() { env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "-$1" "${@:2}"; }
secret() { printf 'Vq8#rT2m!Lz5%s-Kp9' "$1"; }

new_store

# Nothing stored but a fresh key: nothing is due.
expect_exit 0 "$WARD" status
assert_contains "$OUT" "0 overdue, 0 due within 14d, 1 ok"
expect_exit 0 "$WARD" --json status
assert_eq "$(jq -r .schema <<<"$OUT")" "ward.status/v1"
assert_eq "$(jq -r .ok <<<"$OUT")" "true"
assert_eq "$(jq -r '.items[0].kind + " " + .items[0].subject + " " + .items[0].state' <<<"$OUT")" \
  "key KEK v1 ok"

# A credential rotated every 90 days, written today: ok. One without a policy: ok, no due date.
expect_exit 0 "$WARD" cred add fresh --type generic --secret-stdin --rotate-every 90d < <(secret a)
expect_exit 0 "$WARD" cred add adhoc --type generic --secret-stdin < <(secret b)
expect_exit 0 "$WARD" --json status
assert_eq "$(jq -r '.counts.ok' <<<"$OUT")" "3"
assert_eq "$(jq -r '.items[] | select(.subject=="adhoc") | .due_at' <<<"$OUT")" "null"

# Written 80 days ago with a 90-day policy: due in 10 days, inside the default 14d window.
expect_exit 0 past 80d "$WARD" cred add soon --type generic --secret-stdin --rotate-every 90d \
  < <(secret c)
expect_exit 1 "$WARD" status
assert_contains "$OUT" "soon"
assert_contains "$OUT" "0 overdue, 1 due within 14d, 3 ok"
assert_contains "$ERR" "ward: error: 0 item(s) overdue, 1 due within 14d"
# A narrower window lets it pass; --due 0s judges only what is overdue.
expect_exit 0 "$WARD" status --due 5d
expect_exit 0 "$WARD" status --due 0s

# Written 10 days ago with a 7-day policy: overdue, and listed first (worst first).
expect_exit 0 past 10d "$WARD" cred add stale --type generic --secret-stdin --rotate-every 7d \
  < <(secret d)
expect_exit 1 "$WARD" --json status --due 0s
assert_eq "$(jq -r '.ok' <<<"$OUT")" "false"
assert_eq "$(jq -r '.counts.overdue' <<<"$OUT")" "1"
assert_eq "$(jq -r '.items[0].subject + " " + .items[0].state + " " + .items[0].severity' <<<"$OUT")" \
  "stale overdue high"
assert_contains "$(jq -r '.items[0].message' <<<"$OUT")" "rotation overdue"
expect_exit 1 "$WARD" status
first=$(sed -n 2p <<<"$OUT")  # the line after the header
assert_contains "$first" "overdue"
assert_contains "$first" "stale"

# Rotating the overdue one restarts its clock (due again in 7 days, inside 14d); revoking the
# due one removes it from judgement.
expect_exit 0 "$WARD" cred rotate stale --secret-stdin < <(secret e)
expect_exit 0 "$WARD" cred revoke soon
expect_exit 1 "$WARD" status
assert_contains "$OUT" "0 overdue, 1 due within 14d, 3 ok"
assert_contains "$OUT" "rotation due"
expect_exit 0 "$WARD" status --due 6d
assert_contains "$OUT" "0 overdue, 0 due within 6d"

# A namespace of its own: --ns judges it alone; without --ns every namespace is judged.
expect_exit 0 "$WARD" ns create tenant
expect_exit 0 past 30d "$WARD" --ns tenant cred add t-old --type generic --secret-stdin \
  --rotate-every 14d < <(secret f)
expect_exit 0 "$WARD" --ns default status --due 6d
expect_exit 1 "$WARD" --json status --due 6d
assert_eq "$(jq -r '[.items[] | select(.state!="ok")] | .[0].namespace + "/" + .[0].subject' <<<"$OUT")" \
  "tenant/t-old"

# Bad input: a malformed window is a usage error.
expect_exit 2 "$WARD" status --due soon
assert_contains "$ERR" "ward: error:"

# A store whose key was made 100 days ago (policy 90d): the key is overdue, for `status` and
# for `key status --check` alike.
old_store=$T/old-store
expect_exit 0 past 100d "$WARD" --store "file://$old_store" init --key-file "$T/old.key"
expect_exit 1 "$WARD" --store "file://$old_store" --key-file "$T/old.key" --json status
assert_eq "$(jq -r '.items[0].kind + " " + .items[0].state' <<<"$OUT")" "key overdue"
expect_exit 1 "$WARD" --store "file://$old_store" --key-file "$T/old.key" key status --check
assert_contains "$OUT" "rotation overdue"
# Against a 120-day policy the same key is not overdue yet.
expect_exit 0 "$WARD" --store "file://$old_store" --key-file "$T/old.key" key status --check \
  --max-age 120d
# After a rotation the new key is current and nothing is due.
expect_exit 0 "$WARD" --store "file://$old_store" --key-file "$T/old.key" key rotate
expect_exit 0 "$WARD" --store "file://$old_store" --key-file "$T/old.key" status
expect_exit 0 "$WARD" --store "file://$old_store" --key-file "$T/old.key" key status --check

echo "status: ok"
