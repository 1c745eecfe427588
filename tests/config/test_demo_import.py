"""`make demo` imports the reference product's reports (data/reference-reports/) beside the days
it builds, on SQLite, in a separate process: the imported days are published and marked imported,
the built day stays the pipeline's own (its papers that the reports share keep the reports'
category, which the pipeline does not overwrite), and running the demo's steps again changes no
row count."""

import json

from tests.conftest import REPO
from tests.subprocess_django import run_python

REPORTS = REPO / "data" / "reference-reports"
IMPORT = [
    "import_report",
    "data/reference-reports/",
    "data/reference-reports/history/",
    "--except",
    "2024-11-14",
]
SCRIPT = f"""
import json
import django
django.setup()
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from digest.models import DailyDigest
from summaries.models import CategorySummary

def demo():
    call_command("migrate", verbosity=0)
    call_command(*{IMPORT!r}, stdout=open("/dev/null", "w"))
    call_command("build_digest", "2024-11-14", "--unless-published", stdout=open("/dev/null", "w"))

def rows():
    return {{m._meta.label: m._default_manager.count() for m in apps.get_models()}}

demo()
first = rows()
demo()
client = Client(HTTP_HOST="127.0.0.1")
day = client.get("/days/2024-11-15/").content.decode()
published = DailyDigest.objects.published().values_list("date", flat=True)
print(json.dumps({{
    "first": first,
    "second": rows(),
    "published": [d.isoformat() for d in published],
    "generators": {{
        s.digest.date.isoformat(): s.generator
        for s in CategorySummary.objects.select_related("digest")
    }},
    "archive": client.get("/archive/").status_code,
    "day": day,
}}))
"""


def test_the_demo_imports_the_reports_beside_the_built_day_and_again_changes_nothing(tmp_path):
    makefile = (REPO / "Makefile").read_text()  # what the test runs is what make demo runs
    assert f"manage.py {' '.join(IMPORT[:3])} --except $(DEMO_DAYS)" in makefile
    assert "build_digest $$day --unless-published" in makefile
    assert makefile.index("import_report data/reference-reports/") < makefile.index("$$day")
    assert len(list(REPORTS.glob("Papers_*_report.md"))) == 57
    assert len(list(REPORTS.glob("history/Papers_*_report.md"))) == 12
    result = run_python(SCRIPT, tmp_path, timeout=600)
    out = json.loads(result.stdout.splitlines()[-1])
    assert out["second"] == out["first"]  # a second demo changes no row count
    # 57 + 12 reports: three are empty (2024-10-09, 2024-10-29, 2024-11-12) and 2024-11-14 is
    # the built day; with the demo's other built day, 2025-05-27, that is 67 published days.
    assert len(out["published"]) == 66
    assert "2024-11-14" in out["published"] and "2024-10-29" not in out["published"]
    assert min(out["published"]) == "2024-10-04"  # the history's oldest report
    generators = out["generators"]
    assert generators["2024-11-14"] == "offline"  # the pipeline's own, not the report
    assert {g for day, g in generators.items() if day != "2024-11-14"} == {"imported"}
    assert out["archive"] == 200
    # The imported day shows the report's Korean text verbatim.
    assert "수동 레이더를 활용한 인간 활동 인식(HAR)의 새로운 방법을 탐구합니다" in out["day"]
