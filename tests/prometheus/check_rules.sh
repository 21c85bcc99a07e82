#!/usr/bin/env bash
# Checks deploy/prometheus/alerts.yaml: promtool's syntax check and its unit
# tests (deploy/prometheus/alerts_test.yaml), that every runbook_url names a
# heading of docs/operations.md, and that the Grafana dashboards are JSON.
# Exit 77 (ctest: skipped) only when promtool is not installed
# (scripts/install-deps.sh --test installs Debian's prometheus package).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rules="$root/deploy/prometheus/alerts.yaml"

if ! command -v promtool >/dev/null; then
  echo "check_rules: promtool not found (Debian package prometheus); skipped" >&2
  exit 77
fi
promtool check rules "$rules"
(cd "$root/deploy/prometheus" && promtool test rules alerts_test.yaml)

# runbook_url: docs/operations.md#<anchor>; the anchor is a heading's text in
# lower case (the headings are the alert names).
status=0
while read -r anchor; do
  if ! grep -qiE "^#+ ${anchor}\$" "$root/docs/operations.md"; then
    echo "check_rules: runbook anchor #$anchor has no heading in docs/operations.md" >&2
    status=1
  fi
done < <(grep -oE 'runbook_url: docs/operations\.md#[a-z0-9-]+' "$rules" | sed 's/.*#//')
alerts=$(grep -cE '^\s*- alert: ' "$rules")
urls=$(grep -cE 'runbook_url: docs/operations\.md#' "$rules")
if [[ "$alerts" != "$urls" ]]; then
  echo "check_rules: $alerts alerts but $urls runbook_url annotations" >&2
  status=1
fi

for d in "$root"/deploy/grafana/*.json; do
  if command -v python3 >/dev/null; then
    python3 -m json.tool "$d" >/dev/null || { echo "check_rules: $d is not valid JSON" >&2; status=1; }
  fi
done
[[ $status -eq 0 ]] && echo "check_rules: $alerts alerts checked, unit-tested, each with a runbook entry"
exit $status
