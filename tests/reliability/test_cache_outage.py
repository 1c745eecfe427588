"""The page cache's Redis stopped and started again (issue 17, defect 1).

With CACHE_URL=redis://… (compose's default) and that Redis down, every cached page used to
answer 500 (ConnectionError) and every admin save was rolled back, while /health/ still said
"degraded" about the broker only. The cache here is a `redis-server` of the test's own on its
own port (tests/reliability/conftest.py), never the shared one on 6379.
"""

import gzip
import importlib.util
import json
import os
import time
import urllib.error
import urllib.request
from unittest import mock

import pytest
import redis
from django.core.cache import cache
from django.forms import CheckboxInput

from digest import pipeline
from digest.models import DailyDigest
from reader import pagecache
from summaries.models import CategorySummary
from tests.conftest import REFERENCE_DAY, REPO
from tests.reliability.conftest import free_port
from tests.reliability.test_load import production_server  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("taxonomy")]
DAY = REFERENCE_DAY.isoformat()


def fetch(url: str) -> tuple[int, bytes]:
    """Status and body, 4xx/5xx included; gzip asked for as browsers do."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def reader_urls(digest) -> list[str]:
    paper = digest.papers.exclude(arxiv_id=None).first()
    category = paper.category
    return [
        f"/days/{DAY}/",
        f"/papers/{paper.arxiv_id}/",
        "/archive/2024/",
        f"/categories/{category.slug}/",
        "/feeds/daily.rss",
        f"/feeds/categories/{category.slug}.atom",
        "/sitemap.xml",
    ]


def form_data(client, url: str, **changes) -> dict:
    """What the admin's change form at `url` posts back unchanged, with `changes`."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, CheckboxInput):
            data |= {name: "on"} if value else {}
        elif value is not None:
            data[name] = value
    return data | changes


def page_keys(client) -> int:
    return sum(1 for _ in client.scan_iter("*pages:*"))


def test_the_cache_redis_stopped_and_restarted_under_gunicorn(production_server, private_redis):  # noqa: F811
    """Scenario: gunicorn as production runs it (DEBUG=0, its workers, JSON logs) serves the
    real day 2024-11-14 with CACHE_URL on a Redis of its own, and every reader page (day, paper,
    archive, category, daily and category feeds, sitemap) is visited once, so it is cached.
    Then that Redis is stopped (SIGTERM, as `docker compose stop` sends), the pages are visited
    again for 8 s, and it is started again on the same port and files.

    Survived means: every page answers 200 throughout, with its content; /health/ answers 200
    "degraded" with the cache's error while it is down, and "ok" once it is back; no request
    takes 3 s or more; after the restart the pages are cached in Redis again by themselves
    (CACHE_RETRY_AFTER, 5 s), with no restart of gunicorn.
    """
    pipeline.build_digest(REFERENCE_DAY)
    digest = DailyDigest.objects.published().get(date=REFERENCE_DAY)
    title = digest.papers.order_by("pk").first().title
    base, log = production_server
    urls = reader_urls(digest)
    client = redis.Redis.from_url(private_redis.url)

    for url in urls:
        assert fetch(base + url)[0] == 200, url
    assert page_keys(client) >= len(urls)
    assert fetch(base + "/health/")[0] == 200

    private_redis.stop()
    slowest, down_until = 0.0, time.monotonic() + 8
    while time.monotonic() < down_until:
        for url in urls:
            started = time.monotonic()
            status, body = fetch(base + url)
            slowest = max(slowest, time.monotonic() - started)
            assert status == 200, (url, body[:500])
    status, body = fetch(base + f"/days/{DAY}/")
    assert title.encode() in gzip.decompress(body)
    status, body = fetch(base + "/health/")
    health = json.loads(body)
    assert status == 200 and health["status"] == "degraded", health
    assert health["cache"].startswith("error:") and "ConnectionError" in health["cache"], health
    assert health["database"] == "ok"
    assert slowest < 3, f"a page took {slowest:.1f} s with the cache down"

    private_redis.start()
    client = redis.Redis.from_url(private_redis.url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for url in urls:
            assert fetch(base + url)[0] == 200, url
        if (
            page_keys(client) >= len(urls)
            and json.loads(fetch(base + "/health/")[1])["cache"] == "ok"
        ):
            break
        time.sleep(1)
    else:
        pytest.fail("the pages were not cached again within 30 s of the cache's restart")
    assert json.loads(fetch(base + "/health/")[1])["status"] in {"ok", "degraded"}
    logged = log.read_text()
    assert "The cache (" in logged and "is unreachable" in logged
    assert "Traceback" not in logged


def production_caches(cache_url: str) -> dict:
    """CACHES as config/settings.py makes them for CACHE_URL=`cache_url` (read afresh)."""
    spec = importlib.util.spec_from_file_location("settings_copy", REPO / "config" / "settings.py")
    copy = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ, {"CACHE_URL": cache_url}):
        spec.loader.exec_module(copy)
    return copy.CACHES


@pytest.fixture
def cache_down(settings):
    """This process's cache as production configures a Redis CACHE_URL, on a port nothing
    listens on."""
    settings.CACHES = production_caches(f"redis://127.0.0.1:{free_port()}/0")
    pagecache._seen.update(token="", at=-pagecache.GENERATION_TTL)
    pagecache._local.clear()
    yield
    pagecache._seen.update(token="", at=-pagecache.GENERATION_TTL)
    pagecache._local.clear()


def test_with_the_cache_down_editors_save_and_readers_see_the_change(cache_down, admin_client):
    """Scenario: the cache's Redis is unreachable (CACHE_URL points at a closed port) while an
    editor saves a paper's title, a category's Korean name and a summary's lock in the admin,
    and a reader reads the day page before and after.

    Survived means: each save answers 302 and is stored (it used to answer 500 and roll back);
    the day page answers 200 and shows each change on the next view, since nothing is kept
    while the cache is down; /health/ says "degraded" naming the cache.
    """
    pipeline.build_digest(REFERENCE_DAY)
    paper = DailyDigest.objects.get().papers.order_by("pk").first()
    category = paper.category
    summary = CategorySummary.objects.filter(digest__date=REFERENCE_DAY).first()
    page = f"/days/{DAY}/"
    assert admin_client.get(page).status_code == 200

    saves = [
        (f"/admin/papers/paper/{paper.pk}/change/", {"title": "An edited title in the outage"}),
        (f"/admin/papers/category/{category.pk}/change/", {"name_ko": "편집된 이름"}),
        (f"/admin/summaries/categorysummary/{summary.pk}/change/", {"locked": "on"}),
    ]
    for url, changes in saves:
        response = admin_client.post(url, form_data(admin_client, url, **changes))
        assert response.status_code == 302, (url, response.content[:3000])
    paper.refresh_from_db()
    category.refresh_from_db()
    summary.refresh_from_db()
    assert paper.title == "An edited title in the outage"
    assert category.name_ko == "편집된 이름" and summary.locked

    shown = admin_client.get(page).content.decode()
    assert "An edited title in the outage" in shown and "편집된 이름" in shown
    health = admin_client.get("/health/").json()
    assert health["status"] == "degraded" and health["cache"].startswith("error:")
    assert cache.get("anything", "missed") == "missed"
