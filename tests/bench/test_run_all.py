"""bench/run_all.py: reading a script's last line, judging targets, and writing the report,
including a script that fails. Real subprocesses; no timings are asserted."""

import textwrap

import pytest

from bench import run_all, targets
from bench.run_all import Run, Script
from bench.targets import Row, Target


def test_the_last_line_is_read_as_numbers_and_words():
    figures = run_all.parse_figures("papers=649 ratio=2.45 database=postgresql targets_met=no")
    assert figures == {
        "papers": 649.0,
        "ratio": 2.45,
        "database": "postgresql",
        "targets_met": "no",
    }


@pytest.mark.parametrize("line", ["", "took 3 s", "papers=649 done", "=3"])
def test_a_line_that_is_not_key_value_pairs_is_refused(line):
    with pytest.raises(ValueError):
        run_all.parse_figures(line)


@pytest.mark.parametrize(
    ("target", "measured", "met"),
    [
        (Target("<", 100, 6, " ms"), 99.9, True),
        (Target("<", 100, 6, " ms"), 100, False),
        (Target(">=", 0.5, 6), 0.5, True),
        (Target(">=", 0.5, 6), 0.49, False),
        (Target("<=", 20, 3), 13, True),
        (Target("==", 0, 9), 1, False),
    ],
)
def test_targets_are_judged_by_their_comparison(target, measured, met):
    assert target.met(measured) is met


def test_a_missed_target_shows_its_gap_and_reason_and_load_only_for_timings():
    slow = Row("pages.py", "p99", "{p99:.0f} ms", "p99", Target("<", 100, 6, " ms"))
    run = Run("pages.py", 0, 1.0, figures={"p99": 130.0})
    quiet = run_all.evaluate(slow, run, busy=False)
    assert quiet == (
        "130 ms",
        "**missed by 30 ms**: the machine was quiet, so not its load: to be looked into",
    )
    status = run_all.evaluate(slow, run, busy=True)[1]
    assert status.startswith("**missed by 30 ms**: ") and "load average" in status

    f1 = Row(
        "c.py", "F1", "{f1:.2f}", "f1", Target(">=", 0.8, 4, reason="few labels", timing=False)
    )
    assert run_all.evaluate(f1, Run("c.py", 0, 1.0, figures={"f1": 0.76}), busy=True) == (
        "0.76",
        "**missed by 0.04**: few labels",
    )
    assert run_all.evaluate(f1, Run("c.py", 0, 1.0, figures={"f1": 0.81}), busy=True)[1] == "met"


def test_a_figure_the_script_did_not_print_is_shown_missing():
    row = Row("c.py", "F1", "{f1:.2f}", "f1", Target(">=", 0.8, 4))
    measured, status = run_all.evaluate(row, Run("c.py", 0, 1.0, figures={"other": 1.0}), False)
    assert measured == "not printed" and "missing" in status and "f1" in status


def write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_a_script_is_run_its_output_streamed_and_its_last_line_read(tmp_path):
    script = write(
        tmp_path,
        "fine.py",
        """
        import sys
        print("warming up")
        print("progress", file=sys.stderr)
        print("papers=649 seconds=1.25")
        print()
        """,
    )
    echoed = []
    run = run_all.run_script(script, echo=echoed.append)
    assert run.ok and run.figures == {"papers": 649.0, "seconds": 1.25}
    assert "  fine: warming up" in echoed and "  fine: progress" in echoed


def test_a_failing_script_keeps_its_exit_code_and_last_stderr_lines(tmp_path):
    script = write(
        tmp_path,
        "broken.py",
        """
        import sys
        for n in range(10):
            print(f"line {n}", file=sys.stderr)
        print("half=1")
        sys.exit(3)
        """,
    )
    run = run_all.run_script(script, echo=lambda line: None)
    assert not run.ok and run.returncode == 3 and run.figures == {}
    assert run.stderr_tail == [f"line {n}" for n in range(10 - run_all.STDERR_LINES, 10)]


def test_a_script_without_a_key_value_line_counts_as_failed(tmp_path):
    run = run_all.run_script(write(tmp_path, "chatty.py", 'print("done")\n'), echo=lambda _: None)
    assert run.returncode == 0 and not run.ok and "key=value" in run.error


INFO = {
    "date": "2026-11-24 05:00 UTC",
    "cores": "2",
    "cpu": "AMD EPYC",
    "python": "3.12.3",
    "commit": "abc123",
    "load_start": "0.50 / 0.40 / 0.30",
    "load_end": "3.10 / 1.20 / 0.90",
    "total": "1 min 2 s",
}


def test_the_report_shows_met_targets_and_a_failed_script_with_its_stderr():
    ingest = Run(
        "ingest.py",
        0,
        40.0,
        figures={
            "real_day_store_parse_ratio": 2.45,
            "store_parse_ratio": 3.4,
            "ingest_seconds": 1.5,
            "papers_per_second": 1000.0,
            "store_queries": 13.0,
        },
    )
    pages = Run("pages.py", 1, 12.0, stderr_tail=["Traceback (most recent call last):", "a|b"])
    text = run_all.render([ingest, pages], INFO, "quick", "make bench QUICK=1")

    assert "**quick** mode" in text and "2 cores, AMD EPYC" in text and "`abc123`" in text
    assert "3.10 / 1.20 / 0.90 at the end — the machine was busy" in text
    lines = text.splitlines()
    assert "| **bench/ingest.py** | ran in 40 s |  | ok |" in lines
    assert "| Store ÷ bare parse, real 649-paper day | 2.45× | < 3× (#3) | met |" in lines
    missed = next(line for line in lines if line.startswith("| Store ÷ bare parse, 1,500"))
    assert "**missed by 0.4×**" in missed and "load average" in missed
    assert "≥ 300,000 papers (#6)" in text
    failed = next(line for line in lines if line.startswith("| **bench/pages.py**"))
    assert "exit 1 after 12 s" in failed and "`a\\|b`" in failed and "**failed**" in failed
    p99 = next(line for line in lines if line.startswith("| Search: p99 "))
    assert "not measured" in p99 and "< 150 ms (#6)" in p99 and "**failed**" in p99
    assert not any("bench/classify.py" in line for line in lines)  # not run, not shown


def test_every_row_belongs_to_a_script_that_is_run_and_targets_name_their_figure():
    names = {script.name for script in run_all.SCRIPTS}
    for row in targets.ROWS:
        assert row.script in names
        if row.target:
            assert row.key and "{" + row.key in row.measured


def test_the_command_writes_the_report_and_fails_if_any_script_failed(tmp_path, monkeypatch):
    bench = tmp_path / "bench"
    bench.mkdir()
    write(bench, "fine.py", 'import sys\nprint(f"arguments={len(sys.argv) - 1}")\n')
    write(bench, "broken.py", 'import sys\nsys.exit("no database")\n')
    monkeypatch.setattr(run_all, "REPO", tmp_path)
    out = tmp_path / "docs" / "benchmarks.md"
    scripts = [Script("broken.py"), Script("fine.py", ("--slow",), quick_args=())]
    code = run_all.execute(scripts, quick=True, out=out, command="t", echo=lambda _: None)
    text = out.read_text()
    assert code == 1
    assert "| **bench/broken.py** | exit 1 after" in text and "`no database`" in text
    assert "| **bench/fine.py** | ran in" in text
    assert "`bench/fine.py`: `arguments=0`" in text  # its quick arguments, none
