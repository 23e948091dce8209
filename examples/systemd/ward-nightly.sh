#!/usr/bin/env bash
# Nightly housekeeping of one ward store, run by ward-nightly.service:
#   backup of the application database, retention (7 daily, 4 weekly), verification, the
#   redaction jobs, and the day's audit report kept in the store and sent to the evidence
#   endpoint. Every step is audited by ward itself; this script only sequences them.
# Configuration comes from /etc/ward/nightly.env (see ward-nightly.service):
#   WARD_STORE, WARD_KEY_FILE, DB_CRED (the stored postgres credential of the database),
#   REDACT_JOBS (directory of redaction job specs),
#   REPORT_URL (https://…), REPORT_CRED (stored credential authenticating the POST).
set -euo pipefail

# pg_dump gets the credential's PG* environment from `cred exec`, and nothing else sees it.
ward backup create --source "pg:${DB_CRED}" \
  --from-command "ward cred exec ${DB_CRED} -- pg_dump --format=custom"
ward backup prune --keep-daily 7 --keep-weekly 4
ward backup verify --read-data-subset 10%

if [[ -d ${REDACT_JOBS:-} ]]; then
  for job in "$REDACT_JOBS"/*.json; do
    [[ -e $job ]] || continue
    ward redact run "$job"
  done
fi

mkdir -p /var/lib/ward/reports
day=$(date -u +%F)
ward audit report --format html --out "/var/lib/ward/reports/$day.html"
if [[ -n ${REPORT_URL:-} ]]; then
  ward audit report --format json --out "$REPORT_URL" --auth-cred "$REPORT_CRED"
fi

# Last, so that a failure above is still reported: exit 1 when anything is due within 14 days
# (systemd marks the run failed; OnFailure= can page someone).
ward status --due 14d
