"""The editors' review queue in Chromium: logged in as an editor, the queue shows each paper's
confidence, runner-up and abstract, a click decides, and screenshots of it are kept."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import User

from digest import pipeline
from papers import assignment
from papers.models import Category, Paper
from tests.browser.conftest import screenshot
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def site(transactional_db, live_server, make_day):
    """Forty real papers of the demo day, classified, with a superuser to log in as."""
    if not Category.objects.exists():  # flushed by an earlier transactional test
        taxonomy = importlib.import_module("papers.migrations.0002_default_taxonomy")
        taxonomy.create_taxonomy(django_apps, None)
    make_day(40)
    pipeline.build_digest(DEMO_DAY)
    User.objects.create_superuser("editor", "editor@example.org", "a long pass phrase")
    return live_server.url


def test_the_review_queue_decides_in_one_click(site, open_page):
    page = open_page(site + "/admin/login/?next=/admin/papers/paper/%3Freview%3Dyes")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "a long pass phrase")
    page.click("input[type=submit]")
    page.wait_for_selector("#result_list")
    page.click("#toggle-nav-sidebar")  # an editor working through the queue folds the menu
    assert "Daily AI Insights 편집" in page.title()
    assert page.locator("#result_list thead").inner_text().count("차순위") == 1

    queue = assignment.review_queue(Paper.objects.all()).order_by("category_confidence", "pk")
    first = queue.first()
    row = page.locator("#result_list tbody tr").first
    text = row.inner_text()
    assert f"{first.category_confidence:.2f}" in text
    assert first.abstract and " ".join(first.abstract.split())[:60] in " ".join(text.split())
    screenshot(page, "admin-review-queue")

    target = first.category_runner_up or first.category
    row.locator(f'button[name="decide"][value="{first.pk}:{target.pk}"]').click()
    page.wait_for_selector(".messagelist .success")
    assert "편집자 결정으로" in page.locator(".messagelist").inner_text()
    first.refresh_from_db()
    assert (first.category, first.category_method) == (target, "editor")
    screenshot(page, "admin-review-queue-decided")

    phone = open_page(site + "/admin/papers/paper/?review=yes", phone=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(site + "/admin/papers/paper/?review=yes")
    phone.wait_for_selector("#result_list")
    screenshot(phone, "admin-review-queue-phone")
