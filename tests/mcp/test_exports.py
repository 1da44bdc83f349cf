"""Each module of reconciler.mcp has a sorted __all__ naming only what it defines or re-exports (STYLE 9)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import reconciler.desired.edit
import reconciler.mcp

MODULES = [
    reconciler.desired.edit,
    reconciler.mcp,
    *(
        importlib.import_module(f"reconciler.mcp.{info.name}")
        for info in pkgutil.iter_modules(reconciler.mcp.__path__)
    ),
]


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order, which the project uses: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__)
def test_all_is_sorted_and_resolves(module: object) -> None:
    names = list(getattr(module, "__all__", []))
    assert names, f"{module} has no __all__"
    assert names == sorted(names, key=_isort_key)
    assert all(hasattr(module, name) for name in names)
