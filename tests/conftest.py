"""Shared fixtures. Tests run against the real PostgreSQL and Redis that CI provides."""

import datetime
import json
import os
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "data" / "days"
FIXTURES = REPO / "tests" / "fixtures"
DEMO_DAY = datetime.date(2025, 5, 27)
REFERENCE_DAY = datetime.date(2024, 11, 14)


def pytest_sessionstart(session):
    """Under CI the services must be there: fail loudly instead of testing something else."""
    if os.environ.get("CI", "").lower() not in {"1", "true", "yes"}:
        return
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        pytest.exit(f"CI must test against PostgreSQL, not {database['ENGINE']}.", returncode=3)
    try:
        psycopg.connect(
            host=database["HOST"],
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database["PASSWORD"],
            dbname="postgres",
            connect_timeout=5,
        ).close()
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=5).ping()
    except (psycopg.OperationalError, redis.RedisError) as exc:
        pytest.exit(f"CI needs PostgreSQL and Redis on 127.0.0.1: {exc}", returncode=3)


def chart_slugs(chart: list[dict]) -> list[str]:
    """The current slugs of a stored chart's categories, in its order (slices keep ids)."""
    from papers.models import Category  # Django is set up by now, unlike at import time

    slug = dict(Category.objects.values_list("pk", "slug"))
    return [slug[s["category"]] for s in chart]


@pytest.fixture(autouse=True)
def rule_classifier(settings, tmp_path_factory):
    """Tests classify with the deterministic rule classifier: the shipped model artefact changes
    whenever someone retrains it. Tests of the model use `shipped_model` (test_classifier*)."""
    settings.DIGEST_CLASSIFIER_DIR = tmp_path_factory.mktemp("no-classifier-model")


@pytest.fixture
def data_dir(settings, tmp_path):
    """An empty data directory in place of the bundled one."""
    settings.DIGEST_DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def make_day(data_dir):
    """Write the first `size` real papers of the bundled demo day as the listing of `day`."""

    def make(size: int, day: datetime.date = DEMO_DAY, edit=None) -> Path:
        lines = (BUNDLED / DEMO_DAY.isoformat() / "arxiv.jsonl").read_text().splitlines()[:size]
        if edit:
            lines = [json.dumps(edit(json.loads(line)), ensure_ascii=False) for line in lines]
        path = data_dir / day.isoformat() / "arxiv.jsonl"
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        return path

    return make


@pytest.fixture
def reference_day(db):
    """The reference product's day, built from the bundled real data."""
    from digest.pipeline import build_digest  # Django is set up by now, unlike at import time

    build_digest(REFERENCE_DAY)
    return REFERENCE_DAY


def inline_category_change(paper, category) -> dict:
    """The papers changelist's POST that sets one paper's category in its inline column."""
    return {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(paper.pk),
        "form-0-category": str(category.pk),
        "_save": "Save",
    }
