"""infomaniak-gitops: a GitOps desired-state reconciler for an Infomaniak account."""

import sys

__version__ = "0.1.0"

# httpx imports its command-line client (click, rich, pygments: about half of httpx's import time) whenever
# those happen to be installed; nothing here runs it. A None entry makes that one import fail, and httpx then
# defines a stub `main` instead. Set here, before any module of the package can import httpx.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
