"""Reader-facing pages."""

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language

from digest.models import DailyDigest
from digest.pages import day_page


def latest(request):
    """The front page is the latest published day; before the first one, say how to build it."""
    digest = DailyDigest.objects.published().order_by("-date").first()
    if digest is None:
        return render(request, "digest/empty.html")
    return redirect("day", day=digest.date)


def day(request, day):
    digest = get_object_or_404(DailyDigest.objects.published(), date=day)
    language = "en" if get_language().startswith("en") else "ko"
    return render(request, "digest/day.html", day_page(digest, language))
