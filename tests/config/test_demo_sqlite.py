"""The zero-setup demo runs on SQLite, which the rest of the suite (on PostgreSQL) never touches:
build the reference day into a fresh SQLite file in a separate process and open every page."""

from tests.subprocess_django import run_python

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
    result = run_python(SCRIPT, tmp_path)
    assert [line.split()[0] for line in result.stdout.splitlines()] == PAGES
