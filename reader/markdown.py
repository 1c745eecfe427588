"""Summaries' Markdown as HTML that is safe to embed on pages and in feeds."""

import re

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# CommonMark nests a list under an item indented by 2-3 spaces; Python-Markdown wants 4.
_SHALLOW_ITEM = re.compile(r"^ {1,3}(?=(?:[-*+]|\d+[.)]) )", re.M)


def summary_html(text: str) -> SafeString:
    """A summary's Markdown as HTML that is safe to embed: only an allow-list of tags survives."""
    html = markdown.markdown(_SHALLOW_ITEM.sub("    ", text))
    return mark_safe(  # sanitised by nh3 below
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="nofollow noopener",
        )
    )
