#!/usr/bin/env bash
# A CI step that fails the build when ward finds a problem: an overdue key, a damaged store,
# or an audit trail that does not verify against the checkpoint published by the last run.
#
# The pipeline provides, as masked secrets: WARD_STORE (the store URL) and WARD_KEY (the base64
# content of a key file, added with `ward key add-unlock --new-key-file ci.key`).
# LAST_CHECKPOINT is the line the previous run printed (kept as a CI variable or artifact,
# somewhere the store's writers cannot change it).
set -euo pipefail

ward key status --check --max-age 90d
ward store verify
if [[ -n "${LAST_CHECKPOINT:-}" ]]; then
  ward audit verify --checkpoint "$LAST_CHECKPOINT"
else
  ward audit verify
fi
# Publish the new head for the next run.
ward audit checkpoint | tee checkpoint.txt
