"""octodns-infomaniak pointed at the simulator: its endpoint is a module constant, so a subclass takes it.

Used by ``bench/figures.py`` through ``octodns-sync``'s config
(``class: octodns_sandbox.SandboxInfomaniakProvider``); the provider is otherwise unchanged, exactly as
``tests/thirdparty/test_octodns.py`` runs it.
"""

from __future__ import annotations

from typing import Any

from octodns_infomaniak import InfomaniakProvider


class SandboxInfomaniakProvider(InfomaniakProvider):  # type: ignore[misc]
    def __init__(self, id: str, token: str, endpoint: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(id, token, *args, **kwargs)
        self._client.endpoint = endpoint
