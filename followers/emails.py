"""The mails: the confirmation, the notice to an address already subscribed, and the issues.

An issue (a day, or a week of days) is loaded once (`load_issue`: a fixed number of queries),
rendered once per distinct filter and language (`Issue.render`, cached), and made into each
subscriber's message by putting their own links into the rendered text (`IssueMails`): ten
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
from followers.email_text import FEED, MANAGE, SITE, UNSUBSCRIBE, absolute, words
from followers.issues import Issue
from papers.keywords import PaperFilter

_BARE_NEWLINE = re.compile(r"\r(?!\n[ \t])|(?<!\r)\n|\n(?![ \t])")  # anything but folding
_BASE64_LINE = re.compile(".{1,76}")


_LINKS = {
    tokens.CONFIRM: "followers-confirm",
    tokens.MANAGE: "followers-manage",
    tokens.UNSUBSCRIBE: "followers-unsubscribe",
    tokens.FEED: "followers-feed-rss",
}
_TOKEN = "__token__"  # where the token goes in a link's frame


def link_frame(purpose: str) -> str:
    """The absolute URL of the links for `purpose`, with `_TOKEN` in place of the token (a
    signed token is URL-safe, so the frame takes it as reverse() would)."""
    return absolute(reverse(_LINKS[purpose], args=[_TOKEN]))


def link(subscriber, purpose: str, frame: str | None = None) -> str:
    """The subscriber's link for `purpose`; pass its `link_frame` to skip the URL resolver."""
    return (frame or link_frame(purpose)).replace(_TOKEN, tokens.make(subscriber, purpose), 1)


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
    t = words(subscriber.language)
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
    t = words(subscriber.language)
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


# Where a rendered issue has each of the subscriber's links, and the links' purposes.
_PLACES = {MANAGE: tokens.MANAGE, UNSUBSCRIBE: tokens.UNSUBSCRIBE, FEED: tokens.FEED}


class IssueMails:
    """The mails of one issue to a run of subscribers (a chunk), as bytes ready for SMTP.

    Built here rather than by Django's EmailMessage, which spent more time generating MIME
    than everything else in sending (bench/followers_send.py): the parts are base64 of UTF-8,
    and every header is ASCII made here (the address was validated by the form, the subject is
    RFC 2047-encoded, the links are ours). What all the subscribers of a rendering share is
    made once (`_Frame`): its headers and its body in base64 up to the first of their own
    links, so that a mail costs its tokens and a few lines of base64."""

    def __init__(self, issue: Issue):
        self.issue = issue
        self.urls = {place: link_frame(purpose) for place, purpose in _PLACES.items()}
        self.headers = _checked(
            [
                ("From", _encoded_sender()),
                ("MIME-Version", "1.0"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("List-Id", f"{SITE} <{issue.kind}.{_domain()}>"),
                ("Auto-Submitted", "auto-generated"),
                ("Precedence", "bulk"),
            ]
        )

    def message(self, subscriber, paper_filter: PaperFilter, msgid: str):
        """The subscriber's mail and how many papers it lists; (None, 0) when nothing
        matched their filter."""
        rendered = self.issue.render(paper_filter, subscriber.language)
        if not rendered.papers:
            return None, 0
        if rendered.frame is None:
            rendered.frame = _Frame(rendered, self.headers)
        links = {place: link(subscriber, _PLACES[place], url) for place, url in self.urls.items()}
        own = _checked(
            [
                ("To", subscriber.email),
                ("Date", formatdate(localtime=False)),
                ("Message-ID", msgid),
                ("List-Unsubscribe", f"<{links[UNSUBSCRIBE]}>"),
            ]
        )
        return rendered.frame.message(own, links), rendered.papers


class _Frame:
    """A rendering's mail but for the subscriber's own headers and links: the shared headers,
    and each part as its base64 lines up to a whole line before the first link (57 bytes make
    a line of 76 characters, so the rest is encoded on its own and joined line to line)."""

    def __init__(self, rendered, headers: str):
        self.boundary = f"=_{secrets.token_hex(12)}"  # "_" is not base64: no body holds it
        subject = Header(rendered.subject, "utf-8").encode(linesep="\r\n")
        self.headers = headers + _checked(
            [
                ("Subject", subject),
                ("Content-Type", f'multipart/alternative; boundary="{self.boundary}"'),
            ]
        )
        self.parts = [
            (subtype, *_split(body))
            for subtype, body in (("plain", rendered.text), ("html", rendered.html))
        ]

    def message(self, own_headers: str, links: dict) -> bytes:
        chunks = [own_headers, self.headers]
        for subtype, encoded, rest, tail in self.parts:
            for placeholder, url in links.items():
                tail = tail.replace(placeholder, url)
            chunks += [
                f"\r\n--{self.boundary}\r\n",
                f'Content-Type: text/{subtype}; charset="utf-8"\r\n',
                "Content-Transfer-Encoding: base64\r\n\r\n",
                encoded,
                _base64_lines(rest + tail.encode()),
                "\r\n",
            ]
        chunks.append(f"--{self.boundary}--\r\n")
        return "".join(chunks).encode("ascii")


def _split(body: str) -> tuple[str, bytes, str]:
    """`body` as the base64 lines (each ending in CRLF) of its whole lines of bytes before
    the first link, the bytes left over before it, and the text from it on."""
    first = min((i for i in map(body.find, _PLACES) if i >= 0), default=len(body))
    head = body[:first].encode()
    whole = len(head) - len(head) % 57
    encoded = _base64_lines(head[:whole])
    return (encoded + "\r\n" if encoded else ""), head[whole:], body[first:]


def _checked(headers: list[tuple[str, str]]) -> str:
    """The headers as lines ending in CRLF, refusing any that would break out of its line."""
    for name, value in headers:
        if _BARE_NEWLINE.search(value) or not value.isascii():
            raise ValueError(f"unsafe {name} header")
    return "".join(f"{name}: {value}\r\n" for name, value in headers)


def _base64_lines(data: bytes) -> str:
    """Base64 in lines of 76 (RFC 2045), cut by the regex engine rather than a Python loop."""
    return "\r\n".join(_BASE64_LINE.findall(base64.b64encode(data).decode("ascii")))


def _encoded_sender() -> str:
    name, address = parseaddr(sender())
    return formataddr((name, address), charset="utf-8") if name else address
