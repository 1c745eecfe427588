import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def own_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api"}
    }
    cache.clear()
