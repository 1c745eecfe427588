"""A day in the reference product's format: `Papers_<date>_report.md` and `paper_<date>.png`.

The Markdown is laid out byte for byte as the reference product wrote it (see
`digest.importer` for the grammar), so an imported report exports back to the same bytes.
Links follow the reference product's rule: an arXiv paper as its versioned arXiv API id
(http://arxiv.org/abs/2411.07133v2), any other paper by its URL.
"""

import shutil
from pathlib import Path

from django.conf import settings

from digest import chart_image
from digest.importer import imported_refs

TITLE = (
    "# Daily Artificial Intelligence Insights : Papers![Category Distribution Graph]({image})\n\n"
)
SECTION = "## {emoji} {name}\n\n**요약:**\n\n{body}\n\n**출처:**\n\n{sources}\n\n"


def report_name(day) -> str:
    return f"Papers_{day.isoformat()}_report.md"


def image_name(day) -> str:
    return f"paper_{day.isoformat()}.png"


def source_link(paper) -> str:
    if paper.arxiv_id:
        return f"http://arxiv.org/abs/{paper.arxiv_id}v{paper.version}"
    return paper.abs_url


def summary_sources(summary) -> list:
    """The papers a summary lists as sources; an imported one keeps its report's order.

    Uses `summary.papers.all()`, so prefetch it for many summaries.
    """
    papers = list(summary.papers.all())
    refs = imported_refs(summary)
    if refs is None:
        return papers
    by_ref = {paper.ref: paper for paper in papers}
    return [by_ref[ref] for ref in refs if ref in by_ref]


def report_markdown(digest) -> str:
    """One section per chart slice (the report's order for an imported day, else by size)
    that has a summary in the digest language. Queries: summaries with categories, papers."""
    summaries = {
        s.category_id: s
        for s in digest.summaries.filter(language=settings.DIGEST_LANGUAGE)
        .select_related("category")
        .prefetch_related("papers")
    }
    parts = [TITLE.format(image=image_name(digest.date))]
    for slice_ in digest.chart:
        summary = summaries.get(slice_["category"])
        if summary is None:
            continue
        sources = "".join(
            f" - {paper.title} ({source_link(paper)})\n" for paper in summary_sources(summary)
        )
        parts.append(
            SECTION.format(
                emoji=summary.category.emoji,
                name=summary.category.name,
                body=summary.body,
                sources=sources,
            )
        )
    return "".join(parts)


def export_digest(digest, folder: Path) -> tuple[Path, Path]:
    """Write the report and its chart image into `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / report_name(digest.date)
    report.write_text(report_markdown(digest), encoding="utf-8")
    image = folder / image_name(digest.date)
    shutil.copyfile(chart_image.cached_png(digest), image)
    return report, image
