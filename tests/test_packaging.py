"""What the wheel ships: every data file of the package, so an install outside the clone works like the clone.

An editable install reads files from the checkout, so a data file left out of ``package-data`` breaks only
the installed wheel (``scripts/check_install.sh`` in ``.ci/run`` finds that too, but needs the index).
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_file_of_the_package_is_in_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["reconciler"]
    package = ROOT / "reconciler"
    data = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    ]
    assert "templates/workflows/infomaniak-plan.yml" in data  # the walk sees the data files
    unshipped = [name for name in data if not any(fnmatch(name, pattern) for pattern in patterns)]
    assert unshipped == [], f"add these to [tool.setuptools.package-data] in pyproject.toml: {unshipped}"


def test_ci_runs_the_install_route_the_readme_describes() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/check_install.sh" in ci.splitlines()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(`scripts/check_install.sh`)" in readme
