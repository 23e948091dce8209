#!/usr/bin/env bash
# Nightly rotation from cron, with nobody watching:
#   15 3 * * *  WARD_KEY_FILE=/etc/ward/cron.key /usr/local/lib/ward/rotate-cron.sh
# Rotates the namespace key every run it is overdue, rewraps, and rotates the generated
# credentials given as arguments. Exit status is ward's (5 means another writer raced us:
# the next run retries).
set -euo pipefail

if ! ward -q key status --check --max-age 90d >/dev/null; then
  ward key rotate
  ward key rewrap
fi
for name in "$@"; do
  ward cred rotate "$name"   # a generated credential is rotated with the policy it was made with
done
ward audit checkpoint >>/var/log/ward-checkpoints.log
