#!/usr/bin/env bash
# Nightly audit from cron, e.g. `15 6 * * * /opt/models/loan-default/cron.sh`.
# Exit codes (docs/exit-codes.md): 0 pass, 1 gate failed, 2 could not audit, 3 kill switch tripped, 4 internal error.
set -uo pipefail
cd /opt/models/loan-default
day=$(date -d yesterday +%F)
mlaudit audit --contract contract.yaml --reference training.profile --current "logs/day=$day/" \
  --outcomes outcomes/ --chunk 1h --json "reports/$day.json" --html "reports/$day.html" \
  --audit-log reports/audits.jsonl --quiet
code=$?
case $code in
  0) ;;                                                     # nothing to do
  1) mail -s "loan-default audit failed ($day)" credit-ml@example.com < "reports/$day.json" ;;
  3) # the contract says: take the model out of the loop
     curl -fsS -X POST https://flags.example.com/loan-default/disable  # switch to the fallback
     mail -s "loan-default DISABLED by the kill switch ($day)" model-risk@example.com < "reports/$day.json" ;;
  *) mail -s "loan-default audit could not run ($day, exit $code)" data-platform@example.com < /dev/null ;;
esac
# keep the audit log honest: a tampered or damaged log is an incident of its own
mlaudit audit-log verify reports/audits.jsonl > /dev/null || mail -s "loan-default audit log damaged" model-risk@example.com < /dev/null
exit $code
