#!/usr/bin/env bash
# The whole check: install with dev extras into ./.venv, lint, type-check, check the import contract, run the
# test suite and budgets.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
install_project "[dev]"
echo "== ruff" >&2
"$VENV/bin/ruff" check reconciler tests bench
"$VENV/bin/ruff" format --check reconciler tests bench
echo "== mypy --strict reconciler" >&2
"$VENV/bin/mypy" --strict reconciler
echo "== import contract (lint-imports; [tool.importlinter] in pyproject.toml)" >&2
"$VENV/bin/lint-imports" --no-cache
echo "== pytest" >&2
"$VENV/bin/python" -m pytest "$@"
