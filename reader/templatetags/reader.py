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
    if paper.arxiv_id:
        # reverse() once per URL prefix, not once per paper: a day page links ~2,000 times.
        return _paper_url_pattern(get_script_prefix()).replace(_SOME_ID, paper.arxiv_id)
    return reverse("paper-by-id", args=[paper.pk])


@lru_cache
def _paper_url_pattern(script_prefix: str) -> str:
    return reverse("paper", args=[_SOME_ID])


@register.simple_tag
def paper_list(papers) -> str:
    """<li> items for papers: title (to its page here), popularity, authors, arXiv and PDF links.

    Written in Python rather than as an included template: a day lists ~1,000 papers and an
    include per paper costs more than the rest of the page.
    """
    upvotes_title = escape(gettext("Hugging Face upvotes"))
    source = escape(gettext("Source"))
    items = []
    for paper in papers:
        title = paper.title
        title = mathml.render(title) if "$" in title or "\\" in title else _escape(title)
        parts = [f'<li class="paper"><a class="paper-title" href="{_escape(paper_url(paper))}">']
        parts.append(f"{title}</a>")
        if paper.upvotes:
            parts.append(f' <span class="upvotes" title="{upvotes_title}">▲ {paper.upvotes}</span>')
        meta = []
        if paper.authors:
            meta.append(f'<span class="authors">{_escape(authors(paper.authors))}</span>')
        if url := http_url(paper.abs_url):
            label = f"arXiv:{_escape(paper.arxiv_id)}" if paper.arxiv_id else source
            meta.append(f'<a href="{_escape(url)}">{label}</a>')
        if url := http_url(paper.pdf_url):
            meta.append(f'<a href="{_escape(url)}">PDF</a>')
        parts.append(f'<span class="paper-meta">{" · ".join(meta)}</span></li>')
        items.append("".join(parts))
    return mark_safe("\n".join(items))  # every value above is escaped


@register.filter
def authors(names, limit: int = AUTHORS_SHOWN) -> str:
    """The first authors and how many more: "A, B, C 외 4명" / "A, B, C and 4 more"."""
    names = list(names or [])
    if len(names) <= limit:
        return ", ".join(names)
    more = len(names) - limit
    return ngettext("%(names)s and %(n)d more", "%(names)s and %(n)d more", more) % {
        "names": ", ".join(names[:limit]),
        "n": more,
    }


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
