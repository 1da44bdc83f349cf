"""A stand-in for the `gh api` calls action.yml makes, backed by a JSON file (one pretend repository).

State file (FAKE_GH_STATE): {"comments": {"<pr>": [comment, ...]}, "pulls": {"<sha>": [pull, ...]},
"next_id": int, "calls": [[method, path], ...]}. Comments and pulls have the API's shape, trimmed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

BOT = "github-actions[bot]"
# The one --jq filter action.yml uses; the fake computes what it selects rather than running jq.
PULLS_FILTER = '[.[] | select(.merged_at != null) | .number] | unique | map(tostring) | join(" ")'


def main(argv: list[str]) -> int:
    state_path = Path(os.environ["FAKE_GH_STATE"])
    state: dict[str, Any] = json.loads(state_path.read_text(encoding="utf-8"))
    assert os.environ.get("GH_TOKEN"), "gh needs GH_TOKEN"
    assert argv[0] == "api", argv
    method, jq, body, paginate, path = "GET", None, None, False, ""
    args = iter(argv[1:])
    for arg in args:
        if arg == "--paginate":
            paginate = True
        elif arg == "--method":
            method = next(args)
        elif arg == "--jq":
            jq = next(args)
        elif arg == "-F":
            name, _, value = next(args).partition("=")
            assert name == "body" and value.startswith("@"), arg
            body = Path(value[1:]).read_text(encoding="utf-8")
        else:
            path = arg
    state["calls"].append([method, path])
    repo = os.environ["GITHUB_REPOSITORY"]
    try:
        if match := re.fullmatch(rf"repos/{repo}/commits/(\w+)/pulls", path):
            assert jq == PULLS_FILTER, jq
            pulls = state["pulls"].get(match[1], [])
            print(" ".join(str(n) for n in sorted({p["number"] for p in pulls if p.get("merged_at")})))
        elif match := re.fullmatch(rf"repos/{repo}/issues/(\d+)/comments", path):
            comments = state["comments"].setdefault(match[1], [])
            if method == "POST":
                comment = {"id": state["next_id"], "user": {"login": BOT}, "body": body}
                state["next_id"] += 1
                comments.append(comment)
                print(json.dumps(comment))
            else:
                assert method == "GET" and paginate
                # Two pages back to back, as `gh api --paginate` prints them.
                half = len(comments) // 2
                print(json.dumps(comments[:half]) + json.dumps(comments[half:]))
        elif match := re.fullmatch(rf"repos/{repo}/issues/comments/(\d+)", path):
            assert method == "PATCH"
            found = [c for cs in state["comments"].values() for c in cs if c["id"] == int(match[1])]
            found[0]["body"] = body
            print(json.dumps(found[0]))
        else:
            print(f"gh: unexpected call {method} {path}", file=sys.stderr)
            return 1
    finally:
        state_path.write_text(json.dumps(state), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
