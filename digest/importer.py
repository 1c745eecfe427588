"""Importing the reference product's daily reports (`Papers_<date>_report.md`) as published days.

The format, exactly as the reference product wrote it (and as `digest.export` writes it back)::

    # Daily Artificial Intelligence Insights : Papers![…](paper_<date>.png)   (one line)
    <blank>
    ## <emoji> <category>            one section per category, in the report's order
    <blank>
    **요약:**
    <blank>
    <summary text, verbatim, any number of lines>
    <blank>
    **출처:**
    <blank>
     - <title> (<url>)               one line per paper
    <blank>
    <blank>

Parsing is pure and happens before anything is written, so a malformed report changes nothing.
"""

import datetime
import hashlib
import json
import re
from collections import namedtuple
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from common.text import ARXIV_ID
from digest import chart
from digest.models import DailyDigest
from papers.models import Category, Paper
from summaries.models import CategorySummary
from summaries.report import Report as FivePartReport

IMPORTED = Paper.Method.IMPORTED.value  # also the generator of imported summaries
LANGUAGE = "ko"  # the reference reports are Korean
OTHER = "other"
NO_PARTS = FivePartReport((), (), (), (), ()).to_dict()

TITLE_LINE = re.compile(
    r"# Daily Artificial Intelligence Insights : Papers"
    r"!\[Category Distribution Graph\]\(paper_(?P<date>\d{4}-\d{2}-\d{2})\.png\)"
)
FILE_NAME = re.compile(r"Papers_(?P<date>\d{4}-\d{2}-\d{2})_report\.md")
SUMMARY, SOURCES = "**요약:**", "**출처:**"
# The URL is the last parenthesised token; titles may contain parentheses, URLs no spaces.
SOURCE_LINE = re.compile(r" - (?P<title>\S.*) \((?P<url>https?://[^ ]+)\)")
ARXIV_URL = re.compile(r"https?://arxiv\.org/abs/" + ARXIV_ID.pattern)
DEEPLEARN_HOST = "https://deeplearn.org/"

# Free-form labels of the reference product -> taxonomy slugs, keyed by `normalise(label)`.
# Category names (English and Korean) and slugs match without being listed; unknown labels go
# to Other, for editors to re-file.
SYNONYMS = {
    "llms": "llm",
    "large language models": "llm",
    "language models": "llm",
    "reasoning models": "llm",
    "nlp": "nlp",
    "video generation": "computer-vision",
    "diffusion models": "computer-vision",
    "speech": "audio",
    "imitation learning": "reinforcement-learning",
    "autonomous systems": "robotics",
    "machine learning": "model-training",
    "deep learning": "model-training",
    "neural networks": "model-training",
    "model architectures": "model-training",
    "optimization": "model-training",
    "federated learning": "model-training",
    "machine learning theory": "model-training",
    "model compression": "inference-acceleration",
    "ai ethics": "safety-ethics",
    "ethics in ai": "safety-ethics",
    "machine learning ethics": "safety-ethics",
    "ai alignment": "safety-ethics",
    "ai safety": "safety-ethics",
    "security": "safety-ethics",
    "cybersecurity": "safety-ethics",
    "interpretability": "safety-ethics",
    "model explainability": "safety-ethics",
    "graph neural networks": "graphs-tabular",
    "graph networks": "graphs-tabular",
    "tabular": "graphs-tabular",
    "time series": "graphs-tabular",
    "information retrieval": "information-retrieval",
    "recommender systems": "information-retrieval",
    "recommendation systems": "information-retrieval",
    "healthcare ai": "ai-for-science",
    "ai in healthcare": "ai-for-science",
    "ai in medicine": "ai-for-science",
    "ethics in ai and health": "ai-for-science",
    "physics": "ai-for-science",
    "quantum computing": "ai-for-science",
    "quantum machine learning": "ai-for-science",
    "scientific computing": "ai-for-science",
}


def imported_refs(summary) -> list[str] | None:
    """The refs an imported summary lists as its sources, in the report's order; else None."""
    if summary.generator != IMPORTED:
        return None
    return summary.sections.get("imported", {}).get("refs")


class ReportError(Exception):
    """A report cannot be imported; the message names the file and, when it can, the line."""


@dataclass(frozen=True)
class Source:
    title: str
    url: str

    @property
    def arxiv(self) -> tuple[str, int] | None:
        """(id, version) for an arXiv link, e.g. http://arxiv.org/abs/2411.07133v2."""
        match = ARXIV_URL.fullmatch(self.url)
        return match and (match.group("id"), int(match.group("version") or 1))

    @property
    def ref(self) -> str:
        """The key the paper is stored under (`Paper.ref`): its arXiv id, else its URL."""
        return self.arxiv[0] if self.arxiv else self.url


@dataclass(frozen=True)
class Section:
    heading: str  # the text after "## ", verbatim (emoji included)
    body: str  # the summary, verbatim
    sources: tuple[Source, ...]

    @property
    def label(self) -> str:
        """The category without the emoji the reference product put before it."""
        return re.sub(r"^\W+", "", self.heading).strip()


@dataclass(frozen=True)
class Report:
    name: str
    date: datetime.date
    sections: tuple[Section, ...]


def read_report(path: Path) -> Report:
    """Read and parse one report file; its name, if it has the usual form, must carry its date."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ReportError(
            f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    report = parse_report(text, path.name)
    named = FILE_NAME.fullmatch(path.name)
    if named and named.group("date") != report.date.isoformat():
        raise ReportError(
            f"{path.name} line 1: the title links the chart of {report.date.isoformat()}, "
            f"but the file is named for {named.group('date')}"
        )
    return report


def parse_report(text: str, name: str) -> Report:
    lines = text.split("\n")

    def fail(index: int, message: str):
        raise ReportError(f"{name} line {index + 1}: {message}")

    if "\x00" in text:  # no editor writes one, and PostgreSQL cannot store it
        fail(text.count("\n", 0, text.index("\x00")), "a NUL character")

    title = TITLE_LINE.fullmatch(lines[0])
    if not title:
        fail(
            0,
            "expected the title line '# Daily Artificial Intelligence Insights : Papers"
            "![Category Distribution Graph](paper_<date>.png)'",
        )
    try:
        day = datetime.date.fromisoformat(title.group("date"))
    except ValueError:
        fail(0, f"{title.group('date')} is not a real date")
    if len(lines) < 3 or lines[1] != "":
        fail(1, "expected a blank line after the title")

    sections, i = [], 2
    while any(lines[i:]):
        if not lines[i].startswith("## ") or not lines[i][3:].strip():
            fail(i, f"expected a '## <category>' heading, found {lines[i][:60]!r}")
        heading = lines[i][3:]
        if lines[i + 1 : i + 4] != ["", SUMMARY, ""]:
            fail(i + 1, f"expected a blank line, '{SUMMARY}' and a blank line after {heading!r}")
        start = i + 4
        end = _sources_start(lines, start)
        if end is None:
            fail(
                i,
                f"the section {heading!r} has no '{SOURCES}' list of ' - Title (URL)' lines "
                "followed by two blank lines",
            )
        body = "\n".join(lines[start : end - 1])
        if not body.strip():
            fail(start, f"the section {heading!r} has an empty summary")
        sources, k = [], end + 2
        while lines[k].startswith(" - "):
            match = SOURCE_LINE.fullmatch(lines[k])
            if not match:
                fail(k, f"expected ' - Title (URL)', found {lines[k][:80]!r}")
            sources.append(Source(match.group("title"), match.group("url")))
            k += 1
        sections.append(Section(heading, body, tuple(sources)))
        i = k + 2
    return Report(name, day, tuple(sections))


def _sources_start(lines: list[str], start: int) -> int | None:
    """Index of the "**출처:**" line that closes the summary starting at `start`.

    Summaries are free text (one even has its own "## " heading), so the end is the first
    "**출처:**" line set off by blank lines, followed by source lines and the section's end.
    """
    for j in range(start + 1, len(lines) - 3):
        if lines[j] != SOURCES or lines[j - 1] != "" or lines[j + 1] != "":
            continue
        k = j + 2
        while k < len(lines) and lines[k].startswith(" - "):
            k += 1
        ends_section = k + 2 < len(lines) and lines[k : k + 2] == ["", ""]
        if k > j + 2 and ends_section and (k + 3 == len(lines) or lines[k + 2].startswith("## ")):
            return j
    return None


def normalise(label: str) -> str:
    """Case, '&' and punctuation variants of a label compare equal."""
    return " ".join(re.sub(r"[^\w]+", " ", label.casefold().replace("&", " and ")).split())


class CategoryMap:
    """Label -> taxonomy category, for one import run; unknown labels are filed under Other."""

    def __init__(self):
        categories = {c.slug: c for c in Category.objects.all()}
        if OTHER not in categories:
            raise ReportError("The taxonomy has no 'other' category to file unknown labels under.")
        self.other = categories[OTHER]
        self.by_label = {
            normalise(label): categories[slug]
            for label, slug in SYNONYMS.items()
            if slug in categories
        }
        for category in categories.values():
            for label in (category.slug.replace("-", " "), category.name, category.name_ko):
                self.by_label[normalise(label)] = category

    def __getitem__(self, label: str) -> Category:
        return self.by_label.get(normalise(label), self.other)

    def is_known(self, label: str) -> bool:
        return normalise(label) in self.by_label


_Listed = namedtuple("_Listed", "category title")  # what `chart.distribution` counts


def import_report(report: Report, categories: CategoryMap, replace: bool = False) -> dict:
    """Store one parsed report as a published day; re-importing the same report changes nothing.

    Sections whose labels map to the same category are merged (their texts joined by a blank
    line). Each paper's category is the report's, unless an editor has decided it.
    """
    if not report.sections:
        return {"sections": 0}
    merged: dict[Category, list[Section]] = {}
    for section in report.sections:
        merged.setdefault(categories[section.label], []).append(section)

    with transaction.atomic():
        digest = DailyDigest.objects.select_for_update().filter(date=report.date).first()
        if digest and not replace and not digest.summaries.filter(generator=IMPORTED).exists():
            raise ReportError(
                f"{report.name}: {report.date.isoformat()} already has a digest built by the "
                "pipeline; pass --replace to overwrite it with the report."
            )
        papers, created = _upsert_papers(report, merged)
        digest = digest or DailyDigest(date=report.date)
        written = _store_digest(digest, report, merged, papers)
    return {
        "sections": len(report.sections),
        "categories": len(merged),
        "papers": len(papers),
        "new papers": created,
        "summaries written": written,
        "filed under Other": sum(not categories.is_known(s.label) for s in report.sections),
    }


def _upsert_papers(report: Report, merged: dict) -> tuple[dict[str, Paper], int]:
    """The report's papers by ref, created or brought up to date: version, imported category."""
    first_category = {}
    sources = {}
    for category, sections in merged.items():
        for source in (s for section in sections for s in section.sources):
            first_category.setdefault(source.ref, category)
            sources.setdefault(source.ref, source)
    ids = [ref for ref, source in sources.items() if source.arxiv]
    urls = [ref for ref, source in sources.items() if not source.arxiv]
    existing = {p.ref: p for p in Paper.objects.filter(arxiv_id__in=ids)}
    existing |= {p.ref: p for p in Paper.objects.filter(arxiv_id__isnull=True, abs_url__in=urls)}

    now, created, papers = timezone.now(), 0, {}
    for ref, source in sources.items():
        category = first_category[ref]
        paper = existing.get(ref)
        if paper is None:
            paper = Paper(title=source.title, announced_on=report.date, **_identity(source))
            created += 1
        changed = paper.pk is None
        if source.arxiv and source.arxiv[1] > paper.version:
            paper.version, changed = source.arxiv[1], True
        if paper.category_method != Paper.Method.EDITOR and (
            paper.category_id != category.pk or paper.category_method != IMPORTED
        ):
            paper.category, paper.category_method = category, IMPORTED
            paper.category_confidence, paper.categorised_at = None, now
            changed = True
        if changed:
            paper.save()
        papers[ref] = paper
    return papers, created


def _identity(source: Source) -> dict:
    if source.arxiv:
        arxiv_id, version = source.arxiv
        return {
            "arxiv_id": arxiv_id,
            "version": version,
            "abs_url": f"https://arxiv.org/abs/{arxiv_id}",
            "pdf_url": f"https://arxiv.org/pdf/{arxiv_id}",
            "source": Paper.Source.ARXIV,
        }
    deeplearn = source.url.startswith(DEEPLEARN_HOST)
    return {
        "abs_url": source.url,
        "source": Paper.Source.DEEPLEARN if deeplearn else Paper.Source.ARXIV,
    }


def _store_digest(digest: DailyDigest, report: Report, merged: dict, papers: dict) -> int:
    """Publish the day, sections in the report's order; returns the number of summaries written."""
    listed = [
        _Listed(category, papers[s.ref].title)
        for category, sections in merged.items()
        for section in sections
        for s in section.sources
    ]
    position = {category.slug: n for n, category in enumerate(merged)}
    slices = sorted(chart.distribution(listed), key=lambda s: position[s["slug"]])
    # The reference product published each report on its date; keep that as the publication time.
    published_at = digest.published_at or timezone.make_aware(
        datetime.datetime.combine(report.date, datetime.time())
    )
    if digest.pk is None or (digest.chart, digest.status, digest.published_at) != (
        slices,
        DailyDigest.Status.PUBLISHED,
        published_at,
    ):
        digest.chart, digest.status, digest.published_at = (
            slices,
            DailyDigest.Status.PUBLISHED,
            published_at,
        )
        digest.save()
    digest.papers.set(papers.values())

    existing = {s.category_id: s for s in digest.summaries.filter(language=LANGUAGE)}
    written, kept = 0, []
    for category, sections in merged.items():
        refs = [s.ref for section in sections for s in section.sources]
        body = "\n\n".join(section.body for section in sections)
        # Free text has no five-part structure: those parts stay empty, so code that reads them
        # still works, and what the text came from is kept beside them.
        stored = {
            **NO_PARTS,
            "imported": {
                "report": report.name,
                "headings": [s.heading for s in sections],
                "refs": refs,
            },
        }
        key = hashlib.sha256(json.dumps([body, stored], ensure_ascii=False).encode()).hexdigest()
        summary = existing.get(category.pk)
        if summary is None or summary.input_key != key or summary.generator != IMPORTED:
            summary, _ = CategorySummary.objects.update_or_create(
                digest=digest,
                category=category,
                language=LANGUAGE,
                defaults={
                    "sections": stored,
                    "body": body,
                    "paper_count": len(refs),
                    "generator": IMPORTED,
                    # The historical record: no summarise run or regeneration rewrites it.
                    "locked": True,
                    "input_key": key,
                    "input_tokens": 0,
                    "output_tokens": 0,
                },
            )
            summary.papers.set([papers[ref] for ref in dict.fromkeys(refs)])
            written += 1
        kept.append(summary.pk)
    digest.summaries.exclude(pk__in=kept).delete()
    return written
