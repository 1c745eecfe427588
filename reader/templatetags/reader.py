"""Template filters for the reader's pages: math, safe outside links, paper links, authors."""

from functools import lru_cache
from html import escape as _escape  # Django's escape, without its lazy-string wrapper

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext

from reader import mathml

register = template.Library()
AUTHORS_SHOWN = 3
_SOME_ID = "0000.00000"


@register.filter
def math(text) -> str:
    """Escaped text with its LaTeX formulas rendered as MathML."""
    return mathml.render(str(text or ""))


@register.filter
def http_url(url) -> str:
    """`url` if it is an http(s) address, else "": stored links never become javascript: hrefs."""
    url = str(url or "")
    return url if url[:8].lower().startswith(("https://", "http://")) else ""


@register.filter
def paper_url(paper) -> str:
    """The paper's page on this site: by arXiv id, or by row id for papers without one."""
    return _paper_url(paper, _paper_url_pattern(get_script_prefix()))


def _paper_url(paper, pattern: str) -> str:
    if paper.arxiv_id:
        # reverse() once per URL prefix, not once per paper: a day page links ~2,000 times.
        return pattern.replace(_SOME_ID, paper.arxiv_id)
    return reverse("paper-by-id", args=[paper.pk])


@lru_cache
def _paper_url_pattern(script_prefix: str) -> str:
    return reverse("paper", args=[_SOME_ID])


@register.simple_tag
def paper_list(papers, briefs=None, authors_shown=AUTHORS_SHOWN) -> str:
    """<li> items for papers: title (to its page here), popularity, the TL;DR, authors, and the
    arXiv, PDF and code links. `briefs` are the papers' TL;DRs by paper id (reader.pages.Brief);
    `authors_shown` how many authors are named before "and N more".

    Written in Python rather than as an included template: a day lists ~1,000 papers and an
    include per paper costs more than the rest of the page. Each item carries its upvotes, stars,
    submission date and arXiv id, by which static/js/day.js sorts a list in place.
    """
    briefs = briefs or {}
    upvotes_title = escape(gettext("Hugging Face upvotes"))
    comments_title = escape(gettext("Comments on Hugging Face"))
    stars_title = escape(gettext("Stars on GitHub"))
    source = escape(gettext("Source"))
    labels = _tldr_labels()
    pattern = _paper_url_pattern(get_script_prefix())
    more: dict[int, str] = {}  # "and N more" by N: translated once per count, not per paper
    items = []
    for paper in papers:
        title = paper.title
        title = mathml.render(title) if "$" in title or "\\" in title else _escape(title)
        published = paper.published.date().isoformat() if paper.published else ""
        arxiv_id = _escape(paper.arxiv_id or "")
        parts = [
            f'<li class="paper" data-upvotes="{paper.upvotes or 0}" '
            f'data-stars="{paper.github_stars or 0}" data-published="{published}" '
            f'data-id="{arxiv_id}">'
            f'<a class="paper-title" href="{_escape(_paper_url(paper, pattern))}">{title}</a>'
        ]
        if paper.upvotes:
            parts.append(f' <span class="upvotes" title="{upvotes_title}">▲ {paper.upvotes}</span>')
        if paper.hf_comments:
            parts.append(
                f' <span class="comments" title="{comments_title}">💬 {paper.hf_comments}</span>'
            )
        if brief := briefs.get(paper.pk):
            parts.append(_tldr(brief, labels))
        meta = []
        if paper.authors:
            names = _authors(paper.authors, authors_shown, more)
            meta.append(f'<span class="authors">{_escape(names)}</span>')
        if url := http_url(paper.abs_url):
            label = f"arXiv:{arxiv_id}" if arxiv_id else source
            meta.append(f'<a href="{_escape(url)}">{label}</a>')
        if url := http_url(paper.pdf_url):
            meta.append(f'<a href="{_escape(url)}">PDF</a>')
        if url := http_url(paper.github_repo):
            stars = (
                f' <span class="stars" title="{stars_title}">★ {paper.github_stars}</span>'
                if paper.github_stars
                else ""
            )
            meta.append(f'<a class="code" href="{_escape(url)}">GitHub</a>{stars}')
        parts.append(f'<span class="paper-meta">{" · ".join(meta)}</span></li>')
        items.append("".join(parts))
    return mark_safe("\n".join(items))  # every value above is escaped


@register.simple_tag
def cited_lines(items) -> str:
    """<li> items for a report's lines (reader.day_page): the text, its formulas as MathML, then
    a link to each paper it cites. In Python for the reason paper_list is: a day's reports have
    ~500 lines and ~1,000 citations."""
    pattern = _paper_url_pattern(get_script_prefix())
    link = _escape(gettext("link"))
    lines = []
    for item in items:
        cites = "".join(
            f' <a class="cite" href="{_escape(_paper_url(paper, pattern))}"'
            f' title="{_escape(paper.title)}">[{_escape(paper.arxiv_id or "") or link}]</a>'
            for paper in item["papers"]
        )
        lines.append(f"<li>{mathml.render(item['text'])}{cites}</li>")
    return mark_safe("".join(lines))  # every value above is escaped


@register.simple_tag
def tldr(briefs, paper) -> str:
    """The paper's TL;DR from `briefs` (by paper id, reader.pages.Brief), labelled by where it
    came from: "AI summary", "From the abstract" or "Editor's summary"; "" without one."""
    brief = briefs.get(paper.pk) if briefs else None
    return mark_safe(_tldr(brief, _tldr_labels())) if brief else ""


def _tldr_labels() -> dict[str, str]:
    return {
        "claude": escape(gettext("AI summary")),
        "extract": escape(gettext("From the abstract")),
        "editor": escape(gettext("Editor's summary")),
    }


def _tldr(brief, labels: dict[str, str]) -> str:
    text = mathml.render(brief.text) if "$" in brief.text else _escape(brief.text)
    lang = "en" if brief.source == "extract" else brief.language  # an extract is English
    return (
        f'<p class="tldr tldr-{_escape(brief.source)}"><span class="tldr-label">'
        f'{labels.get(brief.source, "")}</span> <span lang="{lang}">{text}</span></p>'
    )


@register.filter
def authors(names, limit: int = AUTHORS_SHOWN) -> str:
    """The first authors and how many more: "A, B, C 외 4명" / "A, B, C and 4 more"."""
    return _authors(list(names or []), limit, {})


def _authors(names: list, limit: int, more: dict[int, str]) -> str:
    """As `authors`; `more` keeps the translated "and N more" by N, for the next paper."""
    if len(names) <= limit:
        return ", ".join(names)
    count = len(names) - limit
    if count not in more:
        more[count] = ngettext("%(names)s and %(n)d more", "%(names)s and %(n)d more", count)
    return more[count] % {"names": ", ".join(names[:limit]), "n": count}


@register.filter
def method_explanation(paper) -> str:
    """How the paper's category was decided, in a sentence."""
    explanations = {
        "rule": gettext("Sorted by keyword rules on its title, abstract and arXiv categories."),
        "model": gettext("Sorted by a trained text classifier."),
        "llm": gettext("Sorted by a language model reading its title and abstract."),
        "editor": gettext("Set by an editor; automated runs never change it."),
        "imported": gettext("Taken from the original report it was imported from."),
    }
    return explanations.get(paper.category_method, "")


@register.filter
def local_name(category) -> str:
    """The category's name in the reader's language."""
    return category.display_name(get_language())
