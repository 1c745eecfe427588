"""`manage.py import_report`: the reference product's real reports become published days."""

import datetime
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from digest import pipeline
from digest.models import DailyDigest
from digest.report_format import parse_report, read_report
from papers.models import Category, Paper
from summaries.models import CategorySummary
from tests.conftest import FIXTURES, REFERENCE_DAY, chart_slugs

pytestmark = pytest.mark.django_db
REPORTS = FIXTURES / "origin" / "reports"
REFERENCE = REPORTS / "Papers_2024-11-14_report.md"


def report(day: str) -> Path:
    return REPORTS / f"Papers_{day}_report.md"


def snapshot():
    return (
        list(DailyDigest.objects.values_list("date", "updated_at", "chart")),
        list(CategorySummary.objects.values_list("pk", "updated_at", "body")),
        list(Paper.objects.values_list("pk", "updated_at", "category_id", "version")),
    )


def test_the_reference_report_parses_into_its_sections_verbatim():
    parsed = read_report(REFERENCE)
    assert parsed.date == REFERENCE_DAY
    assert [s.heading for s in parsed.sections] == [
        "🌅 Model training technique",
        "🪄 Computer Vision",
        "🥳 Reinforcement Learning",
        "🪐 Inference acceleration",
        "❄️ Multimodal",
        "🎠 Natural Language Processing",
    ]
    assert parsed.sections[4].label == "Multimodal"
    assert [len(s.sources) for s in parsed.sections] == [5, 3, 1, 1, 1, 1]
    text = REFERENCE.read_text()
    for section in parsed.sections:
        assert f"**요약:**\n\n{section.body}\n\n**출처:**\n\n - " in text
    rl = parsed.sections[2].body
    assert rl.startswith("제목: '적대적 환경에서의") and r"$\tilde{\mathcal{O}}" in rl
    teacher = parsed.sections[0].sources[3]
    assert teacher.url == "http://arxiv.org/abs/2411.07133v2"
    assert (teacher.arxiv, teacher.ref) == (("2411.07133", 2), "2411.07133")
    radar = parsed.sections[1].sources[0]
    assert radar.arxiv is None and radar.ref == radar.url
    assert radar.url.startswith("https://deeplearn.org/arxiv/543512/")


def test_import_publishes_the_day_with_papers_summaries_and_chart_in_report_order(capsys):
    call_command("import_report", str(REFERENCE))
    assert (
        "2024-11-14: sections 6, categories 6, papers 12, new papers 12" in capsys.readouterr().out
    )

    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    assert digest.status == DailyDigest.Status.PUBLISHED and digest.published_at
    assert [*zip(chart_slugs(digest.chart), [s["count"] for s in digest.chart], strict=True)] == [
        ("model-training", 5),
        ("computer-vision", 3),
        ("reinforcement-learning", 1),
        ("inference-acceleration", 1),
        ("multimodal", 1),
        ("nlp", 1),
    ]
    assert digest.papers.count() == 12
    teacher = Paper.objects.get(arxiv_id="2411.07133")
    assert (teacher.version, teacher.abs_url) == (2, "https://arxiv.org/abs/2411.07133")
    assert teacher.title == "Stronger Models are NOT Stronger Teachers for Instruction Tuning"
    assert (teacher.category.slug, teacher.category_method) == ("model-training", "imported")
    radar = Paper.objects.get(abs_url__contains="approaches-to-human-activity-recognition")
    assert radar.arxiv_id is None and radar.source == Paper.Source.DEEPLEARN
    assert set(Paper.objects.values_list("category_method", flat=True)) == {"imported"}

    parsed = read_report(REFERENCE)
    summaries = CategorySummary.objects.filter(digest=digest).select_related("category")
    by_category = {s.category_id: s for s in summaries}
    assert len(by_category) == 6
    for section, slice_ in zip(parsed.sections, digest.chart, strict=True):
        summary = by_category[slice_["category"]]
        assert summary.body == section.body and summary.generator == "imported"
        assert summary.language == "ko" and summary.paper_count == len(section.sources)
        assert summary.sections["imported"]["refs"] == [s.ref for s in section.sources]
        assert summary.sections["imported"]["headings"] == [section.heading]
        assert {p.ref for p in summary.papers.all()} == {s.ref for s in section.sources}


def test_reimporting_changes_nothing():
    call_command("import_report", str(REPORTS))  # a folder: every report in it
    assert DailyDigest.objects.published().count() == 4  # 2024-10-29 is an empty report
    before = snapshot()
    call_command("import_report", str(REPORTS))
    assert snapshot() == before


def test_pipeline_reruns_keep_the_imported_history():
    call_command("import_report", str(REFERENCE))
    before = snapshot()
    for stage in ("classify", "summarise", "publish"):
        pipeline.run_stage(REFERENCE_DAY, stage)
    summaries = CategorySummary.objects.all()
    assert {s.generator for s in summaries} == {"imported"} and all(s.locked for s in summaries)
    assert snapshot()[1:] == before[1:]


def test_free_form_labels_map_onto_the_taxonomy_and_unknown_ones_go_to_other(capsys):
    call_command("import_report", str(report("2024-11-06")))
    assert "sections 11, categories 8, papers 12" in capsys.readouterr().out
    digest = DailyDigest.objects.get(date="2024-11-06")
    assert chart_slugs(digest.chart) == [
        "computer-vision",
        "nlp",
        "model-training",  # Federated Learning, Model Training Technique, Model Architectures
        "safety-ethics",  # AI Alignment
        "other",  # Formal Methods: unknown, for editors to re-file
        "robotics",  # Autonomous Systems
        "llm",  # LLM and Language Models
        "reinforcement-learning",
    ]
    training = CategorySummary.objects.get(digest=digest, category__slug="model-training")
    headings = ["👽 Federated Learning", "🫧 Model Training Technique", "🎇 Model Architectures"]
    assert training.sections["imported"]["headings"] == headings
    parsed = {s.heading: s for s in read_report(report("2024-11-06")).sections}
    assert training.body == "\n\n".join(parsed[h].body for h in headings)
    assert training.paper_count == sum(len(parsed[h].sources) for h in headings)


def test_the_command_reports_labels_filed_under_other(capsys):
    call_command("import_report", str(report("2024-11-06")))
    assert "filed under Other 1" in capsys.readouterr().out


def test_an_editors_decision_survives_an_import():
    call_command("import_report", str(REFERENCE))
    teacher = Paper.objects.get(arxiv_id="2411.07133")
    teacher.assign_by_editor(Category.objects.get(slug="llm"))
    teacher.save()
    call_command("import_report", str(REFERENCE))
    teacher.refresh_from_db()
    assert (teacher.category.slug, teacher.category_method) == ("llm", "editor")


def test_empty_reports_are_skipped(capsys):
    call_command("import_report", str(report("2024-10-29")))
    assert "2024-10-29: empty report, skipped" in capsys.readouterr().out
    assert not DailyDigest.objects.exists()


def test_a_day_built_by_the_pipeline_is_only_replaced_on_request(reference_day):
    own = set(CategorySummary.objects.values_list("generator", flat=True))
    assert own and "imported" not in own
    with pytest.raises(CommandError, match="already has a digest built by the pipeline"):
        call_command("import_report", str(REFERENCE))
    assert set(CategorySummary.objects.values_list("generator", flat=True)) == own

    call_command("import_report", str(REFERENCE), "--replace")
    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    assert set(digest.summaries.values_list("generator", flat=True)) == {"imported"}
    assert chart_slugs(digest.chart)[:2] == ["model-training", "computer-vision"]
    # The pipeline's JanusFlow row is the report's paper now, keyed by its arXiv id.
    assert Paper.objects.filter(arxiv_id="2411.07975").count() == 1
    assert digest.papers.count() == 12


def write(tmp_path, text: str, name: str = "Papers_2024-11-14_report.md") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


MINIMAL = (
    "# Daily Artificial Intelligence Insights : Papers"
    "![Category Distribution Graph](paper_2024-11-14.png)\n\n"
    "## 🧠 LLM\n\n**요약:**\n\n요약 본문\n\n**출처:**\n\n"
    " - A paper (http://arxiv.org/abs/2411.00001v1)\n\n\n"
)


def test_a_minimal_report_round_trips_through_the_parser():
    parsed = parse_report(MINIMAL, "minimal")
    assert parsed.date == datetime.date(2024, 11, 14)
    assert [(s.label, s.body, len(s.sources)) for s in parsed.sections] == [("LLM", "요약 본문", 1)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL.replace("# Daily", "# Weekly"), "line 1: expected the title line"),
        (MINIMAL.replace("paper_2024-11-14", "paper_2024-11-31"), "line 1: 2024-11-31 is not a"),
        (MINIMAL.replace(".png)\n\n", ".png)\n"), "line 2: expected a blank line after the title"),
        (MINIMAL.replace("## 🧠 LLM", "### LLM"), "line 3: expected a '## <category>' heading"),
        (MINIMAL.replace("**요약:**", "요약:"), "line 4: expected a blank line, '**요약:**'"),
        (MINIMAL.replace("**출처:**", "출처:"), "line 3: the section '🧠 LLM' has no '**출처:**'"),
        (MINIMAL.replace("요약 본문", " "), "line 7: the section '🧠 LLM' has an empty summary"),
        (MINIMAL.replace(" (http://", " (ftp://"), "line 11: expected ' - Title (URL)'"),
        (MINIMAL.rstrip("\n"), "line 3: the section '🧠 LLM' has no '**출처:**'"),
    ],
)
def test_malformed_reports_are_refused_naming_the_line_and_nothing_is_imported(
    tmp_path, text, message
):
    good = write(
        tmp_path, MINIMAL.replace("2024-11-14", "2024-11-13"), "Papers_2024-11-13_report.md"
    )
    bad = write(tmp_path, text)
    with pytest.raises(CommandError, match=re.escape(f"Papers_2024-11-14_report.md {message}")):
        call_command("import_report", str(good), str(bad))
    assert not DailyDigest.objects.exists() and not Paper.objects.exists()


def test_files_that_are_not_reports_are_refused(tmp_path):
    with pytest.raises(CommandError, match="the title links the chart of 2024-11-14, but the"):
        call_command("import_report", str(write(tmp_path, MINIMAL, "Papers_2024-11-15_report.md")))
    with pytest.raises(CommandError, match=r"Papers_2024-11-14_report.md: not UTF-8 text"):
        call_command("import_report", str(write(tmp_path, MINIMAL.encode("utf-16"))))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_report", str(tmp_path / "missing.md"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match=r"No Papers_<date>_report\.md files in"):
        call_command("import_report", str(tmp_path / "empty"))
    assert not DailyDigest.objects.exists()


def test_an_imported_day_shows_its_original_text_sanitised(client):
    evil = MINIMAL.replace(
        "요약 본문", "**굵게** <script>alert(1)</script> [x](javascript:alert(2))"
    )
    call_command("import_report", str(REFERENCE))
    summary = CategorySummary.objects.get(category__slug="computer-vision")
    summary.body = parse_report(evil, "evil").sections[0].body + "\n\n" + summary.body
    summary.save()

    response = client.get(reverse("day", args=[REFERENCE_DAY]))
    html = response.text
    assert "<strong>굵게</strong>" in html and "<strong>종합 요약 보고서</strong>" in html
    assert "<script>alert(1)" not in html and "javascript:alert" not in html
    # The report's order, its papers under each category, in the report's order too.
    positions = [html.index(f'id="{slug}"') for slug in ("model-training", "computer-vision")]
    assert positions == sorted(positions)
    radar = html.index("Approaches to human activity recognition via passive radar", positions[1])
    wala = html.index("Wavelet Latent Diffusion (Wala)", positions[1])
    assert radar < wala < html.index('id="reinforcement-learning"')
    assert "결론 및 주목할 미래 발전" not in html  # no empty five-part headings
