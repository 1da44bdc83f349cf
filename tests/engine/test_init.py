"""The engine's face: lazy re-exports that match what mypy and editors see."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import reconciler.engine as engine


def _type_checking_names() -> dict[str, str]:
    tree = ast.parse(Path(engine.__file__).read_text(encoding="utf-8"))
    block = next(
        node for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
    )
    return {
        alias.name: str(node.module)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_lazy_names_are_the_type_checking_imports_and_all() -> None:
    assert _type_checking_names() == engine._SOURCES
    assert set(engine.__all__) == {*engine._SOURCES, "load_plan_file"}


@pytest.mark.parametrize("name", sorted(engine._SOURCES))
def test_each_name_is_its_module_s_object(name: str) -> None:
    assert getattr(engine, name) is getattr(importlib.import_module(engine._SOURCES[name]), name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        engine.no_such_thing  # noqa: B018
    assert "make_plan" in dir(engine)


def test_importing_the_face_loads_no_engine_module() -> None:
    probe = "import json, sys, reconciler.engine; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = [name for name in json.loads(result.stdout) if name.startswith("reconciler.engine.")]
    assert loaded == []
