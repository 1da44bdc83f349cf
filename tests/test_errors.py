"""The exception tree's messages: validation reasons read top down, whatever pass found them."""

from __future__ import annotations

from reconciler.errors import DesiredStateError, Reason


def test_reasons_are_listed_file_by_file_in_line_order() -> None:
    found = [
        Reason("state/dns/b.ch.yaml", 2, 3, "www", "late file"),
        Reason("state/dns/a.ch.yaml", 9, 1, "mx", "cross-entry rule, found last"),
        Reason("state/dns/a.ch.yaml", None, None, "", "whole-file problem"),
        Reason("state/dns/a.ch.yaml", 3, 5, "www.value", "schema problem"),
        Reason("state/dns/a.ch.yaml", 3, 1, "www", "same line, earlier column"),
    ]
    error = DesiredStateError(found)
    assert [r.message for r in error.reasons] == [
        "same line, earlier column",
        "schema problem",
        "cross-entry rule, found last",
        "whole-file problem",
        "late file",
    ]
    lines = str(error).splitlines()
    assert lines[0] == "desired state is invalid (5 problems)"
    assert lines[1] == "  state/dns/a.ch.yaml:3:1: www: same line, earlier column"
