"""Each subpackage's public surface: every exported name exists and `__all__` has no duplicates."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "reconciler.api",
    "reconciler.audits",
    "reconciler.desired",
    "reconciler.engine",
    "reconciler.errors",
    "reconciler.inventory",
    "reconciler.kinds",
    "reconciler.mcp",
    "reconciler.sandbox",
]


def _isort_key(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions, each alphabetical.
    if name.isupper():
        return (0, name)
    return (1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist_once_in_order(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported))
    missing = [item for item in exported if not hasattr(module, item)]
    assert missing == []
    assert exported == sorted(exported, key=_isort_key)


def test_every_error_class_is_in_the_tree() -> None:
    errors = importlib.import_module("reconciler.errors")
    classes = [getattr(errors, n) for n in errors.__all__ if isinstance(getattr(errors, n), type)]
    for cls in classes:
        if issubclass(cls, Exception):
            assert issubclass(cls, errors.ReconcilerError), cls
            assert cls.__doc__, f"{cls.__name__} needs a one-line docstring saying when it is raised"


def test_mask_secrets_walks_values_and_masks_secret_keys() -> None:
    import re

    from reconciler.redaction import mask_secrets

    value = {"a": ["x-TOKEN-TOKENLONG-y", ("TOKEN",)], "password": "p", "n": 3, "token": None}
    masked = mask_secrets(value, ["TOKEN", "TOKENLONG"], mark="#", secret_keys=re.compile("password|token"))
    assert masked == {"a": ["x-#-#-y", ["#"]], "password": "#", "n": 3, "token": None}
    assert mask_secrets("plain", [], mark="#") == "plain"
