"""`manage.py backfill`: announcement days only, a progress bar, a pause between fetches,
and a second run that continues where the first stopped."""

import datetime

import pytest
from django.core.management import CommandError, call_command

from digest.management.commands import backfill
from digest.models import DailyDigest, PipelineRun
from tests.conftest import DEMO_DAY

FRIDAY, MONDAY = datetime.date(2025, 5, 23), datetime.date(2025, 5, 26)
RANGE = ["--from", "2025-05-23", "--to", "2025-05-27"]  # Friday to Tuesday


@pytest.fixture
def pauses(monkeypatch):
    """The pauses the command takes, instead of taking them."""
    taken = []
    monkeypatch.setattr(backfill.time, "sleep", taken.append)
    return taken


@pytest.mark.django_db
def test_backfill_builds_every_announcement_day_with_a_progress_bar(make_day, pauses, capsys):
    for day in (FRIDAY, MONDAY, DEMO_DAY):
        make_day(6, day=day)
    call_command("backfill", *RANGE)
    out = capsys.readouterr().out
    assert "Backfilling 3 announcement days from 2025-05-23 to 2025-05-27" in out
    assert "(no announcement on 2 of the 5 dates)" in out
    assert "[#######.............] 1/3 2025-05-23  ingest listed 6" in out
    assert "[####################] 3/3 2025-05-27" in out and "Backfilled 3 days." in out
    published = DailyDigest.objects.published().values_list("date", flat=True)
    assert sorted(published) == [FRIDAY, MONDAY, DEMO_DAY]
    assert pauses == [3, 3]  # arXiv's interval, between days that fetched, none after the last


@pytest.mark.django_db
def test_a_second_run_continues_where_the_first_stopped(make_day, pauses, capsys):
    for day in (FRIDAY, DEMO_DAY):
        make_day(6, day=day)
    with pytest.raises(CommandError, match=r"1 of 3 days failed \(2025-05-26\)"):
        call_command("backfill", *RANGE, "--pause", "0")
    assert "2025-05-26  failed: NoDataError: No data for 2025-05-26" in capsys.readouterr().out
    assert DailyDigest.objects.published().count() == 2
    done = set(PipelineRun.objects.values_list("pk", flat=True))

    make_day(6, day=MONDAY)
    pauses.clear()
    call_command("backfill", *RANGE)
    out = capsys.readouterr().out
    assert out.count("ingest done already  classify done already") == 2
    assert DailyDigest.objects.published().count() == 3
    new = PipelineRun.objects.exclude(pk__in=done)
    assert set(new.values_list("date", flat=True)) == {MONDAY} and new.count() == 4
    assert pauses == [3]  # only Monday reached the source


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--from", "2025-05-27", "--to", "2025-05-23"],
            "--from 2025-05-27 is after --to 2025-05-23",
        ),
        (["--from", "2025-5-1", "--to", "2025-05-23"], "Invalid date '2025-5-1'"),
        (["--from", "2025-05-23", "--to", "2999-01-01"], "2999-01-01 is in the future"),
        ([*RANGE, "--pause", "-1"], "--pause cannot be negative"),
    ],
)
def test_bad_input_is_refused_with_one_line_and_changes_nothing(make_day, arguments, message):
    make_day(6, day=FRIDAY)
    with pytest.raises(CommandError, match=message):
        call_command("backfill", *arguments)
    assert not PipelineRun.objects.exists()
