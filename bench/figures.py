"""Every performance figure in one run (``bench/run``): the table ``docs/performance.md`` records.

1. the large demo account (``sandbox reset --account large``) served by ``sandbox serve`` in its own process;
2. ``import`` of every kind, then ``plan`` of the whole account: client CPU (user+sys of the CLI process,
   interpreter start included), wall time, requests (counted by the server), peak RSS;
3. the DNS part (50 zones × 200 records) planned by us and by ``octodns-sync`` (octodns-infomaniak) on the
   same zone files against the same server, and the CPU ratio;
4. ``--help`` against a bare ``python -c pass``; MCP stdio spawn to the first ``tools/list`` answer;
   the ``tools/list`` size in tokens.

CPU and wall are medians of ``--runs`` runs; peak RSS and request counts come from separate runs (nothing
traces memory while time is measured). Timing is never asserted: this prints, it does not judge.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKEN = "sandbox-token"
KINDS = ("dns", "mailbox_security", "share_links", "teams", "tags")
_SERVE = """
import sys
from pathlib import Path
from reconciler.sandbox.server import serve
serve(Path(sys.argv[1]), port=int(sys.argv[2]), log_level="info")
"""
_REQUEST_LINE = re.compile(r'"(GET|POST|PUT|PATCH|DELETE) ')


@dataclass
class Run:
    cpu: float
    wall: float
    rss_mib: float
    stdout: str
    stderr: str
    code: int


def run_child(argv: list[str], *, cwd: Path, env: dict[str, str]) -> Run:
    """Run a process in ``cwd``; CPU and peak RSS are its own (``wait4``), wall from spawn to exit."""
    out_path = cwd / ".bench-out"
    err_path = cwd / ".bench-err"
    with out_path.open("w") as out, err_path.open("w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen never waits for it
    return Run(
        usage.ru_utime + usage.ru_stime,
        wall,
        usage.ru_maxrss / 1024,
        out_path.read_text(),
        err_path.read_text(),
        proc.returncode,
    )


def measured(argv: list[str], *, cwd: Path, env: dict[str, str], runs: int) -> tuple[float, float, Run]:
    """Median CPU and wall of ``runs`` runs (after the caller's warm-up), and the last run."""
    results = []
    for _ in range(runs):
        result = run_child(argv, cwd=cwd, env=env)
        if result.code not in (0, 2):
            raise SystemExit(f"{' '.join(argv[2:])} failed ({result.code}):\n{result.stderr[-2000:]}")
        results.append(result)
    return statistics.median(r.cpu for r in results), statistics.median(r.wall for r in results), results[-1]


class Server:
    """``sandbox serve`` in its own process; its access log counts the requests each client sends."""

    def __init__(self, state_file: Path, work: Path, env: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = work / "server.log"
        self._log_handle = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(state_file), str(self.port)],
            cwd=work,
            env=dict(env, PYTHONUNBUFFERED="1"),  # every access-log line on disk before it is counted
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"sandbox serve did not start:\n{self.log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.1)

    def requests(self) -> int:
        self._log_handle.flush()
        time.sleep(0.3)  # the server writes its access log after answering
        return len(_REQUEST_LINE.findall(self.log.read_text()))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self._log_handle.close()


def counted(server: Server, argv: list[str], *, cwd: Path, env: dict[str, str]) -> int:
    before = server.requests()
    result = run_child(argv, cwd=cwd, env=env)
    if result.code not in (0, 2):
        raise SystemExit(f"{' '.join(argv[2:])} failed:\n{result.stderr[-2000:]}")
    return server.requests() - before


def octodns_config(folder: Path, zones: list[str], url: str) -> Path:
    lines = [
        "providers:",
        "  config:",
        "    class: octodns.provider.yaml.YamlProvider",
        f"    directory: {folder / 'zones'}",
        "    default_ttl: 3600",
        "    enforce_order: false",
        "  infomaniak:",
        "    class: octodns_sandbox.SandboxInfomaniakProvider",
        f"    token: {TOKEN}",
        f"    endpoint: {url}/2/",
        "zones:",
    ]
    for zone in zones:
        lines += [f"  {zone}.:", "    sources: [config]", "    targets: [infomaniak]"]
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cpu_seconds(pid: int) -> float:
    """User+sys CPU a live process has used so far (``/proc/PID/stat``; 0 where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mcp_first_tools_list(
    python: str,
    *,
    cwd: Path,
    env: dict[str, str],
    argv: tuple[str, ...] = ("-m", "reconciler", "--sandbox", "mcp"),
) -> tuple[float, float]:
    """Wall seconds from spawning ``infomaniak-gitops mcp`` (stdio) to its first ``tools/list`` answer, and
    the CPU the server process had used when that answer arrived (what the client waited for; work the
    server goes on doing in the background after it is not counted)."""
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(
        [python, *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(json.dumps(messages[0]) + "\n")
        proc.stdin.flush()
        proc.stdout.readline()
        for message in messages[1:]:
            proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        while True:
            line = proc.stdout.readline()
            if not line:
                raise SystemExit("the MCP server closed stdout before answering tools/list")
            if json.loads(line).get("id") == 2:
                return time.perf_counter() - start, _cpu_seconds(proc.pid)
    finally:
        proc.kill()
        proc.wait()


# The front's own path: the SDK's loader is held back, so the CPU counted is only what answering costs.
_FRONT_ALONE = """
import threading
import reconciler.mcp.front as front
front._load = lambda *args, **kwargs: threading.Event().wait()
from reconciler.cli import main
main(["--sandbox", "mcp"])
"""


def mcp_rows(python: str, *, cwd: Path, env: dict[str, str], runs: int = 5) -> list[tuple[str, str, str]]:
    """The MCP start-up figures: spawn → first tools/list, wall and the server's CPU by then (medians)."""
    rows = []
    mcp = ("-m", "reconciler", "--sandbox", "mcp")
    variants = (
        ("", mcp, "target ≤ 0.3 s"),
        (" (front alone, SDK load held back)", ("-c", _FRONT_ALONE), ""),
        (" (--no-fast-start: SDK only)", (*mcp, "--no-fast-start"), ""),
    )
    for label, argv, note in variants:
        samples = [mcp_first_tools_list(python, cwd=cwd, env=env, argv=argv) for _ in range(runs)]
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        rows.append((f"MCP stdio: spawn → first tools/list answer{label}", f"{wall:.2f} s", note))
        rows.append((f"MCP stdio: server CPU at that answer{label}", f"{cpu:.2f} s", ""))
    return rows


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}, load average {load:.1f} at start"
    )


def bench_env(work: Path) -> dict[str, str]:
    """The environment of a timed CLI run: none of the user's INFOMANIAK_* settings, homes in ``work``."""
    # Without PYTHONDONTWRITEBYTECODE: an installed package has its bytecode cached, so the warm-up runs
    # write it and the timed runs do not compile modules.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("INFOMANIAK") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        INFOMANIAK_GITOPS_HOME=str(work / "home"),
        XDG_CACHE_HOME=str(work / "xdg"),
        # The real API allows about 60 requests a minute; waiting for it costs no CPU, and the bench
        # measures the client, so the client's own limiter is set out of the way.
        INFOMANIAK_RATE_LIMIT="100000",
    )
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure (median)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--only", choices=["mcp"], help="only this part (mcp: the MCP start-up figures, in seconds)"
    )
    args = parser.parse_args()

    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="ikg-bench-"))
    env = bench_env(work)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "bench"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cli = [python, "-m", "reconciler"]
    print(f"machine: {machine()}")
    if args.only == "mcp":
        try:
            print_table(mcp_rows(python, cwd=work, env=env, runs=max(args.runs, 5)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    server = None
    try:
        subprocess.run(
            [*cli, "sandbox", "reset", "--account", "large"],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
        )
        server = Server(work / "home" / "sandbox.json", work, env)
        real = dict(env, INFOMANIAK_API_URL=server.url, INFOMANIAK_API_TOKEN=TOKEN)
        state = work / "state"
        state.mkdir()
        shutil.copy(REPO / "state" / "infomaniak.yaml", state / "infomaniak.yaml")
        for kind in KINDS:
            subprocess.run([*cli, "import", kind], cwd=work, env=real, check=True, capture_output=True)
        records = sum(len(p.read_text().split("\n  type: ")) - 1 for p in (state / "dns").glob("*.yaml"))
        print(
            f"large account imported: {len(list(state.rglob('*.yaml'))) - 1} files ({records:,} DNS entries)"
        )

        plan = [*cli, "plan"]
        cold = run_child(plan, cwd=work, env=real)  # fills the parse cache
        if cold.code not in (0, 2):
            raise SystemExit(f"plan failed:\n{cold.stderr[-3000:]}")
        cpu, wall, last = measured(plan, cwd=work, env=real, runs=args.runs)
        summary = [line for line in last.stdout.splitlines() if line.startswith(("Plan:", "No changes"))]
        changes = summary[-1] if summary else last.stdout.strip()[-200:]
        requests = counted(server, plan, cwd=work, env=real)
        rss = run_child(plan, cwd=work, env=real).rss_mib
        rows = [
            ("large account: plan, client CPU (whole process)", f"{cpu:.2f} s", "target ≤ 1.5 s"),
            ("large account: plan, first run (empty parse cache)", f"{cold.cpu:.2f} s", ""),
            ("large account: plan, wall", f"{wall:.2f} s", ""),
            ("large account: plan, requests", f"{requests}", ""),
            ("large account: plan, peak RSS", f"{rss:.0f} MiB", ""),
        ]
        print(f"large account plan: {changes}")

        dns_state = work / "dns-state"
        (dns_state / "dns").mkdir(parents=True)
        shutil.copy(state / "infomaniak.yaml", dns_state / "infomaniak.yaml")
        zones = sorted(p.stem for p in (state / "dns").glob("large-*.yaml"))
        octo = work / "octodns"
        (octo / "zones").mkdir(parents=True)
        for zone in zones:
            shutil.copy(state / "dns" / f"{zone}.yaml", dns_state / "dns" / f"{zone}.yaml")
            shutil.copy(state / "dns" / f"{zone}.yaml", octo / "zones" / f"{zone}.yaml")
        ours_argv = [*cli, "--state", str(dns_state), "plan"]
        run_child(ours_argv, cwd=work, env=real)
        ours_cpu, ours_wall, _ = measured(ours_argv, cwd=work, env=real, runs=args.runs)
        ours_requests = counted(server, ours_argv, cwd=work, env=real)
        sync = shutil.which("octodns-sync", path=str(Path(python).parent))
        if sync is None:
            rows.append(("DNS 50×200: octoDNS", "octodns-sync not installed (dev dependency)", ""))
        else:
            config = octodns_config(octo, zones, server.url)
            octo_argv = [sync, "--config-file", str(config)]
            run_child(octo_argv, cwd=octo, env=real)
            octo_cpu, octo_wall, _ = measured(octo_argv, cwd=octo, env=real, runs=args.runs)
            octo_requests = counted(server, octo_argv, cwd=octo, env=real)
            rows += [
                (
                    "DNS 50×200: plan, client CPU — ours / octoDNS",
                    f"{ours_cpu:.2f} s / {octo_cpu:.2f} s",
                    f"ratio {ours_cpu / octo_cpu:.2f} (target ≤ 0.5)",
                ),
                ("DNS 50×200: wall — ours / octoDNS", f"{ours_wall:.2f} s / {octo_wall:.2f} s", ""),
                ("DNS 50×200: requests — ours / octoDNS", f"{ours_requests} / {octo_requests}", ""),
            ]
        bare = statistics.median(run_child([python, "-c", "pass"], cwd=work, env=env).cpu for _ in range(7))
        helped = statistics.median(run_child([*cli, "--help"], cwd=work, env=env).cpu for _ in range(7))
        rows.append(
            (
                "--help CPU / python -c pass",
                f"{helped:.3f} s / {bare:.3f} s",
                f"{helped / bare:.1f}× (target ≤ 4×)",
            )
        )
        rows += mcp_rows(python, cwd=work, env=env)
        tokens = subprocess.run(
            [python, str(REPO / "bench" / "mcp_tokens.py")], cwd=REPO, env=env, capture_output=True, text=True
        )
        first = tokens.stdout.strip().splitlines()[0] if tokens.stdout.strip() else tokens.stderr[-300:]
        rows.append(("MCP tools/list size", first.removeprefix("tools/list: "), ""))
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print_table(rows)
    return 0


def print_table(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    print()
    print(f"| {'figure'.ljust(width)} | value | note |")
    print(f"|{'-' * (width + 2)}|---|---|")
    for name, value, note in rows:
        print(f"| {name.ljust(width)} | {value} | {note} |")


if __name__ == "__main__":
    sys.exit(main())
