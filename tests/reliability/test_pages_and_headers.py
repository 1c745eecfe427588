"""Corrections that show, canonical URLs from the route, validators that agree, and the
hardening headers (issue 17, defects 5 to 8), on the real day 2024-11-14 with the page cache
on (the test settings' file cache) and no worker."""

import datetime
import os
import re
import subprocess
import sys

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from papers.models import Category, Paper
from reader import pages
from tests.conftest import REFERENCE_DAY, REPO

DAY_PAGE = f"/days/{REFERENCE_DAY.isoformat()}/"
PAPERS = "/admin/papers/paper/"


def section(html: str, slug: str) -> str:
    """The day page's section of the category `slug` ("" when there is none)."""
    start = html.find(f'<section class="category" id="{slug}"')
    return "" if start < 0 else html[start : html.find("</section>", start)]


def test_a_bulk_move_shows_on_the_next_view_without_a_worker(reference_day, admin_client):
    """Scenario (defect 5): the day page is read (and cached); an editor then moves a paper
    with "Move to category…" (a bulk update, which sends no post_save) into a category that has
    no paper that day, so is absent from its chart. No worker runs, so the chart is not redrawn.

    Survived means: the next view of the day page shows the paper in its new category's
    section (the cache was invalidated by the move, and a category missing from the chart still
    gets its section) and in the list of the day's categories.
    """
    day_papers = Paper.objects.filter(digests__date=reference_day).select_related("category")
    before = admin_client.get(DAY_PAGE).content.decode()
    paper = next(
        p for p in day_papers.order_by("pk") if p.title in section(before, p.category.slug)
    )
    on_the_day = set(day_papers.values_list("category", flat=True))
    new = Category.objects.active().exclude(pk__in=on_the_day).order_by("order").first()
    assert not section(before, new.slug)

    action = {"action": "move_to_category", "_selected_action": [paper.pk], "apply": "1"}
    assert admin_client.post(PAPERS, action | {"category": new.pk}).status_code == 302

    after = admin_client.get(DAY_PAGE).content.decode()
    assert paper.title in section(after, new.slug)
    assert f'<a href="#{new.slug}">' in after  # listed with the day's categories too


@pytest.mark.parametrize("query", ["?utm_source=mail&x=%22%3E%3Cscript%3E", "?page=9"])
def test_canonical_urls_come_from_the_route_not_the_request(reference_day, client, query):
    """Scenario (defect 6): the first reader of the day page and of a paper page asks with a
    query string; the cached page is then served to everyone.

    Survived means: `canonical` and `og:url` are the route's absolute URL, without the query,
    for that reader and for the next one.
    """
    paper = Paper.objects.filter(digests__date=reference_day).exclude(arxiv_id=None).first()
    for path in (DAY_PAGE, f"/papers/{paper.arxiv_id}/"):
        for asked in (path + query, path):
            html = client.get(asked).content.decode()
            canonical = re.search(r'<link rel="canonical" href="([^"]*)"', html).group(1)
            og_url = re.search(r'<meta property="og:url" content="([^"]*)"', html).group(1)
            assert canonical == og_url == f"http://testserver{path}", (asked, canonical, og_url)


def test_last_modified_moves_with_paper_edits(reference_day, client, admin_client):
    """Scenario (defect 7): a reader has the day page with its Last-Modified; a minute later an
    editor changes a paper's title (a save), and a minute after that moves another paper
    (a bulk update). Each time the reader asks again with If-Modified-Since only.

    Survived means: each answer is 200 with the change, never a 304 for changed content (the
    ETag path was right already).
    """
    papers = Paper.objects.filter(digests__date=reference_day).order_by("pk")
    first = client.get(DAY_PAGE)
    stamp = first["Last-Modified"]
    start = timezone.now()

    with time_machine.travel(start + datetime.timedelta(minutes=1)):
        edited = papers[0]
        edited.title = "A title an editor corrected"
        edited.save()
    again = client.get(DAY_PAGE, headers={"If-Modified-Since": stamp})
    assert again.status_code == 200 and b"A title an editor corrected" in again.content
    assert again["Last-Modified"] != stamp

    stamp = again["Last-Modified"]
    moved = papers[1]
    target = Category.objects.active().exclude(pk=moved.category_id).order_by("order").first()
    with time_machine.travel(start + datetime.timedelta(minutes=2)):
        action = {"action": "move_to_category", "_selected_action": [moved.pk], "apply": "1"}
        assert admin_client.post(PAPERS, action | {"category": target.pk}).status_code == 302
    third = client.get(DAY_PAGE, headers={"If-Modified-Since": stamp})
    assert third.status_code == 200 and third["Last-Modified"] != stamp
    assert (
        client.get(DAY_PAGE, headers={"If-Modified-Since": third["Last-Modified"]}).status_code
        == 304
    )


CSP_REQUIRED = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]


def test_every_response_carries_a_strict_csp_and_a_permissions_policy(reference_day, admin_client):
    """Scenario (defect 8): the day, category, paper and 404 pages, a feed, the health
    endpoint and the admin are fetched.

    Survived means: each has a Content-Security-Policy allowing scripts from the site only (no
    inline script, no eval, no other host) and a Permissions-Policy refusing camera,
    microphone and geolocation; and no page carries an inline script (json_script's data is
    not a script).
    """
    paper = Paper.objects.filter(digests__date=reference_day).exclude(arxiv_id=None).first()
    urls = [
        DAY_PAGE,
        f"/categories/{paper.category.slug}/",
        f"/papers/{paper.arxiv_id}/",
        "/no-such-page/",
        "/feeds/daily.rss",
        "/health/",
        "/admin/",
        PAPERS,
    ]
    for url in urls:
        response = admin_client.get(url)
        policy = response.get("Content-Security-Policy", "")
        assert all(d in policy for d in CSP_REQUIRED), (url, policy)
        script_src = re.search(r"script-src ([^;]*)", policy).group(1)
        assert script_src.strip() == "'self'", (url, policy)
        permissions = response.get("Permissions-Policy", "")
        assert all(f"{f}=()" in permissions for f in ("camera", "microphone", "geolocation"))
        if response["Content-Type"].startswith("text/html"):
            html = response.content.decode()
            for tag in re.findall(r"<script\b[^>]*>", html):
                assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
            assert not re.search(r"\son[a-z]+=", html), url


def test_the_language_cookie_is_kept_a_year_lax_and_httponly(client):
    """Scenario (defect 8): a reader switches to English. Survived means: the cookie has a
    Max-Age of a year, SameSite=Lax and HttpOnly; with DEBUG=0 it is Secure (the production
    settings, read in a process of their own)."""
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = response.cookies["django_language"]
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["samesite"] == "Lax" and cookie["httponly"]
    env = os.environ | {"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.org"}
    env.pop("SECURE_COOKIES", None)
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.LANGUAGE_COOKIE_SECURE, s.SESSION_COOKIE_SECURE)"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True)
    assert out.stdout.decode().split() == ["True", "True"], out.stderr.decode()[-2000:]


def test_an_admin_login_without_next_lands_on_the_admin(django_user_model, client):
    """Scenario (defect 8): a staff member's login is posted without `next` (a bookmarked form,
    a password manager). Survived means: it lands on the admin index, not on Django's default
    /accounts/profile/ (a 404)."""
    django_user_model.objects.create_user("editor", password="a-long-password", is_staff=True)
    response = client.post("/admin/login/", {"username": "editor", "password": "a-long-password"})
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_500_page_does_not_call_every_failure_temporary(reference_day, monkeypatch):
    """Scenario (defect 8): a page fails with a bug. Survived means: the 500 page says the
    error was logged and that this address may keep failing, not that it is temporary and
    will pass if the reader tries again."""

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(pages, "archive_page", broken)
    response = Client(raise_request_exception=False).get("/archive/2024/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "일시적" not in html and "try again in a moment" not in html
    assert "기록" in html and "logged" in html
