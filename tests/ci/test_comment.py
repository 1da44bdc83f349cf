"""`comment find/hash/wrap`: the apply job's only source of a hash, so every doubt must refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.cli.ci import read_comments, select_comments
from reconciler.errors import SettingsError

BOT = "github-actions[bot]"
HASH_A = "a" * 64
HASH_B = "b" * 64


def marker(plan_hash: str, commit: str = "unknown") -> str:
    return f"<!-- infomaniak-gitops:plan v=1 plan_hash={plan_hash} commit={commit} -->"


def body(plan_hash: str | None, comment_id: str = "state") -> str:
    tail = marker(plan_hash) if plan_hash else "The plan failed."
    return f"<!-- infomaniak-gitops:comment id={comment_id} -->\n### infomaniak-gitops plan\n\n{tail}\n"


def comment(number: int, text: str, login: str = BOT) -> dict[str, Any]:
    return {"id": number, "user": {"login": login}, "body": text}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, comments: list[dict[str, Any]] | str) -> str:
    path = tmp_path / "comments.json"
    path.write_text(comments if isinstance(comments, str) else json.dumps(comments), encoding="utf-8")
    return str(path)


def test_hash_of_the_bot_comment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    comments = [comment(1, "LGTM", "octocat"), comment(2, body(HASH_A))]
    code, out, err = run(capsys, "comment", "hash", "--comments", write(tmp_path, comments))
    assert (code, out) == (0, HASH_A + "\n")
    assert "reviewed plan aaaaaaaaaaaa" in err


@pytest.mark.parametrize(
    ("comments", "message"),
    [
        ([], "no plan comment by github-actions[bot]"),
        # Anyone can comment on a pull request: a valid-looking comment by someone else counts for nothing.
        ([comment(1, body(HASH_A), "mallory")], "no plan comment"),
        # The failed-plan comment carries no hash.
        ([comment(1, body(None))], "no plan marker"),
        ([comment(1, body(HASH_A).replace("a" * 64, "a" * 63))], "garbled"),
        ([comment(1, body(HASH_A)), comment(2, body(HASH_B))], "2 different plan hashes"),
        # Another account's comment is not this account's review.
        ([comment(1, body(HASH_A, comment_id="shop"))], "no plan comment"),
        # The identity marker must open the comment, not be quoted inside it.
        ([comment(1, "quoting:\n" + body(HASH_A))], "no plan comment"),
        ("{not json", "not GitHub API comments JSON"),
        ("[1, 2]", "expected comment objects"),
    ],
)
def test_hash_refuses_when_in_doubt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], comments: list[dict[str, Any]] | str, message: str
) -> None:
    code, out, err = run(capsys, "comment", "hash", "--comments", write(tmp_path, comments))
    assert code == 1
    assert out == ""  # `hash=$(...)` gets nothing, and bash -e stops the job
    assert message in err


def test_paginated_output_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `gh api --paginate` prints one array per page, back to back.
    pages = json.dumps([comment(1, "hi", "octocat")]) + json.dumps([comment(9, body(HASH_A))]) + "\n"
    code, out, _ = run(capsys, "comment", "hash", "--comments", write(tmp_path, pages))
    assert (code, out.strip()) == (0, HASH_A)
    lines = "\n".join(json.dumps(c) for c in [comment(3, body(HASH_B)), comment(4, body(HASH_B))])
    code, out, _ = run(capsys, "comment", "hash", "--comments", write(tmp_path, lines))
    assert (code, out.strip()) == (0, HASH_B)


def test_find_returns_the_oldest_own_comment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    comments = [comment(30, body(HASH_A)), comment(5, body(HASH_A), "octocat"), comment(20, body(HASH_B))]
    code, out, _ = run(capsys, "comment", "find", "--comments", write(tmp_path, comments))
    assert (code, out.strip()) == (0, "20")
    code, out, _ = run(capsys, "comment", "find", "--comments", write(tmp_path, []))
    assert (code, out) == (0, "")


def test_custom_author_and_id(tmp_path: Path) -> None:
    comments = read_comments(write(tmp_path, [comment(1, body(HASH_A, "acme/prod"), "deploy-app[bot]")]))
    assert select_comments(comments, comment_id="acme/prod", author="deploy-app[bot]")
    assert not select_comments(comments, comment_id="acme/prod", author=BOT)
    with pytest.raises(SettingsError):
        select_comments(comments, comment_id="bad id", author=BOT)


def test_wrap_plan_and_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("### plan\n\n" + marker(HASH_A) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "comment", "wrap", "--id", "acme", str(plan))
    assert code == 0
    assert out.startswith("<!-- infomaniak-gitops:comment id=acme -->\n### plan")

    code, out, _ = run(
        capsys, "comment", "wrap", "--id", "acme", "--error", "see <b>log</b>\n" + marker(HASH_B)
    )
    assert code == 0
    assert out.startswith("<!-- infomaniak-gitops:comment id=acme -->\n")
    assert "&lt;b&gt;" in out
    # Whatever the error text holds, a failed-plan comment never yields a hash.
    code, _, _ = run(
        capsys, "comment", "hash", "--id", "acme", "--comments", write(tmp_path, [comment(1, out)])
    )
    assert code == 1


def test_wrap_refuses_an_oversized_comment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("x" * 70_000, encoding="utf-8")
    code, out, err = run(capsys, "comment", "wrap", str(plan))
    assert code == 1
    assert out == ""
    assert "over GitHub's 65,536" in err
