"""Client CPU of one ``plan`` against ``sandbox serve`` in its own process, for work on the plan path.

``bench/run`` prints every figure; this prints only the plan's, with every run's value, so a change can be
measured on a busy machine (medians of many runs) and profiled:

    python bench/plan_cpu.py --runs 9                      # large account: reset, serve, import, time
    python bench/plan_cpu.py --work /tmp/w --runs 9        # keep the prepared account in /tmp/w ...
    python bench/plan_cpu.py --work /tmp/w --runs 9        # ... and reuse it (no reset, no import)
    python bench/plan_cpu.py --work /tmp/w --profile p.out # one plan under cProfile (pstats file)
    python bench/plan_cpu.py --work /tmp/w --outputs DIR   # save text and JSON plans (byte comparison)
    python bench/plan_cpu.py --account demo --outputs DIR  # the repository's state/ against the demo account

CPU is user+sys of the CLI process (``wait4``), interpreter start included, after one warm-up run that fills
the parse cache; requests are counted by the server's access log. Timing is printed, never judged.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from figures import KINDS, REPO, TOKEN, Server, bench_env, counted, run_child


def prepare(work: Path, account: str, env: dict[str, str], cli: list[str]) -> Path:
    """The sandbox state file and the desired state of ``account`` in ``work`` (made once, then reused)."""
    state_file = work / "home" / "sandbox.json"
    if state_file.exists():
        return state_file
    subprocess.run([*cli, "sandbox", "reset", "--account", account], cwd=work, env=env, check=True)
    if account == "demo":
        shutil.copytree(REPO / "state", work / "state", dirs_exist_ok=True)
        if not state_file.exists():  # resetting to the demo removes the file: the next run starts afresh
            from reconciler.sandbox.state import SandboxState

            state_file.parent.mkdir(parents=True, exist_ok=True)
            SandboxState.demo().save(state_file)
        return state_file
    server = Server(state_file, work, env)
    try:
        real = dict(env, INFOMANIAK_API_URL=server.url, INFOMANIAK_API_TOKEN=TOKEN)
        (work / "state").mkdir()
        shutil.copy(REPO / "state" / "infomaniak.yaml", work / "state" / "infomaniak.yaml")
        for kind in KINDS:
            subprocess.run([*cli, "import", kind], cwd=work, env=real, check=True, capture_output=True)
    finally:
        server.stop()
    return state_file


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--account", choices=("large", "demo"), default="large")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (median)")
    parser.add_argument("--work", type=Path, help="prepared work directory to reuse (made when missing)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. a `git worktree` of main) timed in alternation with this one",
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of one warm plan to this file")
    parser.add_argument("--importtime", type=Path, help="write `python -X importtime` of one plan here")
    parser.add_argument("--outputs", type=Path, help="write plan.txt and plan.json of the account here")
    args = parser.parse_args()

    python = sys.executable
    work = args.work or Path(tempfile.mkdtemp(prefix="ikg-plan-cpu-"))
    work.mkdir(parents=True, exist_ok=True)
    env = bench_env(work)
    cli = [python, "-m", "reconciler"]
    server = None
    try:
        state_file = prepare(work, args.account, env, cli)
        # A copy, so a run that writes (it should not) never changes the prepared account.
        served = work / "served.json"
        shutil.copy(state_file, served)
        server = Server(served, work, env)
        real = dict(env, INFOMANIAK_API_URL=server.url, INFOMANIAK_API_TOKEN=TOKEN, COLUMNS="120")
        plan = [*cli, "plan"]
        setups = [("this checkout", work, real)]
        if args.baseline:
            # Its own work directory (INFOMANIAK_GITOPS_HOME): each code version's parse cache evicts the
            # others'.
            base_work = work / "baseline"
            shutil.rmtree(base_work, ignore_errors=True)
            shutil.copytree(work / "state", base_work / "state")
            base_env = dict(
                real, PYTHONPATH=str(args.baseline.resolve()), INFOMANIAK_GITOPS_HOME=str(base_work / "home")
            )
            setups.append((f"baseline {args.baseline}", base_work, base_env))
        cpus: dict[str, list[float]] = {label: [] for label, _, _ in setups}
        for label, cwd, run_env in setups:
            cold = run_child(plan, cwd=cwd, env=run_env)
            if cold.code not in (0, 2):
                raise SystemExit(f"plan failed ({cold.code}):\n{cold.stderr[-3000:]}")
            requests = counted(server, plan, cwd=cwd, env=run_env)
            print(f"{label}: account {args.account}, first run {cold.cpu:.2f} s CPU, {requests} requests")
        for _ in range(args.runs):
            for label, cwd, run_env in setups:  # alternated, so both see the same load
                result = run_child(plan, cwd=cwd, env=run_env)
                if result.code not in (0, 2):
                    raise SystemExit(f"plan failed ({result.code}):\n{result.stderr[-3000:]}")
                cpus[label].append(result.cpu)
        for label, values in cpus.items():
            print(f"{label}: plan CPU runs {' '.join(f'{cpu:.2f}' for cpu in values)}")
            print(f"{label}: plan CPU median {statistics.median(values):.3f} s, min {min(values):.3f} s")
        if args.baseline:
            ours, base = (statistics.median(values) for values in cpus.values())
            print(f"median ratio this / baseline: {ours / base:.3f}")
        if args.outputs:
            args.outputs.mkdir(parents=True, exist_ok=True)
            for name, extra in (("plan.txt", []), ("plan.json", ["--format", "json"])):
                result = run_child([*plan, *extra], cwd=work, env=real)
                (args.outputs / name).write_text(result.stdout)
                (args.outputs / f"{name}.code").write_text(f"{result.code}\n")
            print(f"plans written to {args.outputs}")
        if args.profile:
            profile = str(args.profile.resolve())
            profiled = [python, "-m", "cProfile", "-o", profile, "-m", "reconciler", "plan"]
            run_child(profiled, cwd=work, env=real)
            print(f"profile written to {args.profile}")
        if args.importtime:
            result = run_child([python, "-X", "importtime", "-m", "reconciler", "plan"], cwd=work, env=real)
            args.importtime.write_text(result.stderr)
            print(f"import times written to {args.importtime}")
    finally:
        if server is not None:
            server.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
