"""The reader's site in Chromium: the chart, its clicks, the language switch, search, math,
and screenshots of the day, category and search pages at desktop and phone widths."""

import importlib
import time

import pytest
from django.apps import apps as django_apps

from digest import pipeline
from digest.models import DailyDigest
from papers.models import Category, Paper
from reader import pages
from tests.browser.conftest import screenshot
from tests.conftest import DEMO_DAY, REFERENCE_DAY, chart_slugs

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
DAY_URL = f"/days/{DEMO_DAY.isoformat()}/"


@pytest.fixture
def demo(transactional_db, live_server):
    """The bundled days, built as `make demo` builds them; returns the site's address."""
    if not Category.objects.exists():  # flushed by an earlier transactional test
        taxonomy = importlib.import_module("papers.migrations.0002_default_taxonomy")
        taxonomy.create_taxonomy(django_apps, None)
    for day in (REFERENCE_DAY, DEMO_DAY):
        pipeline.build_digest(day)
    return live_server.url


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_day_chart_slices_hover_click_and_the_language_switch(demo, open_page):
    chart = DailyDigest.objects.get(date=DEMO_DAY).chart
    page = open_page(demo + DAY_URL)
    slices = page.locator("#category-chart g.slice")
    slices.first.wait_for()
    assert slices.count() == len(chart) == 14
    assert page.locator("#category-chart svg.main-svg").count() >= 1
    # Landmarks, and no image without a text alternative.
    for landmark in ("banner", "navigation", "main", "contentinfo", "search"):
        assert page.get_by_role(landmark).count() >= 1, landmark
    assert page.locator("img:not([alt])").count() == 0
    assert page.get_by_role("img", name="분야별 논문 수 원형 차트").count() == 1
    screenshot(page, "day-desktop")

    # Hovering the largest slice shows its count and its top titles.
    slices.nth(0).locator("path.surface").hover()
    hover = page.locator(".hoverlayer .hovertext")
    hover.wait_for()
    text = hover.text_content()
    assert str(chart[0]["count"]) in text and chart[0]["titles"][0][:30] in text

    # Clicking the second slice scrolls to that category's section.
    target = chart_slugs(chart)[1]
    label = slices.nth(1).locator("text.slicetext").bounding_box()
    page.mouse.click(label["x"] + label["width"] / 2, label["y"] + label["height"] / 2)
    # wait_for_function evaluates a string in the page, which the Content-Security-Policy forbids.
    page.wait_for_url(f"**#{target}")
    top = f"Math.abs(document.getElementById('{target}').getBoundingClientRect().top)"
    deadline = time.monotonic() + 10
    while page.evaluate(top) >= 30:
        assert time.monotonic() < deadline, "the click did not scroll to the category"
        page.wait_for_timeout(100)
    assert page.evaluate("window.scrollY") > 1000

    phone = open_page(demo + DAY_URL, phone=True)
    phone.locator("#category-chart g.slice").first.wait_for()
    assert phone.locator("#category-chart g.slice").count() == 14
    assert no_horizontal_scroll(phone)
    screenshot(phone, "day-phone")

    # The language switch: English on request, remembered across pages, Korean again.
    page.goto(demo + DAY_URL)
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.locator("h1").text_content() == "2025-05-27 AI 논문"
    page.get_by_role("button", name="English").click()
    page.wait_for_url(demo + DAY_URL)
    page.locator("html[lang=en]").wait_for()
    assert page.locator("h1").text_content() == "AI papers of 2025-05-27"
    screenshot(page, "day-desktop-en")
    # The choice is remembered on other pages, until switched back.
    page.goto(demo + "/archive/")
    assert page.locator("h1").text_content() == "Archive 2025"
    page.get_by_role("button", name="한국어").click()
    page.locator("html[lang=ko]").wait_for()
    assert page.locator("h1").text_content() == "2025년 다이제스트"


def test_search_the_category_trend_and_math(demo, open_page):
    page = open_page(demo + DAY_URL)
    page.get_by_role("searchbox", name="논문과 요약 검색").fill("diffusion")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=diffusion")
    assert "편이 검색되었습니다" in page.locator("[role=status]").text_content()
    assert page.locator(".results mark").count() > 0
    assert page.locator("#paper-results + ol > li").count() == 20
    screenshot(page, "search-desktop")
    phone = open_page(demo + "/search/?q=diffusion", phone=True)
    assert no_horizontal_scroll(phone)
    screenshot(phone, "search-phone")

    slug = chart_slugs(DailyDigest.objects.get(date=DEMO_DAY).chart)[0]
    for phone in (False, True):
        category = open_page(demo + f"/categories/{slug}/", phone=phone)
        category.locator("#trend-chart g.point").first.wait_for(state="attached")
        bars = "#trend-chart g.point path"
        drawn = f"[...document.querySelectorAll('{bars}')].filter(b => b.getBBox().height > 0)"
        assert category.locator(bars).count() == pages.TREND_WEEKS
        assert category.evaluate(f"{drawn}.length") == 1  # one week has published days
        assert no_horizontal_scroll(category)
        screenshot(category, f"category-{'phone' if phone else 'desktop'}")

    # LaTeX in an abstract is MathML that Chromium lays out.
    paper = Paper.objects.filter(abstract__contains="\\times$").first()
    page = open_page(demo + f"/papers/{paper.arxiv_id}/")
    math = page.locator(".abstract math").first
    assert page.evaluate("document.querySelector('.abstract math').constructor.name") == (
        "MathMLElement"
    )
    box = math.bounding_box()
    assert box["width"] > 0 and box["height"] > 0
    assert "$" not in page.locator(".abstract").text_content().split("\\times")[0][-3:]
