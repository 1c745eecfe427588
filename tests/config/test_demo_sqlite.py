"""The zero-setup demo runs on SQLite, which the rest of the suite (on PostgreSQL) never touches:
build the reference day into a fresh SQLite file in a separate process and open every page."""

import os
import subprocess
import sys

from tests.conftest import REPO

PAGES = [
    "/days/2024-11-14/",
    "/archive/",
    "/categories/computer-vision/",
    "/papers/2411.07975/",
    "/search/?q=diffusion",
    "/feeds/daily.rss",
    "/days/2024-11-14/report.md",
    "/sitemap.xml",
]
SCRIPT = f"""
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from tests.conftest import REPO
call_command("migrate", verbosity=0)
call_command("build_digest", "2024-11-14", stdout=open("/dev/null", "w"))
client = Client(HTTP_HOST="127.0.0.1")
assert client.get("/").status_code == 302
for path in {PAGES!r}:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    print(path, len(response.content))
"""


def test_the_demo_serves_every_page_on_sqlite(tmp_path):
    env = os.environ | {
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("CACHE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert [line.split()[0] for line in result.stdout.splitlines()] == PAGES
