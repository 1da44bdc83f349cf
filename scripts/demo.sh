#!/usr/bin/env bash
# Quick start: install into ./.venv and show the plan for state/ against the built-in sandbox account.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
install_project ""
echo "== infomaniak-gitops --sandbox plan  (state/ vs the demo account)" >&2
set +e
"$VENV/bin/infomaniak-gitops" --sandbox plan --detailed-exitcode "$@"
code=$?
set -e
if [ "$code" -eq 2 ]; then
  echo >&2
  echo "Next: $VENV/bin/infomaniak-gitops --sandbox apply --auto-approve   (then plan again: no changes)" >&2
  exit 0
fi
exit "$code"
