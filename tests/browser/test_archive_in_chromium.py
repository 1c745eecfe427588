"""The demo's archive in Chromium: the reference product's reports imported as `make demo`
imports them, beside a day the pipeline builds; screenshots of the archive and an imported day."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

from digest import pipeline
from digest.models import DailyDigest
from papers.models import Category
from tests.browser.conftest import screenshot
from tests.conftest import REFERENCE_DAY, REPO

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
IMPORTED_DAY = "2024-11-15"


@pytest.fixture
def archive(transactional_db, live_server):
    """The reports imported, then the reference day built, as `make demo` does."""
    if not Category.objects.exists():  # flushed by an earlier transactional test
        taxonomy = importlib.import_module("papers.migrations.0002_default_taxonomy")
        taxonomy.create_taxonomy(django_apps, None)
    reports = REPO / "data" / "reference-reports"
    call_command("import_report", str(reports), "--except", REFERENCE_DAY.isoformat(), verbosity=0)
    pipeline.build_digest(REFERENCE_DAY)
    return live_server.url


def test_the_archive_and_an_imported_day(archive, open_page):
    page = open_page(archive + "/archive/2024/")
    calendar_links = page.locator('a[href^="/days/2024-"]')
    calendar_links.first.wait_for()
    published = DailyDigest.objects.published().filter(date__year=2024).count()
    assert published >= 45 and calendar_links.count() >= published
    assert page.locator(f'a[href="/days/{IMPORTED_DAY}/"]').count() >= 1
    screenshot(page, "archive-desktop")

    page = open_page(archive + f"/days/{IMPORTED_DAY}/")
    slices = page.locator("#category-chart g.slice")
    slices.first.wait_for()
    assert slices.count() == len(DailyDigest.objects.get(date=IMPORTED_DAY).chart)
    imported = page.locator(".summary.imported")
    assert imported.count() >= 1
    assert "수동 레이더를 활용한 인간 활동 인식" in imported.first.text_content()
    screenshot(page, "imported-day-desktop")
