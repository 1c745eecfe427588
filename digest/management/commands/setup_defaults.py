"""Create the default beat schedule and the Editors group, once; what exists is left alone.

Run at every start of the web container (docker-compose.yml): an editor's change to the
schedule or the group survives restarts, and a fresh database gets working defaults.
"""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

# arXiv announces Sunday to Thursday at 20:00 New York time; the build starts 90 minutes later,
# and a pass after midnight (when rss.arxiv.org shows the new listing, if the evening build
# found it not there yet) resumes the recent days that did not finish. Crontabs keep New York
# time, so daylight saving time is followed; the run history is stored in UTC, shown in KST.
NEW_YORK = "America/New_York"
SCHEDULE = [
    {
        "name": "Build the day's digest",
        "task": "digest.tasks.build_latest_day",
        "crontab": {"minute": "30", "hour": "21", "day_of_week": "0-4"},
        "description": "21:30 New York time, Sunday to Thursday (10:30 or 11:30 the next "
        "morning in Korea): builds the announcement day arXiv has just published.",
    },
    {
        "name": "Refresh popularity",
        "task": "digest.tasks.refresh_popularity",
        "crontab": {"minute": "30", "hour": "22", "day_of_week": "0-4"},
        "description": "22:30 New York time, Sunday to Thursday, an hour after the build: "
        "reads the Hugging Face upvotes, comments and GitHub stars of the last 7 announcement "
        "days' papers again, for the rising list.",
    },
    {
        "name": "Resume unfinished days",
        "task": "digest.tasks.resume_recent_days",
        "crontab": {"minute": "45", "hour": "0", "day_of_week": "*"},
        "description": "00:45 New York time, daily, after rss.arxiv.org has moved to the new "
        "listing: resumes every recent announcement day that is not published, from the first "
        "stage that is not done.",
    },
]

# Editors change categories, classifications (a paper's category), summaries and TL;DRs, and
# re-run pipeline stages ("change" on a run); never users, groups or the schedule.
EDITORS = "Editors"
EDITOR_PERMISSIONS = {
    "papers": ["view_category", "add_category", "change_category", "view_paper", "change_paper"],
    "summaries": [
        "view_categorysummary",
        "change_categorysummary",
        "view_paperbrief",
        "change_paperbrief",
    ],
    "digest": ["view_dailydigest", "view_pipelinerun", "change_pipelinerun"],
}


class Command(BaseCommand):
    help = "Create the default beat schedule and the Editors group unless they exist."

    @transaction.atomic
    def handle(self, *args, **options):
        for entry in SCHEDULE:
            self._schedule(entry)
        self._editors()

    def _schedule(self, entry: dict) -> None:
        task = PeriodicTask.objects.filter(name=entry["name"]).first()
        if task is not None:
            self.stdout.write(f"Schedule {task.name!r} exists; left as it is.")
            return
        crontab, _ = CrontabSchedule.objects.get_or_create(
            **entry["crontab"], day_of_month="*", month_of_year="*", timezone=NEW_YORK
        )
        task = PeriodicTask.objects.create(
            name=entry["name"],
            task=entry["task"],
            crontab=crontab,
            description=entry["description"],
        )
        upcoming = crontab.due_start_time(timezone.now(), crontab.timezone)
        self.stdout.write(
            f"Scheduled {task.name!r}: {crontab}; next run "
            f"{timezone.localtime(upcoming):%Y-%m-%d %H:%M} Korean time."
        )

    def _editors(self) -> None:
        group, created = Group.objects.get_or_create(name=EDITORS)
        if not created:
            self.stdout.write(f"Group {EDITORS!r} exists; left as it is.")
            return
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codenames in EDITOR_PERMISSIONS.items()
            for codename in codenames
        ]
        group.permissions.set(permissions)
        self.stdout.write(
            f"Created group {EDITORS!r} with {len(permissions)} permissions; add editors to it "
            "and mark them as staff so they can log in to the admin."
        )
