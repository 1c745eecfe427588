"""Run every benchmark in bench/ and write docs/benchmarks.md: one table of their figures, each
against the target an issue set for it, so the numbers can be seen rather than taken on faith.

Each script runs in its own process (its output streamed here, prefixed with its name) and ends
with one line of key=value pairs, which is read. A script that fails is shown failed, with its
exit code and the end of its stderr, and the others still run; the command then exits 1.
Run: DEBUG=1 DATABASE_URL=postgres://… CELERY_BROKER_URL=redis://… uv run python bench/run_all.py
     [--quick] [--out docs/benchmarks.md]   (`make bench`, `make bench QUICK=1`)
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.targets import ROWS, Row  # noqa: E402

STDERR_LINES = 5  # of a failed script, shown in the table


@dataclass(frozen=True)
class Script:
    name: str  # file in bench/
    args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] | None = None  # None: the same in quick mode


# pages.py in quick mode: a month of days instead of a year (~25,000 papers instead of 300,000).
SCRIPTS = [
    Script("ingest.py"),
    Script("classify.py"),
    Script("classify_llm_cost.py"),
    Script("build_day.py"),
    Script("worker_day.py"),
    Script("chart_image.py"),
    Script("llm_cost.py"),
    Script("related.py"),
    Script("pages.py", ("--gc-freeze",), ("--gc-freeze", "--days", "30")),
    Script("search_quality.py"),
    Script("followers_send.py"),
]


@dataclass
class Run:
    script: str
    returncode: int
    seconds: float
    figures: dict[str, float | str] = field(default_factory=dict)
    stderr_tail: list[str] = field(default_factory=list)
    error: str = ""  # why the run counts as failed beyond its exit code

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.error


def parse_figures(line: str) -> dict[str, float | str]:
    """The script's last line, `key=value key=value …`; numbers become floats."""
    figures: dict[str, float | str] = {}
    for pair in line.split():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"not a key=value pair: {pair!r}")
        try:
            figures[key] = float(value)
        except ValueError:
            figures[key] = value
    if not figures:
        raise ValueError("an empty line")
    return figures


def run_script(path: Path, args: tuple[str, ...] = (), echo=print) -> Run:
    """Run one script, echoing its stdout and stderr as they come, and read its last line."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(path), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    last = [""]
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)

    def pump(stream, keep) -> None:
        for line in stream:
            line = line.rstrip("\n")
            echo(f"  {path.stem}: {line}")
            keep(line)

    threads = [
        threading.Thread(target=pump, args=(process.stdout, _keep_last(last))),
        threading.Thread(target=pump, args=(process.stderr, tail.append)),
    ]
    for thread in threads:
        thread.start()
    returncode = process.wait()
    for thread in threads:
        thread.join()
    run = Run(path.name, returncode, time.perf_counter() - started, stderr_tail=list(tail))
    if returncode == 0:
        try:
            run.figures = parse_figures(last[0])
        except ValueError as exc:
            run.error = f"its last line is not key=value pairs ({exc})"
    return run


def _keep_last(box: list[str]):
    def keep(line: str) -> None:
        if line.strip():
            box[0] = line

    return keep


def machine(load: tuple[float, ...]) -> dict[str, str]:
    """What the figures were measured on: cores, CPU, load, commit, date."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "commit": commit,
        "load_start": " / ".join(f"{x:.2f}" for x in load),
    }


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def evaluate(row: Row, run: Run | None, busy: bool) -> tuple[str, str]:
    """(measured, status) of one row."""
    if run is None:
        return "not run", "—"
    if not run.ok:
        return "not measured", f"**failed**: {run.script} did not finish"
    try:
        measured = row.measured.format_map(run.figures)
    except (KeyError, ValueError) as exc:
        return "not printed", f"**missing**: {run.script} printed no {exc}"
    if row.target is None:
        return measured, ""
    value = run.figures[row.key]
    if row.target.met(value):
        return measured, "met"
    reasons = [row.target.reason] if row.target.reason else []
    if row.target.timing and busy:
        reasons.append("the machine was shared with other work (load average above)")
    elif row.target.timing:
        reasons.append("the machine was quiet, so not its load: to be looked into")
    gap = f"**{row.target.gap(value)}**"
    return measured, gap + (": " + "; ".join(reasons) if reasons else "")


def render(runs: list[Run], info: dict[str, str], mode: str, command: str) -> str:
    """docs/benchmarks.md: the machine, then one table, then every script's raw last line."""
    by_script = {run.script: run for run in runs}
    load = [float(x) for x in info["load_start"].split(" / ") + info["load_end"].split(" / ")]
    busy = max(load) > int(info["cores"])
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{command}` (`bench/run_all.py`) in **{mode}** mode; do not edit by hand.",
        "",
        f"- Date: {info['date']}; commit `{info['commit']}`",
        f"- Machine: {info['cores']} cores, {info['cpu']}; Python {info['python']}; "
        "PostgreSQL and Redis on 127.0.0.1",
        f"- Load average (1 / 5 / 15 min): {info['load_start']} at the start, "
        f"{info['load_end']} at the end"
        + (" — the machine was busy with other work, so timings are noisy" if busy else ""),
        f"- Wall time of the whole run: {info['total']}",
        "",
        "Ratios are to a baseline measured in the same run (a bare parse, the minimal Django "
        "view), so they travel between machines better than the absolute times. Targets cite "
        "the issue that set them.",
        "",
        "| Figure | Measured | Target | Status |",
        "|---|---|---|---|",
    ]
    for script in dict.fromkeys([s.name for s in SCRIPTS] + list(by_script)):
        run = by_script.get(script)
        if run is None:
            continue
        if run.ok:
            head = f"ran in {run.seconds:.0f} s", "ok"
        else:
            why = run.error or f"exit {run.returncode}"
            tail = "<br>".join(f"`{line}`" for line in run.stderr_tail) or "no stderr"
            head = f"{why} after {run.seconds:.0f} s: {tail}", "**failed**"
        lines.append(f"| **bench/{script}** | {cell(head[0])} |  | {head[1]} |")
        for row in ROWS:
            if row.script == script:
                measured, status = evaluate(row, run, busy)
                target = row.target.text() if row.target else ""
                lines.append(f"| {cell(row.label)} | {cell(measured)} | {target} | {status} |")
    lines += ["", "## Each script's last line", ""]
    for run in runs:
        raw = " ".join(f"{k}={_plain(v)}" for k, v in run.figures.items()) or "(none)"
        lines += [f"- `bench/{run.script}`: `{raw}`"]
    return "\n".join(lines) + "\n"


def _plain(value: float | str) -> str:
    return f"{value:g}" if isinstance(value, float) else value


def execute(scripts: list[Script], quick: bool, out: Path, command: str, echo=print) -> int:
    """Run the scripts in order, write the report, and return 1 if any failed."""
    info = machine(os.getloadavg())
    started = time.perf_counter()
    runs = []
    for script in scripts:
        args = script.quick_args if quick and script.quick_args is not None else script.args
        echo(f"== bench/{script.name} {' '.join(args)}".rstrip())
        run = run_script(REPO / "bench" / script.name, args, echo)
        status = "ok" if run.ok else f"FAILED ({run.error or f'exit {run.returncode}'})"
        echo(f"== bench/{script.name}: {status} in {run.seconds:.1f} s")
        runs.append(run)
    minutes, seconds = divmod(round(time.perf_counter() - started), 60)
    info |= {
        "load_end": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
        "total": f"{minutes} min {seconds} s",
    }
    text = render(runs, info, "quick" if quick else "full", command)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    echo(text)
    echo(f"Written to {out}")
    failed = [run.script for run in runs if not run.ok]
    if failed:
        echo(f"Failed: {', '.join(failed)}")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a month of days for pages.py")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args()
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database (make bench sets it).")
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        sys.exit("CELERY_BROKER_URL must name a Redis database (make bench sets it).")
    command = "make bench QUICK=1" if args.quick else "make bench"
    sys.exit(execute(SCRIPTS, args.quick, args.out, command))


if __name__ == "__main__":
    main()
