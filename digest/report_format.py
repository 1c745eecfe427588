"""The reference product's daily report (`Papers_<date>_report.md`): its grammar, parsed.

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

Parsing is pure; digest.importer stores a parsed report, digest.export writes one back.
"""

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from common.text import ARXIV_ID

TITLE_LINE = re.compile(
    r"# Daily Artificial Intelligence Insights : Papers"
    r"!\[Category Distribution Graph\]\(paper_(?P<date>\d{4}-\d{2}-\d{2})\.png\)"
)
FILE_NAME = re.compile(r"Papers_(?P<date>\d{4}-\d{2}-\d{2})_report\.md")
SUMMARY, SOURCES = "**요약:**", "**출처:**"
# The URL is the last parenthesised token; titles may contain parentheses, URLs no spaces.
SOURCE_LINE = re.compile(r" - (?P<title>\S.*) \((?P<url>https?://[^ ]+)\)")
ARXIV_URL = re.compile(r"https?://arxiv\.org/abs/" + ARXIV_ID.pattern)


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
