"""The five-part category report every summariser (offline or LLM) fills, and its Markdown form.

Modelled on the reference report: themes, trends, findings (each citing its papers), impact
and outlook, in Korean by default.
"""

import re
from dataclasses import dataclass

# A line that cites papers ends with their refs: "… [2411.07975, 2411.08034]".
_CITATION = re.compile(r"\s*\[([^\[\]]+)\]\s*$")
_HEADING = re.compile(r"^\d\. \*\*(.+):\*\*$")

SECTIONS = ("themes", "trends", "findings", "impact", "outlook")

SECTION_TITLES: dict[str, dict[str, str]] = {
    "ko": {
        "themes": "핵심 주제 및 테마",
        "trends": "공통 키워드, 트렌드, 패턴",
        "findings": "주요 사건과 핵심 정보",
        "impact": "분야별 영향 분석",
        "outlook": "결론 및 주목할 미래 발전",
    },
    "en": {
        "themes": "Key themes",
        "trends": "Common keywords, trends and patterns",
        "findings": "Key findings",
        "impact": "Impact",
        "outlook": "Outlook",
    },
}


@dataclass(frozen=True)
class SummaryInput:
    """One paper handed to a summariser."""

    ref: str  # citation key: arXiv id, or the paper's URL when it has none
    title: str
    abstract: str  # "" when the paper has no abstract
    upvotes: int | None = None  # Hugging Face upvotes; None when unknown


@dataclass(frozen=True)
class Finding:
    text: str
    refs: tuple[str, ...]  # SummaryInput.ref values the finding draws on

    def __post_init__(self):
        # A finding nobody can trace back to a paper is exactly what the report must not contain.
        if not self.refs:
            raise ValueError("a finding must cite at least one paper")


@dataclass(frozen=True)
class Report:
    themes: tuple[str, ...]
    trends: tuple[str, ...]
    findings: tuple[Finding, ...]
    impact: tuple[str, ...]
    outlook: tuple[str, ...]
    note: str = ""  # e.g. the "written without an LLM" disclosure

    def to_dict(self) -> dict:
        """JSON-serialisable form, as stored in the database."""
        return {
            "themes": list(self.themes),
            "trends": list(self.trends),
            "findings": [{"text": f.text, "refs": list(f.refs)} for f in self.findings],
            "impact": list(self.impact),
            "outlook": list(self.outlook),
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        return cls(
            themes=tuple(data["themes"]),
            trends=tuple(data["trends"]),
            findings=tuple(Finding(f["text"], tuple(f["refs"])) for f in data["findings"]),
            impact=tuple(data["impact"]),
            outlook=tuple(data["outlook"]),
            note=data.get("note", ""),
        )

    def cited_refs(self) -> set[str]:
        """Refs of the findings, plus the "[ref]" or "[ref, ref]" ending impact and outlook lines,
        so that every paper the text points to can be linked."""
        refs = {ref for finding in self.findings for ref in finding.refs}
        for line in (*self.impact, *self.outlook):
            refs.update(split_citation(line)[1])
        return refs


def split_citation(line: str) -> tuple[str, list[str]]:
    """A line's text and the refs its "[ref, ref]" ending cites; (line, []) without one."""
    match = _CITATION.search(line)
    if not match:
        return line, []
    return line[: match.start()], [ref.strip() for ref in match.group(1).split(",")]


def render_markdown(report: Report, language: str) -> str:
    """Numbered bold headings with indented bullets, as in the reference report."""
    if language not in SECTION_TITLES:
        raise ValueError(
            f"unsupported language {language!r}; expected one of {list(SECTION_TITLES)}"
        )
    titles = SECTION_TITLES[language]
    blocks = []
    for number, key in enumerate(SECTIONS, start=1):
        if key == "findings":
            items = [f"{f.text} [{', '.join(f.refs)}]" for f in report.findings]
        else:
            items = getattr(report, key)
        lines = [f"{number}. **{titles[key]}:**", *(f"   - {item}" for item in items)]
        blocks.append("\n".join(lines))
    if report.note:
        blocks.append(f"_{report.note}_")
    return "\n\n".join(blocks) + "\n"


def parse_markdown(text: str, language: str) -> Report:
    """The inverse of `render_markdown`, for editors who correct a summary's Markdown.

    Raises ValueError naming the first line that does not fit the five-part structure.
    """
    keys = {title: key for key, title in SECTION_TITLES[language].items()}
    sections: dict[str, list[str]] = {key: [] for key in SECTIONS}
    section, note = None, ""
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if heading := _HEADING.match(line):
            section = keys.get(heading.group(1))
            if section is None:
                raise ValueError(f"line {number}: unknown heading {heading.group(1)!r}")
        elif line.startswith("- ") and section:
            sections[section].append(line[2:].strip())
        elif len(line) > 2 and line[0] == line[-1] == "_":
            note = line[1:-1]
        elif line:
            raise ValueError(f"line {number}: expected a numbered heading, '- item' or _note_")
    if empty := [SECTION_TITLES[language][key] for key in SECTIONS if not sections[key]]:
        raise ValueError(f"empty sections: {', '.join(empty)}")
    findings = []
    for item in sections.pop("findings"):
        text, refs = split_citation(item)
        if not refs:
            raise ValueError(f"finding {item[:40]!r}... must end with the papers it cites, [id]")
        findings.append(Finding(text, tuple(refs)))
    return Report(
        **{key: tuple(items) for key, items in sections.items()},
        findings=tuple(findings),
        note=note,
    )
