"""Operations without a worker: where a day resumes, claims that survive interruptions, which
errors are worth a retry, the summarise stage's parallel parts, the schedule and its setup,
the run history and the Editors group, and structured logs."""

import datetime
import json
import logging
import os
import subprocess
import sys
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import IntegrityError, InterfaceError, OperationalError
from django_celery_beat.models import PeriodicTask

from config.logs import JsonFormatter
from digest import pipeline, runs, schedule
from digest.ingest import IncompleteDay
from digest.models import DailyDigest, PipelineRun
from llm.client import LLMError
from papers.models import Category, Paper
from papers.sources import NoDataError, SourceError, TransientError
from summaries.models import CategorySummary
from tests.conftest import DEMO_DAY, REFERENCE_DAY, REPO

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


# Where a day resumes


def test_a_published_day_has_nothing_left_to_run(reference_day):
    assert runs.next_stage(REFERENCE_DAY) is None
    assert all(runs.is_done(REFERENCE_DAY, stage) for stage in pipeline.STAGES)
    assert runs.next_stage(DEMO_DAY) == "ingest"


def test_rerunning_a_stage_makes_the_stages_after_it_pending(reference_day):
    pipeline.run_stage(REFERENCE_DAY, "classify")
    assert runs.next_stage(REFERENCE_DAY) == "summarise"
    assert runs.is_done(REFERENCE_DAY, "classify")
    assert not runs.is_done(REFERENCE_DAY, "publish")


def test_resuming_skips_what_is_done_and_leaves_no_trace(reference_day):
    before = list(PipelineRun.objects.values_list("pk", "status"))
    for stage in pipeline.STAGES:
        assert pipeline.run_stage(REFERENCE_DAY, stage, resume=True) is None
    assert list(PipelineRun.objects.values_list("pk", "status")) == before


def test_a_failed_stage_keeps_what_came_before_and_is_where_the_day_resumes(make_day):
    make_day(10)
    pipeline.run_stage(DEMO_DAY, "ingest")
    Category.objects.filter(slug="other").update(is_active=False)  # classify needs it
    with pytest.raises(Exception, match="'other' category"):
        pipeline.run_stage(DEMO_DAY, "classify")
    assert runs.next_stage(DEMO_DAY) == "classify"
    assert DailyDigest.objects.get().papers.count() == 10

    Category.objects.filter(slug="other").update(is_active=True)
    ran = [s for s in pipeline.STAGES if pipeline.run_stage(DEMO_DAY, s, resume=True) is not None]
    assert ran == ["classify", "summarise", "publish"]
    assert PipelineRun.objects.filter(stage="ingest").count() == 1


def test_a_day_stored_short_of_its_listing_is_ingested_again(reference_day):
    # What an ingest records when arXiv's API left some of the listed papers out.
    PipelineRun.objects.filter(stage="ingest").update(counts={"stored": 10, "complete": False})
    assert runs.next_stage(REFERENCE_DAY) == "ingest"
    assert pipeline.run_stage(REFERENCE_DAY, "ingest", resume=True)["complete"] is True
    assert runs.next_stage(REFERENCE_DAY) == "classify"


def test_summaries_left_marked_for_regeneration_are_where_the_day_resumes(reference_day):
    """After a Claude outage the offline fallbacks stand in, marked: the retry pass must write
    them again once it is over, without touching an editor's locked summary."""
    summaries = CategorySummary.objects.on_day(REFERENCE_DAY)
    fallback, edited = summaries.order_by("pk")[:2]
    summaries.filter(pk=edited.pk).update(locked=True)
    summaries.filter(pk__in=[fallback.pk, edited.pk]).mark_for_regeneration("Claude failed: 529")
    assert runs.next_stage(REFERENCE_DAY) == "summarise"

    ran = [s for s in pipeline.STAGES if pipeline.run_stage(REFERENCE_DAY, s, resume=True)]
    assert ran == ["summarise", "publish"]
    fallback.refresh_from_db()
    assert not fallback.needs_regeneration and not fallback.regeneration_reason
    assert summaries.get(pk=edited.pk).needs_regeneration  # locked: left for the editor
    assert runs.next_stage(REFERENCE_DAY) is None


def test_a_day_without_an_announcement_is_done_after_ingest():
    saturday = datetime.date(2024, 11, 16)
    pipeline.run_stage(saturday, "ingest")
    assert runs.next_stage(saturday) is None


# Claims


def test_an_interrupted_stage_releases_its_claim(make_day):
    make_day(3)
    run = runs.start(DEMO_DAY, "ingest")

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runs.execute(run, interrupted)
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "KeyboardInterrupt")
    assert pipeline.run_stage(DEMO_DAY, "ingest")["created"] == 3


def test_a_claim_taken_over_is_left_to_its_new_holder(make_day, settings):
    make_day(3)
    slow = runs.claim(DEMO_DAY, "ingest")
    settings.DIGEST_STAGE_TIMEOUT = 0  # the claim looks abandoned at once
    pipeline.run_stage(DEMO_DAY, "ingest")
    runs.succeed(slow, {"late": 1})  # the first holder finishing after all
    slow.refresh_from_db()
    assert slow.status == "failed" and slow.error.startswith("Abandoned")
    assert PipelineRun.objects.filter(status="succeeded").get().counts["created"] == 3


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (TransientError("arXiv answered 503"), True),
        (IncompleteDay("12 of 40 stored", retryable=True), True),
        (IncompleteDay("listing malformed", retryable=False), False),
        (LLMError("overloaded", retryable=True), True),
        (LLMError("invalid request", retryable=False), False),
        (SourceError("arxiv.jsonl:3: malformed paper record"), False),
        (NoDataError("No data for 2025-05-28"), False),
        (OperationalError("server closed the connection unexpectedly"), True),
        (InterfaceError("connection already closed"), True),
        (IntegrityError("duplicate key"), False),
        (ConnectionResetError(), True),
        (TimeoutError(), True),
        (runs.PipelineError("run ingest first"), False),
        (ValueError("no category yet"), False),
    ],
)
def test_only_errors_that_may_pass_are_transient(error, transient):
    assert runs.is_transient(error) is transient


# The summarise stage in parallel: its parts, called as the chord calls them


def test_the_parallel_parts_write_what_the_sequential_stage_writes(make_day):
    make_day(40)
    for stage in ("ingest", "classify"):
        pipeline.run_stage(DEMO_DAY, stage)
    categories = pipeline.summary_categories(DEMO_DAY)
    assert len(categories) > 2
    shares = [pipeline.summarise_share(DEMO_DAY, category) for category in categories]
    counts = pipeline.finish_summarise(DEMO_DAY, shares)
    assert counts["written"] == counts["categories"] == len(categories)
    digest = DailyDigest.objects.get()
    assert digest.status == "summarised"
    assert sorted(digest.summaries.values_list("category", flat=True)) == categories
    # The sequential stage finds nothing to do.
    assert pipeline.summarise(DEMO_DAY)["unchanged"] == len(categories)


def test_a_failed_share_fails_the_stage_and_keeps_the_others(make_day):
    make_day(40)
    for stage in ("ingest", "classify"):
        pipeline.run_stage(DEMO_DAY, stage)
    first, *_ = pipeline.summary_categories(DEMO_DAY)
    shares = [
        pipeline.summarise_share(DEMO_DAY, first),
        {"error": "category 7: OperationalError: server closed the connection"},
    ]
    with pytest.raises(runs.PipelineError, match="1 of 2 categories failed: category 7"):
        pipeline.finish_summarise(DEMO_DAY, shares)
    assert CategorySummary.objects.get().category_id == first


def test_finishing_removes_summaries_of_categories_left_without_papers(reference_day):
    digest = DailyDigest.objects.get()
    sizes = Counter(digest.papers.values_list("category", flat=True))
    emptied = min(sizes, key=sizes.get)
    for paper in Paper.objects.filter(category=emptied):
        paper.assign_by_editor(Category.objects.exclude(pk=emptied).first())
        paper.save()
    categories = pipeline.summary_categories(REFERENCE_DAY)
    shares = [pipeline.summarise_share(REFERENCE_DAY, category) for category in categories]
    assert pipeline.finish_summarise(REFERENCE_DAY, shares)["removed"] == 1
    assert not digest.summaries.filter(category=emptied).exists()


# The schedule


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (datetime.datetime(2024, 11, 13, 21, 30, tzinfo=NEW_YORK), "2024-11-14"),  # Wednesday
        (datetime.datetime(2024, 11, 13, 19, 59, tzinfo=NEW_YORK), "2024-11-13"),  # before 20:00
        (datetime.datetime(2024, 11, 17, 21, 30, tzinfo=NEW_YORK), "2024-11-18"),  # Sunday
        (datetime.datetime(2025, 5, 26, 21, 30, tzinfo=NEW_YORK), "2025-05-27"),  # summer time
    ],
)
def test_the_daily_run_builds_the_announcement_just_published(now, day):
    assert schedule.evening_date(now).isoformat() == day
    assert schedule.latest_announcement_day(now).isoformat() == day


def test_on_a_holiday_the_daily_run_builds_its_date_without_an_announcement():
    christmas_eve = datetime.datetime(2024, 12, 24, 21, 30, tzinfo=NEW_YORK)
    assert schedule.evening_date(christmas_eve).isoformat() == "2024-12-25"
    assert schedule.latest_announcement_day(christmas_eve).isoformat() == "2024-12-24"
    pipeline.run_stage(datetime.date(2024, 12, 25), "ingest")
    assert DailyDigest.objects.get().status == "no_announcement"


@pytest.mark.parametrize(
    "now",
    [
        datetime.datetime(2024, 11, 15, 21, 30, tzinfo=NEW_YORK),  # Friday evening
        datetime.datetime(2024, 11, 17, 10, 0, tzinfo=NEW_YORK),  # Sunday morning
    ],
)
def test_over_the_weekend_the_latest_announcement_is_fridays(now):
    assert schedule.latest_announcement_day(now).isoformat() == "2024-11-15"


def test_the_retry_pass_finds_the_recent_days_that_did_not_finish(make_day):
    for day in (datetime.date(2025, 5, 23), datetime.date(2025, 5, 26), DEMO_DAY):
        make_day(5, day=day)
    pipeline.build_digest(datetime.date(2025, 5, 23))
    pipeline.run_stage(DEMO_DAY, "ingest")
    # 00:45 after Tuesday's announcement, the scheduled pass: 2025-05-28 was announced.
    now = datetime.datetime(2025, 5, 28, 0, 45, tzinfo=NEW_YORK)
    assert schedule.unfinished_days(now, 4) == [
        (datetime.date(2025, 5, 26), "ingest"),
        (DEMO_DAY, "classify"),
        (datetime.date(2025, 5, 28), "ingest"),
    ]


@pytest.mark.parametrize(
    ("now", "korean"),
    [
        ("2024-11-13 12:00Z", "2024-11-14 11:30"),  # New York on standard time
        ("2025-06-02 12:00Z", "2025-06-03 10:30"),  # and on daylight saving time
    ],
)
def test_setup_creates_the_schedule_in_new_york_time_and_shows_it_in_korean(capsys, now, korean):
    with time_machine.travel(now, tick=False):
        call_command("setup_defaults")
    daily = PeriodicTask.objects.select_related("crontab").get(task="digest.tasks.build_latest_day")
    crontab = daily.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "21", "0-4")
    assert str(crontab.timezone) == "America/New_York" and daily.enabled
    resume = PeriodicTask.objects.select_related("crontab").get(
        task="digest.tasks.resume_recent_days"
    )
    # After midnight New York time, when rss.arxiv.org shows the evening's listing.
    assert (resume.crontab.minute, resume.crontab.hour) == ("45", "0")
    assert f"next run {korean} Korean time" in capsys.readouterr().out


def test_setup_never_overwrites_what_editors_changed(capsys):
    call_command("setup_defaults")
    daily = PeriodicTask.objects.get(task="digest.tasks.build_latest_day")
    daily.crontab.hour = "22"
    daily.crontab.save()
    PeriodicTask.objects.filter(task="digest.tasks.resume_recent_days").update(enabled=False)
    editors = Group.objects.get(name="Editors")
    editors.permissions.remove(editors.permissions.get(codename="add_category"))
    capsys.readouterr()

    call_command("setup_defaults")
    out = capsys.readouterr().out
    assert out.count("left as it is") == 4  # three schedule entries and the group
    daily.refresh_from_db()
    assert daily.crontab.hour == "22"
    assert not PeriodicTask.objects.get(task="digest.tasks.resume_recent_days").enabled
    assert not editors.permissions.filter(codename="add_category").exists()


# The run history and who may use it


def test_the_run_history_shows_counts_tokens_cost_and_errors(
    admin_client, reference_day, data_dir, django_assert_num_queries
):
    with pytest.raises(NoDataError):
        pipeline.run_stage(datetime.date(2025, 5, 28), "ingest")
    with django_assert_num_queries(7):
        response = admin_client.get("/admin/digest/pipelinerun/")
    page = response.content.decode()
    assert "classified 12" in page and "0 / 0" in page and "0.0000" in page
    assert "NoDataError: No data for 2025-05-28" in page
    # More runs, the same queries.
    pipeline.run_stage(REFERENCE_DAY, "classify")
    with django_assert_num_queries(7):
        admin_client.get("/admin/digest/pipelinerun/")


@pytest.fixture
def editor(client, django_user_model):
    call_command("setup_defaults")
    user = django_user_model.objects.create_user("editor", password="-", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/papers/category/",
        "/admin/papers/category/1/change/",
        "/admin/papers/paper/",
        "/admin/summaries/categorysummary/",
        "/admin/digest/dailydigest/",
        "/admin/digest/pipelinerun/",
    ],
)
def test_editors_work_on_the_content_and_the_runs(editor, reference_day, url):
    assert editor.get(url).status_code == 200


def test_editors_may_rerun_stages(editor, reference_day):
    response = editor.get("/admin/digest/pipelinerun/")
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert {"rerun_stages", "rerun_dates"} <= set(actions)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/user/",
        "/admin/auth/group/",
        "/admin/django_celery_beat/periodictask/",
        "/admin/django_celery_beat/crontabschedule/",
    ],
)
def test_editors_never_touch_users_or_settings(editor, url):
    assert editor.get(url).status_code == 403


def test_readers_never_see_the_admin(client, django_user_model, reference_day):
    assert client.get("/admin/").url.startswith("/admin/login/")
    reader = django_user_model.objects.create_user("reader", password="-")
    client.force_login(reader)
    assert client.get("/admin/digest/pipelinerun/").url.startswith("/admin/login/")
    assert "/admin/" not in client.get(f"/days/{REFERENCE_DAY}/").content.decode()


# Structured logs


def test_log_lines_are_json_with_the_runs_fields(make_day, caplog):
    make_day(3)
    with caplog.at_level(logging.INFO, logger="digest.runs"):
        pipeline.run_stage(DEMO_DAY, "ingest")
        with pytest.raises(runs.PipelineError):
            pipeline.run_stage(REFERENCE_DAY, "classify")
    succeeded, failed = (json.loads(JsonFormatter().format(r)) for r in caplog.records)
    assert succeeded["level"] == "INFO" and succeeded["logger"] == "digest.runs"
    assert (succeeded["date"], succeeded["stage"]) == ("2025-05-27", "ingest")
    assert succeeded["counts"]["created"] == 3 and succeeded["seconds"] >= 0
    assert succeeded["time"].endswith("+00:00")
    assert failed["level"] == "WARNING" and "run ingest first" in failed["error"]


# Production settings


@pytest.mark.parametrize(("cookies", "issues"), [("1", "no issues"), ("0", "security.W012")])
def test_production_settings_pass_the_deploy_check(cookies, issues):
    """What CI runs: DEBUG=0 with a key and a host, everything else from the defaults. Cookies
    sent over plain HTTP (the compose try-out) are what the check flags."""
    env = os.environ | {
        "DEBUG": "0",
        "SECRET_KEY": "a-long-production-like-key-" + "x" * 40,
        "ALLOWED_HOSTS": "digest.example.org",
        "SECURE_COOKIES": cookies,
    }
    check = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(check, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert (result.returncode == 0) is (cookies == "1")
    assert issues in result.stdout + result.stderr
