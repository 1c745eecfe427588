"""Which papers a reader asked for: one filter for the daily email, the personal feeds, the
keyword feed (/feeds/keywords.rss?q=…&exclude=…) and the search feed's exclusions
(/feeds/search.rss?q=…&exclude=…).

A filter is a set of categories (none: every category), keywords to include (none: every
paper) and keywords to exclude. A keyword matches a paper when its title or abstract has it at
the start of a word, case- and width-insensitively (NFKC, casefold): "LLM" finds "LLMs" and
"llm-based", "강화학습" finds "강화학습은", and "RL" does not find "world". A paper matching
an excluded keyword is left out whatever else it matches.

Keywords are checked once, where they come in (`parse_keywords`): at most MAX_KEYWORDS of
MIN_CHARS..MAX_CHARS characters each, normalised (NFKC, spaces collapsed), and refused with a
clear message when they hold control or formatting characters (bidi overrides, zero-width
joiners): what a reader cannot see must not decide what they get.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q

MAX_KEYWORDS = 20
MIN_CHARS, MAX_CHARS = 2, 50
MAX_INPUT = 2000  # characters of a keyword list read at all
_SEPARATORS = re.compile(r"[,\n;]+")
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


class KeywordError(ValueError):
    """A keyword list that cannot be used; the message is for the reader."""


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def parse_keywords(raw: str | Iterable[str] | None) -> list[str]:
    """Keywords from a comma-separated string (or a list), normalised and deduplicated."""
    if raw is None:
        return []
    if isinstance(raw, str):
        if len(raw) > MAX_INPUT:
            raise KeywordError(f"Keywords: at most {MAX_INPUT} characters in all.")
        items = _SEPARATORS.split(raw)
    else:
        items = list(raw)
    keywords = []
    for item in items:
        if not isinstance(item, str):
            raise KeywordError("Keywords must be text.")
        if any(unicodedata.category(ch) in _INVISIBLE for ch in item if ch not in "\n\r\t "):
            raise KeywordError("Keywords may not contain control or invisible characters.")
        keyword = " ".join(unicodedata.normalize("NFKC", item).split())
        if not keyword:
            continue
        if not MIN_CHARS <= len(keyword) <= MAX_CHARS:
            raise KeywordError(
                f"Each keyword needs {MIN_CHARS} to {MAX_CHARS} characters: {keyword[:60]!r}."
            )
        if keyword.casefold() not in {k.casefold() for k in keywords}:
            keywords.append(keyword)
    if len(keywords) > MAX_KEYWORDS:
        raise KeywordError(f"At most {MAX_KEYWORDS} keywords.")
    return keywords


def _pattern(keywords: Iterable[str]) -> re.Pattern | None:
    terms = sorted({normalise(k) for k in keywords if k.strip()}, key=len, reverse=True)
    if not terms:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + ")")


def haystack(paper) -> str:
    """What keywords are looked for in: the title and abstract, normalised."""
    return normalise(f"{paper.title}\n{paper.abstract}")


@dataclass(frozen=True)
class PaperFilter:
    categories: frozenset[str] = frozenset()  # category slugs; empty: every category
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, subscriber) -> "PaperFilter":
        """A subscriber's filter (its categories prefetched, or one query)."""
        return cls(
            frozenset(c.slug for c in subscriber.categories.all()),
            tuple(subscriber.include),
            tuple(subscriber.exclude),
        )

    @cached_property
    def _include(self) -> re.Pattern | None:
        return _pattern(self.include)

    @cached_property
    def _exclude(self) -> re.Pattern | None:
        return _pattern(self.exclude)

    def matches(self, paper, text: str | None = None) -> bool:
        """Whether `paper` (with its category loaded) passes; `text` is its `haystack`, when
        the caller has it already (the email builder tests every paper of a day many times)."""
        slug = paper.category.slug if paper.category is not None else None
        if self.categories and slug not in self.categories:
            return False
        if self._include is None and self._exclude is None:
            return True
        text = haystack(paper) if text is None else text
        if self._include is not None and not self._include.search(text):
            return False
        return self._exclude is None or not self._exclude.search(text)

    def found(self, text: str) -> bool:
        """Whether an included keyword occurs in `text` (a `haystack`)."""
        return self._include is not None and bool(self._include.search(text))

    def rejects(self, text: str) -> bool:
        """Whether an excluded keyword occurs in `text` (a `haystack`)."""
        return self._exclude is not None and bool(self._exclude.search(text))

    def prefilter(self, papers):
        """`papers` narrowed in the database to a superset of the matches (categories, and
        the included keywords as substrings); `matches` decides on what it returns."""
        if self.categories:
            papers = papers.filter(category__slug__in=self.categories)
        if self.include:
            found = Q()
            for keyword in self.include:
                found |= Q(title__icontains=keyword) | Q(abstract__icontains=keyword)
            papers = papers.filter(found)
        return papers

    def select(self, papers, limit: int, scan: int) -> list:
        """Up to `limit` matches of the queryset `papers`, in its order, looking at no more
        than `scan` candidates (the exclusions are applied here, outside the database)."""
        found = []
        candidates = self.prefilter(papers).select_related("category")[:scan]
        for paper in candidates:
            if self.matches(paper):
                found.append(paper)
                if len(found) == limit:
                    break
        return found
