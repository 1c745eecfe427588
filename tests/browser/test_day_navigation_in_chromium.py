"""The day page in Chromium (issue 15): how tall it is before anything is expanded, every category
one click away from any scroll position at desktop and phone widths, anchors into collapsed
parts, and sorting a category's papers; screenshots at both widths."""

import importlib
import random

import pytest
from django.apps import apps as django_apps

from digest import pipeline
from digest.models import DailyDigest
from papers.models import Category
from tests.browser.conftest import screenshot
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
DAY_URL = f"/days/{DEMO_DAY.isoformat()}/"
# The 649-paper day's page before issue 15, measured at 1280x900 in this Chromium (every report
# and featured list open, the full lists collapsed): 39,017 px. The target is a quarter of it.
HEIGHT_BEFORE = 39_017


@pytest.fixture
def demo(transactional_db, live_server):
    if not Category.objects.exists():  # flushed by an earlier transactional test
        taxonomy = importlib.import_module("papers.migrations.0002_default_taxonomy")
        taxonomy.create_taxonomy(django_apps, None)
    pipeline.build_digest(DEMO_DAY)
    return live_server.url


def _slugs() -> list[str]:
    return [
        section.get("slug") or Category.objects.get(pk=section["category"]).slug
        for section in DailyDigest.objects.get(date=DEMO_DAY).chart
    ]


def _one_click_to_each_category(page, slugs: list[str], label: str) -> None:
    """From a random scroll position, each category's index link is on screen and not covered;
    one click on it brings the category's heading to the top of the screen."""
    rng = random.Random(15)
    height = page.evaluate("document.documentElement.scrollHeight")
    for slug in slugs:
        page.evaluate(f"window.scrollTo(0, {rng.randrange(0, height)})")
        link = page.locator(f'.day-index a[href="#{slug}"]')
        box = link.bounding_box()
        viewport = page.viewport_size
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (
            label,
            slug,
            box,
        )
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        hit = page.evaluate(
            f"document.elementFromPoint({x}, {y}).closest('a')?.getAttribute('href')"
        )
        assert hit == f"#{slug}", (label, slug, hit)  # nothing covers it: one click reaches it
        page.mouse.click(x, y)
        page.wait_for_url(f"**#{slug}")  # (wait_for_function would eval, which CSP forbids)
        page.wait_for_timeout(50)
        top = page.evaluate(f"document.getElementById('{slug}').getBoundingClientRect().top")
        at_end = page.evaluate(
            "window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2"
        )
        # Its heading at the top, below the sticky index; the last ones as high as the page goes.
        assert 0 <= top < 120 or (at_end and top < viewport["height"]), (label, slug, top)


def test_the_day_page_is_short_and_every_category_is_one_click_away(demo, open_page):
    slugs = _slugs()
    assert len(slugs) == 14

    page = open_page(demo + DAY_URL)
    page.locator("#category-chart g.slice").first.wait_for()
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"day page height at 1280x900: {height} px (before: {HEIGHT_BEFORE} px)")
    assert height <= HEIGHT_BEFORE / 4
    assert page.evaluate("document.querySelectorAll('details[open]').length") == 0
    screenshot(page, "day-index-desktop")
    _one_click_to_each_category(page, slugs, "desktop")
    screenshot(page, "day-index-desktop-scrolled")

    phone = open_page(demo + DAY_URL, phone=True)
    phone.locator("#category-chart g.slice").first.wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    print(f"day page height at 390x844: {phone.evaluate('document.body.scrollHeight')} px")
    _one_click_to_each_category(phone, slugs, "phone")
    screenshot(phone, "day-index-phone")


def test_anchors_open_collapsed_parts_and_papers_sort_in_place(demo, open_page):
    slug = _slugs()[0]
    page = open_page(demo + DAY_URL + f"#{slug}-papers")
    details = page.locator(f"#{slug}-papers")
    page.locator(f"#{slug}-papers[open]").wait_for(state="attached")
    items = details.locator("ul.papers > li")
    count = items.count()
    assert count > 100

    def order(attribute: str) -> list[str]:
        return items.evaluate_all(f"items => items.map(i => i.dataset.{attribute})")

    upvotes = [int(v) for v in order("upvotes")]
    assert upvotes == sorted(upvotes, reverse=True)  # most popular first, as served
    details.get_by_role("button", name="최신순").click()
    ids = order("id")
    assert ids == sorted(ids, reverse=True) and items.count() == count
    assert details.get_by_role("button", name="최신순").get_attribute("aria-pressed") == "true"
    details.get_by_role("button", name="인기순").click()
    assert [int(v) for v in order("upvotes")] == upvotes

    # A link into a closed report opens it; the summary's parts are all there.
    page.goto(demo + DAY_URL + f"#{slug}-report")
    page.locator(f"#{slug}-report[open]").wait_for(state="attached")
    assert page.locator(f"#{slug}-report ol.summary > li").count() == 5
