"""A summary's Markdown as safe HTML, parsed as CommonMark by markdown-it-py.

Replaces Python-Markdown plus the `_SHALLOW_ITEM` regex of reader/feeds.py (issue 13). The
summaries are CommonMark: the reference reports and `summaries.report.render_markdown` nest a
bullet list under "1. heading" by 3 spaces, which CommonMark nests (the item's content starts
at column 3) and Python-Markdown does not (it wants 4, hence the regex that re-indented every
list line indented by 1-3 spaces, whatever its parent). A CommonMark parser needs no rewriting,
and it also follows CommonMark where Python-Markdown does not: a list right after a paragraph
line ("주요 주제:" then "1. …" on the next line, as in most reference reports) is a list, not
more paragraph text.

Kept as it was: the same nh3 allow-list of tags, attributes and URL schemes, rel="nofollow
noopener" on links, links whose scheme nh3 refuses kept as their text, raw HTML passed to nh3
(which drops what is not allowed), no tables, no autolinking of bare URLs, no typographic
replacements (the "commonmark" preset). Otherwise the serialisation differs (newlines between
block tags) and CommonMark's rules apply where Python-Markdown has its own: see
docs/math-comparison.md, "Summaries' Markdown".

markdown-it-py limits block nesting (maxNesting, 20 in this preset) rather than recursing
without bound, so deeply nested quotes or lists cannot raise RecursionError.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}

# "commonmark": strict CommonMark with raw HTML on; linkify and typographer off. One parser
# for the process: MarkdownIt.render keeps no state between calls.
_COMMONMARK = MarkdownIt("commonmark")
# URL schemes are nh3's to judge, as before: markdown-it's own check would leave
# "[text](javascript:…)" as visible source text where Python-Markdown made a link that nh3
# then stripped of its href.
_COMMONMARK.validateLink = lambda url: True


def summary_html(text: str) -> SafeString:
    """A summary's Markdown as HTML that is safe to embed: only an allow-list of tags survives."""
    return mark_safe(  # sanitised by nh3 below
        nh3.clean(
            _COMMONMARK.render(text),
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="nofollow noopener",
        )
    )
