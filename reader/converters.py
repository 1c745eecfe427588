"""URL converters: a day is YYYY-MM-DD and must be a real date, a paper is its arXiv id."""

import datetime

from common.text import ARXIV_ID_PATTERN


class IsoDateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> datetime.date:
        return datetime.date.fromisoformat(value)  # ValueError (e.g. 2025-02-30) means no match

    def to_url(self, value: datetime.date) -> str:
        return value.isoformat()


class ArxivIdConverter:
    """An arXiv id without version: 2411.07975, or an old-style one such as hep-th/9901001."""

    regex = ARXIV_ID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
