"""Serve the simulator over HTTP on 127.0.0.1, persisting the state file after every write."""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.sandbox.app import SANDBOX_TOKEN, Faults, create_app
from reconciler.sandbox.state import SandboxState

if TYPE_CHECKING:
    import uvicorn

logger = logging.getLogger(__name__)

LOCAL_HOST = "127.0.0.1"


def load_state(state_path: Path | None) -> SandboxState:
    """The saved state if ``state_path`` exists, else a fresh demo account."""
    if state_path is not None and state_path.exists():
        return SandboxState.load(state_path)
    return SandboxState.demo()


def build_server(
    state_path: Path | None,
    *,
    host: str = LOCAL_HOST,
    port: int,
    tokens: Collection[str] = (SANDBOX_TOKEN,),
    faults: Faults | None = None,
    log_level: str = "info",
) -> uvicorn.Server:
    """The uvicorn server :func:`serve` runs (separate so tests can run and stop it themselves)."""
    if host != LOCAL_HOST:
        # The simulator accepts a well-known token: never expose it beyond this machine.
        raise ValueError(f"sandbox serve binds {LOCAL_HOST} only, not {host!r}")
    state = load_state(state_path)

    def persist(current: SandboxState) -> None:
        if state_path is not None:
            current.save(state_path)

    app = create_app(state, tokens=tokens, faults=faults, on_write=persist)
    # Imported here: the package face exports `serve`, and only serving needs uvicorn.
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="off")
    return uvicorn.Server(config)


def serve(
    state_path: Path | None,
    *,
    host: str = LOCAL_HOST,
    port: int,
    tokens: Collection[str] = (SANDBOX_TOKEN,),
    faults: Faults | None = None,
    log_level: str = "info",
) -> None:
    """Run the simulator until interrupted; with ``state_path``, load it if present and save after writes."""
    server = build_server(state_path, host=host, port=port, tokens=tokens, faults=faults, log_level=log_level)
    logger.info("sandbox serve: http://%s:%d (state %s)", host, port, state_path or "in memory")
    server.run()
