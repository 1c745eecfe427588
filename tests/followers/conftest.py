"""Fixtures of the followers' tests: a real SMTP server, Celery tasks run eagerly in this
process (the real task code, without a worker), and a clean rate-limit cache."""

import pytest
from celery import current_app
from django.core.cache import cache

from tests.followers.smtp import SmtpServer


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.FOLLOWERS_SITE_URL = "https://digest.example.org"
    settings.FOLLOWERS_SEND_RATE = 0
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def eager(monkeypatch):
    monkeypatch.setitem(current_app.conf, "task_always_eager", True)
    monkeypatch.setitem(current_app.conf, "task_eager_propagates", True)


@pytest.fixture(autouse=True)
def clean_cache(settings):
    """A cache of these tests' own: rate-limit counters start at zero."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "followers-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()
