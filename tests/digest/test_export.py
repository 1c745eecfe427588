"""`manage.py export_digest` and the day's downloads: the reference format, byte for byte."""

import io
import re
import warnings
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from digest import chart_image, pipeline
from digest.export import report_markdown, source_link
from digest.models import DailyDigest
from digest.report_format import parse_report
from papers.models import Paper
from tests.conftest import DEMO_DAY, FIXTURES, REFERENCE_DAY

pytestmark = pytest.mark.django_db
REPORTS = FIXTURES / "origin" / "reports"
HEADER_EMOJI = re.compile(r"^## \W*", re.M)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def round_trip(day: str, out: Path) -> tuple[str, str]:
    original = REPORTS / f"Papers_{day}_report.md"
    call_command("import_report", str(original))
    call_command("export_digest", day, "--out", str(out))
    return original.read_text(), (out / f"Papers_{day}_report.md").read_text()


def test_golden_the_reference_day_round_trips_byte_for_byte(tmp_path, capsys):
    original = REPORTS / "Papers_2024-11-14_report.md"
    call_command("import_report", str(original))
    call_command("export_digest", "2024-11-14", "--out", str(tmp_path))
    assert (tmp_path / "Papers_2024-11-14_report.md").read_bytes() == original.read_bytes()
    out = capsys.readouterr().out
    assert "wrote " in out and "Exported 2024-11-14" in out
    image = Image.open(tmp_path / "paper_2024-11-14.png")
    assert image.format == "PNG" and image.width > 2 * image.height > 600


@pytest.mark.parametrize("day", ["2024-11-13", "2025-01-22"])
def test_more_reference_days_round_trip_but_for_the_header_emoji(tmp_path, day):
    original, exported = round_trip(day, tmp_path)
    assert exported != original  # the reference product picked emojis at random per day
    assert HEADER_EMOJI.sub("## ", exported) == HEADER_EMOJI.sub("## ", original)


def test_a_day_built_by_the_pipeline_exports_in_the_same_format(reference_day):
    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    text = report_markdown(digest)
    parsed = parse_report(text, "export")  # our own importer reads it back
    assert [s.label for s in parsed.sections] == [s["name"] for s in digest.chart]
    summaries = {s.category.name: s for s in digest.summaries.select_related("category")}
    for section in parsed.sections:
        summary = summaries[section.label]
        assert section.body == summary.body
        assert {s.url for s in section.sources} == {source_link(p) for p in summary.papers.all()}
    janus = Paper.objects.get(arxiv_id="2411.07975")
    assert source_link(janus) == f"http://arxiv.org/abs/2411.07975v{janus.version}"
    assert f" - {janus.title} (http://arxiv.org/abs/2411.07975v{janus.version})\n" in text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["2024-11-14"], "No published digest for 2024-11-14."),
        (["2024-02-30"], "Invalid date '2024-02-30'"),
        (["2024-11-14", "--out", "{file}"], "is not a folder"),
    ],
)
def test_export_refuses_bad_input(tmp_path, arguments, message):
    (tmp_path / "file").write_text("")
    arguments = [a.replace("{file}", str(tmp_path / "file")) for a in arguments]
    if "--out" in arguments:
        call_command("import_report", str(REPORTS / "Papers_2024-11-14_report.md"))
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("export_digest", *arguments)
    assert list(tmp_path.iterdir()) == [tmp_path / "file"]


def test_the_day_page_links_its_downloads(client, django_assert_num_queries):
    call_command("import_report", str(REPORTS / "Papers_2024-11-14_report.md"))
    html = client.get(reverse("day", args=[REFERENCE_DAY])).text
    assert 'href="/days/2024-11-14/report.md" download' in html
    assert 'href="/days/2024-11-14/chart.png"' in html

    with django_assert_num_queries(3):  # the digest, its summaries with categories, papers
        response = client.get("/days/2024-11-14/report.md")
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="Papers_2024-11-14_report.md"'
    assert response.content == (REPORTS / "Papers_2024-11-14_report.md").read_bytes()
    assert client.get("/days/2024-11-15/report.md").status_code == 404


def test_the_chart_image_is_cached_and_revalidated_by_its_etag(client, media):
    call_command("import_report", str(REPORTS / "Papers_2024-11-14_report.md"))
    response = client.get("/days/2024-11-14/chart.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="paper_2024-11-14.png"'
    png = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(png)).format == "PNG"
    cached = list((media / "charts").iterdir())
    assert len(cached) == 1 and cached[0].read_bytes() == png

    etag = response["ETag"]
    revalidated = client.get("/days/2024-11-14/chart.png", headers={"if-none-match": etag})
    assert revalidated.status_code == 304 and revalidated["ETag"] == etag

    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    digest.chart = digest.chart[::-1]  # a changed chart is a new image under a new key
    digest.save()
    changed = client.get("/days/2024-11-14/chart.png", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    b"".join(changed.streaming_content)
    assert [p.name for p in (media / "charts").iterdir()] == [
        f"paper_2024-11-14_{chart_image.chart_key(digest.chart)}.png"
    ]


def test_the_chart_shows_every_category_with_its_titles_in_hangul(reference_day):
    assert chart_image.font().get_name() == "NanumGothic"
    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a warning: none may occur
        png = chart_image.render_png(digest.chart, digest.date)
    image = Image.open(io.BytesIO(png))
    assert image.width > 2 * image.height
    legend = chart_image.legend(digest.chart)
    for slice_, entry in zip(digest.chart, legend, strict=True):
        assert f"{slice_['name']} · {slice_['name_ko']} ({slice_['count']}):" in entry
        assert all(f" - {title[:60]}" in entry for title in slice_["titles"])


def test_a_day_without_papers_still_has_an_image():
    png = chart_image.render_png([], REFERENCE_DAY)
    assert Image.open(io.BytesIO(png)).format == "PNG"


def test_a_big_day_lists_top_titles_and_how_many_more(make_day):
    make_day(120)
    pipeline.build_digest(DEMO_DAY)
    digest = DailyDigest.objects.get(date=DEMO_DAY)
    assert len(digest.chart) > chart_image.CROWDED
    largest, entry = digest.chart[0], chart_image.legend(digest.chart)[0]
    shown = chart_image.TITLES_WHEN_CROWDED
    assert entry.count("\n - ") == shown and largest["titles"][0][:50] in entry
    assert entry.endswith(f"외 {largest['count'] - shown}편")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = chart_image.render_png(digest.chart, digest.date)
    assert Image.open(io.BytesIO(png)).height > 435  # the legend grows with the categories
