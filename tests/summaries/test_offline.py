"""The offline summariser and the shared report structure, on real papers (no database).

Run with: uv run pytest tests/summaries/test_offline.py -q -p no:django
"""

import json
import random
import re
from collections import defaultdict
from dataclasses import replace

import pytest

from summaries.offline import summarise
from summaries.report import (
    SECTION_TITLES,
    SECTIONS,
    Finding,
    Report,
    SummaryInput,
    render_markdown,
)
from summaries.selection import select_featured
from tests.conftest import REPO

DAYS = REPO / "data" / "days"
LANGUAGES = ("ko", "en")


def _load_day() -> list[dict]:
    with open(DAYS / "2025-05-27" / "arxiv.jsonl", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _reference_categories() -> dict[str, list[SummaryInput]]:
    data = json.loads((DAYS / "2024-11-14" / "reference.json").read_text(encoding="utf-8"))
    categories = defaultdict(list)
    for paper in data["papers"]:
        categories[paper["category"]].append(
            SummaryInput(
                ref=paper["arxiv_id"] or paper["url"],
                title=paper["title"],
                abstract=paper["abstract"] or "",
                upvotes=paper["hf_upvotes_at_snapshot"],
            )
        )
    return dict(categories)


def _inputs(rows: list[dict]) -> list[SummaryInput]:
    return [SummaryInput(row["arxiv_id"], row["title"], row["abstract"]) for row in rows]


DAY = _load_day()
CV = _inputs([row for row in DAY if row["primary_category"] == "cs.CV"])
REFERENCE = _reference_categories()
CASES = {"cs.CV 2025-05-27": CV} | {f"reference {name}": ps for name, ps in REFERENCE.items()}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", CASES)
def test_every_section_is_filled_and_every_finding_cites_an_input(case, language):
    papers = CASES[case]
    report = summarise(papers, language=language)

    for section in SECTIONS:
        items = getattr(report, section)
        assert items, f"{section} is empty"
        assert all(isinstance(item, Finding) or item.strip() for item in items)
    refs = {paper.ref for paper in papers}
    assert all(finding.refs and set(finding.refs) <= refs for finding in report.findings)
    assert report.cited_refs() <= refs


def test_findings_quote_the_featured_papers_title_and_contribution():
    report = summarise(CV, featured_limit=5)

    featured = select_featured(CV, limit=5)
    assert [finding.refs for finding in report.findings] == [(paper.ref,) for paper in featured]
    first = report.findings[0].text
    assert first.startswith(featured[0].title.split(":")[0])
    assert re.search(r"\bwe (propose|introduce|present)", first, re.IGNORECASE)


def test_impact_lines_cite_a_featured_paper():
    report = summarise(CV)

    featured_refs = {paper.ref for paper in select_featured(CV)}
    for line in report.impact:
        ref = re.search(r"\[([^\]]+)\]$", line).group(1)
        assert ref in featured_refs


def test_cited_refs_include_refs_ending_impact_and_outlook_lines():
    report = Report(
        themes=("t",),
        trends=("t",),
        findings=(Finding("f", ("2505.00001",)),),
        impact=("X beats Y by 3% [2505.00002]", "no citation here"),
        outlook=("Z [2505.00003, https://example.org/paper]",),
    )

    assert report.cited_refs() == {
        "2505.00001",
        "2505.00002",
        "2505.00003",
        "https://example.org/paper",
    }


def test_featured_selection_puts_upvoted_papers_first_then_is_deterministic():
    upvotes = {CV[10].ref: 3, CV[200].ref: 40, CV[50].ref: 7}
    papers = [replace(p, upvotes=upvotes.get(p.ref)) for p in CV]

    featured = select_featured(papers, limit=10)

    assert [p.ref for p in featured[:3]] == [CV[200].ref, CV[50].ref, CV[10].ref]
    assert len(featured) == 10
    shuffled = random.Random(0).sample(papers, len(papers))
    assert select_featured(shuffled, limit=10) == featured


def test_report_is_deterministic_whatever_the_input_order():
    shuffled = random.Random(1).sample(CV, len(CV))

    assert summarise(shuffled) == summarise(CV)


def test_paper_without_abstract_is_still_cited_by_its_title():
    papers = REFERENCE["Computer Vision"]
    no_abstract = next(p for p in papers if not p.abstract)
    assert no_abstract.ref.startswith("https://")  # deeplearn.org: no arXiv id either

    report = summarise(papers)

    finding = next(f for f in report.findings if no_abstract.ref in f.refs)
    assert finding.text == no_abstract.title


def test_upvotes_from_the_reference_day_lead_the_findings():
    report = summarise(REFERENCE["Computer Vision"])

    assert report.findings[0].refs == ("2411.07184",)  # SAMPart3D, 15 upvotes
    assert any("2411.07184" in line for line in report.outlook)


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("ko", "LLM 없이"), ("en", "without an LLM")],
)
def test_note_discloses_that_no_llm_wrote_it(language, phrase):
    report = summarise(CV, language=language)

    assert phrase in report.note
    assert render_markdown(report, language).rstrip().endswith(f"_{report.note}_")


@pytest.mark.parametrize("language", LANGUAGES)
def test_markdown_has_the_five_numbered_headings_in_order(language):
    markdown = render_markdown(summarise(CV, language=language), language)

    headings = [
        f"{n}. **{SECTION_TITLES[language][key]}:**" for n, key in enumerate(SECTIONS, start=1)
    ]
    positions = [markdown.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert "\n   - " in markdown
    assert re.search(r"\[\d{4}\.\d{5}\]$", markdown, re.MULTILINE)  # findings end with refs


def test_korean_headings_match_the_reference_report():
    assert SECTION_TITLES["ko"]["themes"] == "핵심 주제 및 테마"
    assert SECTION_TITLES["ko"]["outlook"] == "결론 및 주목할 미래 발전"


def test_report_round_trips_through_json():
    report = summarise(CV)

    stored = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))

    assert Report.from_dict(stored) == report


def test_latex_and_urls_do_not_leak_into_the_report():
    noisy = [p for p in _inputs(DAY) if re.search(r"\$|\\[a-z]+|https?://", p.abstract)]
    assert len(noisy) > 100

    report = summarise(noisy, language="en", featured_limit=len(noisy))

    leaks = re.compile(r"\$|\\[a-zA-Z]|https?://|github\.com|textbf|[{}]")
    assert not [line for line in (*report.themes, *report.trends) if leaks.search(line)]
    assert not [f.text for f in report.findings if leaks.search(f.text)]


def test_themes_count_papers_in_both_languages():
    ko = summarise(CV, language="ko")
    en = summarise(CV, language="en")

    assert all(re.search(r'^".+" \(\d+편\)$', theme) for theme in ko.themes)
    assert all(re.search(r'^".+" \(\d+ papers?\)$', theme) for theme in en.themes)


def test_abstracts_hard_wraps_are_collapsed():
    report = summarise(CV)

    assert not [f.text for f in report.findings if "\n" in f.text]


def test_empty_input_and_unknown_language_are_refused():
    with pytest.raises(ValueError):
        summarise([])
    with pytest.raises(ValueError):
        summarise(CV[:5], language="fr")
    with pytest.raises(ValueError):
        render_markdown(summarise(CV[:5]), "fr")


def test_a_finding_must_cite_something():
    with pytest.raises(ValueError):
        Finding("uncited claim", ())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", CASES)
def test_markdown_parses_back_into_the_same_report(case, language):
    from summaries.report import parse_markdown

    report = summarise(CASES[case], language=language)

    assert parse_markdown(render_markdown(report, language), language) == report


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda md: md.replace("1. **핵심 주제 및 테마:**", "1. **Themes:**"), "unknown heading"),
        (lambda md: "   - stray item\n" + md, "line 1: expected a numbered heading"),
        (lambda md: re.sub(r" \[[^\]]+\]$", "", md, flags=re.MULTILINE), "must end with"),
    ],
)
def test_markdown_that_breaks_the_structure_is_refused(edit, message):
    from summaries.report import parse_markdown

    markdown = render_markdown(summarise(CV[:20]), "ko")

    with pytest.raises(ValueError, match=message):
        parse_markdown(edit(markdown), "ko")


# Key themes: distinctive for the category against the rest of the day --------------------------

# Phrases too generic to be a theme, whatever the category: pinned here so that the stop list
# cannot lose them silently.
GENERIC_THEMES = [
    "AI",
    "artificial intelligence",
    "machine learning",
    "deep learning",
    "neural networks",
    "language models",
    "large language models",
    "LLMs",
    "foundation models",
    "state-of-the-art",
    "natural language",
    "real-world applications",
    "extensive experiments",
    "computational costs",
]


def _key(phrase: str) -> tuple[str, ...]:
    from summaries.selection import term_key

    return tuple(term_key(word) for word in re.findall(r"[\w-]+", phrase))


def _categorised_day() -> dict[str, list[SummaryInput]]:
    """The 649-paper day sorted by the rule classifier (deterministic, no database)."""
    from papers.classifiers import rules

    by_slug = defaultdict(list)
    for row in DAY:
        decision = rules.classify(row["title"], row["abstract"], row["categories"])
        by_slug[decision.slug].append(SummaryInput(row["arxiv_id"], row["title"], row["abstract"]))
    return dict(by_slug)


def _taxonomy() -> dict[str, str]:
    import importlib

    module = importlib.import_module("papers.migrations.0002_default_taxonomy")
    return {slug: name for slug, name, *_ in module.TAXONOMY}


def test_the_generic_phrases_are_pinned_in_the_stop_list():
    from summaries.offline import THEME_STOP

    assert all(_key(phrase) in THEME_STOP for phrase in GENERIC_THEMES)


def test_no_key_theme_of_the_649_paper_day_is_generic_or_its_category_name():
    from summaries.offline import DayPhrases

    categories, names = _categorised_day(), _taxonomy()
    day = DayPhrases([paper for papers in categories.values() for paper in papers])
    own_names = {  # the names, acronyms and expansions a category's own theme would be
        "llm": {"llm", "large language model", "llm-based"},
        "nlp": {"nlp", "natural language processing", "language processing"},
        "computer-vision": {"computer vision"},
        "reinforcement-learning": {"reinforcement learning", "rl"},
        "inference-acceleration": {"inference acceleration"},
        "information-retrieval": {"information retrieval", "ir"},
        "graphs-tabular": {"time series", "graph"},
    }
    generic = {_key(phrase) for phrase in GENERIC_THEMES}
    assert len(categories) >= 10
    for slug, papers in categories.items():
        report = summarise(papers, day=day, names=(names[slug], slug))
        themes = [re.match(r'^"(.+)" \(\d+편\)$', theme)[1] for theme in report.themes]
        keys = {_key(theme) for theme in themes}
        assert not keys & generic, (slug, themes)
        forbidden = {_key(name) for name in own_names.get(slug, ())} | {_key(names[slug])}
        assert not keys & forbidden, (slug, themes)


def test_key_themes_are_more_common_in_the_category_than_in_the_rest_of_the_day():
    from summaries.offline import MIN_LIFT, DayPhrases, phrase_counts

    categories, names = _categorised_day(), _taxonomy()
    everyone = [paper for papers in categories.values() for paper in papers]
    day, counts = DayPhrases(everyone), phrase_counts(everyone)
    llm = categories["llm"]
    own = phrase_counts(llm)
    report = summarise(llm, day=day, names=(names["llm"], "llm"))
    frequent = summarise(llm)  # without the day: the most frequent phrases, as before
    assert report.themes != frequent.themes
    for theme in report.themes:
        key = _key(re.match(r'^"(.+)" \(\d+편\)$', theme)[1])
        share = own[key] / len(llm)
        elsewhere = (counts[key] - own[key] + 1) / (len(everyone) - len(llm) + 1)
        assert share >= MIN_LIFT * elsewhere, theme


def test_the_offline_note_says_how_themes_were_chosen():
    ko = summarise(CV, language="ko").note
    en = summarise(CV, language="en").note
    assert "LLM 없이" in ko and "다른 분야보다" in ko
    assert "without an LLM" in en and "rest of the day" in en
