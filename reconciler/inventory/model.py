"""What a read-only inventory kind is: a data-driven definition of one API list (see ``catalogue``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Paging = Literal["page", "cursor", "object", "mattermost"]
"""``page``: page/per_page (``get_all``); ``cursor``: kDrive v3 cursor (``get_all_cursor``); ``object``: one
object, one row; ``mattermost``: kChat's 0-based ``page`` without envelope."""

Source = Literal["spec", "seed", "third-party", "guess"]

Derive = Callable[[Mapping[str, Any], dict[str, Any], float], None]
"""Adds computed columns to ``row`` from the raw item and ``now`` (epoch seconds)."""

DAY = 86_400


@dataclass(frozen=True)
class Detail:
    """A second GET per row whose fields are merged into the row (e.g. an invitation's dates)."""

    path: str
    """Formatted with the raw row's fields and ``account``, e.g. ``…/invitations/{invitation_id}``."""
    keep: tuple[str, ...]


@dataclass(frozen=True)
class ReadKind:
    """One read-only inventory kind."""

    name: str
    product: str
    summary: str
    path: str
    """Formatted with ``account``, and for a child kind with the parent row's raw fields (``{_id}`` is the
    parent's id, ``{_host}`` its kChat host)."""
    keep: tuple[str, ...]
    """Columns: ``"dotted.path"`` or ``"column=dotted.path"``; the first one names a row; a column named
    ``_x`` only feeds ``derive``."""
    parent: str | None = None
    """Kind whose rows are this kind's scopes (a scope is a parent row's name or id)."""
    id_field: str = "id"
    """Raw field of this kind's rows substituted as ``{_id}`` into its children's paths."""
    paging: Paging = "page"
    params: Mapping[str, str] = field(default_factory=dict)
    where: Callable[[Mapping[str, Any]], bool] | None = None
    derive: Derive | None = None
    details: tuple[Detail, ...] = ()
    adds: tuple[str, ...] = ()
    """Columns ``derive`` computes (shown in the catalogue)."""
    host: Literal["api", "kchat"] = "api"
    """``kchat``: the list lives on the kChat host of the parent row (and pages the Mattermost way)."""
    source: Source = "spec"
    note: str = ""

    @property
    def verified(self) -> bool:
        return self.source == "spec"

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns of a row: kept fields (``_name`` ones are working columns, dropped), then derived."""
        kept = (spec.split("=", 1)[0] for spec in self.keep)
        return (*(c for c in kept if not c.startswith("_")), *self.adds)

    @property
    def key_column(self) -> str:
        return self.columns[0]


def days_until(value: Any, now: float) -> int | None:
    """Whole days from ``now`` to the epoch ``value`` (negative once past); None without a date."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return int((value - now) // DAY)


__all__ = ["DAY", "Derive", "Detail", "Paging", "ReadKind", "Source", "days_until"]
