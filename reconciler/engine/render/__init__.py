"""Renderers: a Plan in, a string out; none of them re-diffs.

Modules: ``plan`` (text and JSON), ``markdown`` (the pull-request comment and its size budget), ``marker``
(the comment markers and their fail-closed parser), ``approval`` (the human approval question).
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.engine.model import Plan
from reconciler.engine.render.approval import QUESTION_LIMIT, ApprovalBlock, approval_content, render_approval
from reconciler.engine.render.markdown import (
    COMMENT_RESERVE,
    GITHUB_COMMENT_LIMIT,
    comment_length,
    md_code,
    md_text,
    render_markdown,
)
from reconciler.engine.render.marker import (
    COMMENT_MARKER_PREFIX,
    MARKER_PREFIX,
    PlanMarker,
    comment_marker,
    parse_plan_marker,
    plan_marker,
)
from reconciler.engine.render.plan import change_detail, field_lines, render_json, render_text

RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}

__all__ = [
    "COMMENT_MARKER_PREFIX",
    "COMMENT_RESERVE",
    "GITHUB_COMMENT_LIMIT",
    "MARKER_PREFIX",
    "QUESTION_LIMIT",
    "RENDERERS",
    "ApprovalBlock",
    "PlanMarker",
    "approval_content",
    "change_detail",
    "comment_length",
    "comment_marker",
    "field_lines",
    "md_code",
    "md_text",
    "parse_plan_marker",
    "plan_marker",
    "render_approval",
    "render_json",
    "render_markdown",
    "render_text",
]
