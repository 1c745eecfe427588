"""The followers' beat entries, created once (an editor's change in the admin is kept): the
sweep that dispatches the recent days again, and forgetting unconfirmed addresses."""

from django.db import migrations

ENTRIES = [
    {
        "name": "Followers: send what is due",
        "task": "followers.tasks.sweep",
        "every": 10 * 60,
        "description": "Every 10 minutes: dispatches the recently published days again "
        "(idempotent), so deliveries a lost trigger never queued, deferred ones and ones a "
        "dead worker left are sent.",
    },
    {
        "name": "Followers: forget unconfirmed addresses",
        "task": "followers.tasks.forget_unconfirmed",
        "every": 6 * 60 * 60,
        "description": "Every 6 hours: deletes subscriptions not confirmed within "
        "FOLLOWERS_CONFIRM_DAYS.",
    },
]


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for entry in ENTRIES:
        if PeriodicTask.objects.filter(name=entry["name"]).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=entry["every"], period="seconds")
        PeriodicTask.objects.create(
            name=entry["name"],
            task=entry["task"],
            interval=interval,
            description=entry["description"],
        )


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[e["name"] for e in ENTRIES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("followers", "0001_initial"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]

    operations = [migrations.RunPython(create, remove)]
