"""A stateful simulator of the Infomaniak API (the endpoints this project uses).

It runs in-process behind ``httpx.ASGITransport`` for fast tests, and as a real server on 127.0.0.1
(:func:`reconciler.sandbox.server.serve`, wired to ``infomaniak-gitops sandbox serve``). See
``docs/sandbox.md`` for routes, the demo account, faults and fidelity decisions.
"""

from __future__ import annotations

from reconciler.sandbox.app import SANDBOX_TOKEN, Faults, create_app
from reconciler.sandbox.large import ACCOUNTS
from reconciler.sandbox.server import serve
from reconciler.sandbox.state import SandboxState

__all__ = ["ACCOUNTS", "SANDBOX_TOKEN", "Faults", "SandboxState", "create_app", "serve"]
