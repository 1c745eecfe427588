"""URL converters: a day in URLs is YYYY-MM-DD and must be a real date, else 404."""

import datetime


class IsoDateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> datetime.date:
        return datetime.date.fromisoformat(value)  # ValueError (e.g. 2025-02-30) means no match

    def to_url(self, value: datetime.date) -> str:
        return value.isoformat()
