"""The README's real-account steps 3 and 4, as written, in real mode (no --sandbox) against `sandbox serve`.

Step 4 used to fail as written: it applied an edit without committing it, and apply refuses uncommitted
desired state on a real account. It now commits before applying; this walks it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import REPO, SERVED_TOKEN, clean_env

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Readme Test",
    "GIT_AUTHOR_EMAIL": "readme@example.invalid",
    "GIT_COMMITTER_NAME": "Readme Test",
    "GIT_COMMITTER_EMAIL": "readme@example.invalid",
}


def _run(cwd: Path, server: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "reconciler", *args] if args[0] != "git" else list(args)
    env = clean_env(INFOMANIAK_API_TOKEN=SERVED_TOKEN, INFOMANIAK_API_URL=server, **GIT_IDENTITY)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_readme_steps_3_and_4_work_as_written(tmp_path: Path, server: str) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    step4 = readme[readme.index("4. Edit the YAML") : readme.index("In a team, push a branch")]
    # The order the README gives, which is the order walked below.
    assert (
        step4.index("infomaniak-gitops plan")
        < step4.index("git commit -am")
        < step4.index("infomaniak-gitops apply ")
    )

    # 3. init --import, cd, plan → "No changes."
    init = _run(tmp_path, server, "init", "my-account", "--import")
    assert init.returncode == 0, init.stderr
    root = tmp_path / "my-account"
    plan = _run(root, server, "plan")
    assert plan.returncode == 0 and "No changes." in plan.stdout, plan.stdout + plan.stderr

    # 4. edit, plan, commit, apply.
    zone = root / "state" / "dns" / "example.ch.yaml"
    zone.write_text(zone.read_text().replace("value: 203.0.113.10", "value: 203.0.113.99", 1))
    plan = _run(root, server, "plan", "--detailed-exitcode")
    assert plan.returncode == 2 and '+ "203.0.113.99"' in plan.stdout, plan.stdout + plan.stderr
    # Skipping the commit is what the README warns about: refused, and the message says to commit.
    dirty = _run(root, server, "apply", "--auto-approve")
    assert dirty.returncode == 1 and "uncommitted changes" in dirty.stderr and "commit them" in dirty.stderr
    assert _run(root, server, "git", "commit", "-qam", "www points to the new host").returncode == 0
    # The README's `apply` asks for "yes" on a terminal; the test has none and approves as CI does.
    applied = _run(root, server, "apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert "done: update dns/example.ch: @ A" in applied.stdout
    assert "Verified: live state now matches the desired state." in applied.stdout
    assert _run(root, server, "plan", "--detailed-exitcode").returncode == 0
