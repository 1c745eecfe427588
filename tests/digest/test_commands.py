"""`manage.py build_digest`: progress on success, one clear line on bad input."""

import pytest
from django.core.management import CommandError, call_command

from digest.models import DailyDigest
from papers.models import Paper

pytestmark = pytest.mark.django_db


def test_build_digest_prints_each_stage(capsys):
    call_command("build_digest", "2024-11-14")
    out = capsys.readouterr().out
    for stage in ("ingest", "classify", "summarise", "publish"):
        assert f"  {stage}" in out
    assert "listed 12, created 12" in out and "Published 2024-11-14" in out
    assert DailyDigest.objects.published().count() == 1


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("2024-11-31", "Invalid date '2024-11-31': expected YYYY-MM-DD"),
        ("14/11/2024", "Invalid date '14/11/2024'"),
        ("2099-01-01", "2099-01-01 is in the future"),
        ("2024-11-15", "No data for 2024-11-15. Bundled days: 2024-11-14, 2025-05-27."),
    ],
)
def test_build_digest_refuses_bad_input(argument, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.")):
        call_command("build_digest", argument)
    assert Paper.objects.count() == 0 and DailyDigest.objects.count() == 0
