"""The mails' own words (translated with gettext, Korean in locale/ko), and the placeholders a
rendered issue carries where each subscriber's links go."""

import functools

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

SITE = "Daily AI Insights"
# Placeholders the rendered issue carries where each subscriber's own links go.
MANAGE = "__FOLLOWERS_MANAGE__"
UNSUBSCRIBE = "__FOLLOWERS_UNSUBSCRIBE__"
FEED = "__FOLLOWERS_FEED__"
SUBJECT = "__FOLLOWERS_SUBJECT__"
RENDERED_KEPT = 256  # rendered mails an issue keeps, by filter and language
BODY = "__FOLLOWERS_BODY__"
H3 = 'style="font-size: 1em"'

# The mails' words, in English; their Korean is in locale/ko (gettext). Placeholders are
# str.format's, filled where the words are used.
WORDS = {
    "day_subject": _("{site} · {date} · {count} papers"),
    "week_subject": _("{site} · week of {date} · {count} papers"),
    "confirm_subject": _("Confirm your {site} subscription"),
    "notice_subject": _("Your {site} subscription"),
    "findings": _("Key findings"),
    "papers": _("Papers"),
    "more": _("{count} more on the day page"),
    "day_page": _("Day page"),
    "chart": _("Papers by category"),
    "manage": _("Manage your subscription"),
    "unsubscribe": _("Unsubscribe"),
    "feed": _("Your personal feed"),
    "why": _("You get this mail because you subscribed to Daily AI Insights."),
    "confirm_intro": _(
        "Open the link below to confirm your subscription. Nothing is sent before you do, and "
        "an address not confirmed within {days} days is deleted."
    ),
    "confirm": _("Confirm my subscription"),
    "ignore": _("If you did not ask for this, ignore this mail."),
    "notice_intro": _(
        "This address is subscribed already. Change its settings with the link below."
    ),
    "upvotes": _("upvotes"),
    "tldr": _("TL;DR"),
}


@functools.cache
def words(language: str) -> dict[str, str]:
    """The mails' words in `language`, translated once per process: a mail's rendering looks
    them up in a plain dict, as fast as before they were translatable."""
    with translation.override(language):
        return {key: str(text) for key, text in WORDS.items()}


def absolute(path: str) -> str:
    return settings.FOLLOWERS_SITE_URL.rstrip("/") + path
