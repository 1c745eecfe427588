"""The mails: the confirmation, the notice to an address already subscribed, and the issues.

An issue (a day, or a week of days) is loaded once (`load_issue`: a fixed number of queries),
rendered once per distinct filter and language (`Issue.render`, cached), and made into each
subscriber's message by putting their own links into the rendered text (`issue_message`): ten
thousand subscribers cost one template rendering per distinct filter, not per subscriber.

Every mail is HTML and plain text, in the subscriber's language (Korean by default), and every
issue carries a link to manage the subscription and a one-click unsubscribe (RFC 8058:
List-Unsubscribe with an HTTPS URL, List-Unsubscribe-Post: List-Unsubscribe=One-Click).
No header carries anything a subscriber typed but their address, which the form validated.
"""

import base64
import datetime
import hashlib
import hmac
import re
import secrets
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from followers import tokens
from followers.email_text import FEED, MANAGE, SITE, TEXT, UNSUBSCRIBE, absolute
from followers.issues import Issue
from papers.keywords import PaperFilter

_BARE_NEWLINE = re.compile(r"\r(?!\n[ \t])|(?<!\r)\n|\n(?![ \t])")  # anything but folding


def link(subscriber, purpose: str) -> str:
    names = {
        tokens.CONFIRM: "followers-confirm",
        tokens.MANAGE: "followers-manage",
        tokens.UNSUBSCRIBE: "followers-unsubscribe",
        tokens.FEED: "followers-feed-rss",
    }
    return absolute(reverse(names[purpose], args=[tokens.make(subscriber, purpose)]))


def sender() -> str:
    return settings.FOLLOWERS_FROM


def _domain() -> str:
    return parseaddr(sender())[1].rpartition("@")[2] or "localhost"


def message_id(subscriber_id: int, kind: str, issue: datetime.date) -> str:
    """The same Message-ID every time this issue is sent to this subscriber: a mail sent again
    after a crash is recognisably the same mail. The id does not reveal the subscriber's row."""
    domain = _domain()
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{subscriber_id}".encode(), hashlib.sha256
    ).hexdigest()[:20]
    return f"<{kind}.{issue.isoformat()}.{digest}@{domain}>"


def _mail(subject, text, html, to, headers=None) -> EmailMultiAlternatives:
    mail = EmailMultiAlternatives(subject, text, sender(), [to], headers=headers or {})
    mail.attach_alternative(html, "text/html")
    return mail


def confirmation(subscriber) -> EmailMultiAlternatives:
    t = TEXT[subscriber.language]
    context = {
        "t": t,
        "intro": t["confirm_intro"].format(days=settings.FOLLOWERS_CONFIRM_DAYS),
        "url": link(subscriber, tokens.CONFIRM),
        "language": subscriber.language,
    }
    return _mail(
        t["confirm_subject"].format(site=SITE),
        render_to_string("followers/email/confirm.txt", context),
        render_to_string("followers/email/confirm.html", context),
        subscriber.email,
    )


def notice(subscriber) -> EmailMultiAlternatives:
    """To an address that asked to subscribe again: its manage link, no new subscription."""
    t = TEXT[subscriber.language]
    context = {
        "t": t,
        "intro": t["notice_intro"],
        "url": link(subscriber, tokens.MANAGE),
        "language": subscriber.language,
    }
    return _mail(
        t["notice_subject"].format(site=SITE),
        render_to_string("followers/email/notice.txt", context),
        render_to_string("followers/email/notice.html", context),
        subscriber.email,
    )


def issue_message(issue: Issue, subscriber, paper_filter: PaperFilter, msgid: str):
    """The subscriber's mail of this issue as bytes ready for SMTP, and how many papers it
    lists; (None, 0) when nothing matched their filter.

    Built here rather than by Django's EmailMessage, which spent more time generating MIME
    than everything else in sending (bench/followers_send.py): the parts are base64 of UTF-8,
    and every header is ASCII made here (the address was validated by the form, the subject is
    RFC 2047-encoded, the links are ours)."""
    rendered = issue.render(paper_filter, subscriber.language)
    if not rendered.papers:
        return None, 0
    links = {
        MANAGE: link(subscriber, tokens.MANAGE),
        UNSUBSCRIBE: link(subscriber, tokens.UNSUBSCRIBE),
        FEED: link(subscriber, tokens.FEED),
    }
    text, html = rendered.text, rendered.html
    for placeholder, url in links.items():
        text, html = text.replace(placeholder, url), html.replace(placeholder, url)
    boundary = f"=_{secrets.token_hex(12)}"
    headers = [
        ("From", _encoded_sender()),
        ("To", subscriber.email),
        ("Subject", Header(rendered.subject, "utf-8").encode(linesep="\r\n")),
        ("Date", formatdate(localtime=False)),
        ("Message-ID", msgid),
        ("MIME-Version", "1.0"),
        ("List-Unsubscribe", f"<{links[UNSUBSCRIBE]}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("List-Id", f"{SITE} <{issue.kind}.{_domain()}>"),
        ("Auto-Submitted", "auto-generated"),
        ("Precedence", "bulk"),
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
    ]
    for name, value in headers:
        if _BARE_NEWLINE.search(value) or not value.isascii():
            raise ValueError(f"unsafe {name} header")
    lines = [f"{name}: {value}" for name, value in headers]
    for subtype, body in (("plain", text), ("html", html)):
        lines += [
            "",
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: base64",
            "",
            _base64_lines(body.encode()),
        ]
    lines += [f"--{boundary}--", ""]
    return "\r\n".join(lines).encode("ascii"), rendered.papers


def _base64_lines(data: bytes) -> str:
    """Base64 in lines of 76 (RFC 2045), from one C call rather than one per line."""
    encoded = base64.b64encode(data).decode("ascii")
    return "\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def _encoded_sender() -> str:
    name, address = parseaddr(sender())
    return formataddr((name, address), charset="utf-8") if name else address
