"""What the API answers with: its response schemas, which its OpenAPI document describes."""

import datetime

from ninja import Schema


class Error(Schema):
    detail: str


class CategoryOut(Schema):
    slug: str
    name: str
    name_ko: str
    emoji: str
    description: str
    color: str


class CategoryCount(Schema):
    slug: str
    name: str
    name_ko: str
    emoji: str
    count: int


class DayOut(Schema):
    date: datetime.date
    published_at: datetime.datetime
    papers: int
    categories: list[CategoryCount]
    url: str


class Finding(Schema):
    text: str
    refs: list[str]


class SummaryOut(Schema):
    category: str
    language: str
    markdown: str
    themes: list[str]
    trends: list[str]
    findings: list[Finding]
    impact: list[str]
    outlook: list[str]
    generator: str


class DayDetail(DayOut):
    complete: bool | None
    summaries: list[SummaryOut]


class PaperOut(Schema):
    arxiv_id: str | None
    version: int
    title: str
    abstract: str
    authors: list[str]
    category: str | None
    arxiv_categories: list[str]
    announced_on: datetime.date
    upvotes: int | None
    github_repo: str
    url: str
    pdf_url: str


class PaperDetail(PaperOut):
    days: list[datetime.date]


class Page(Schema):
    count: int
    page: int
    pages: int
    next: str | None
    previous: str | None


class DayPage(Page):
    results: list[DayOut]


class PaperPage(Page):
    results: list[PaperOut]


class SearchPage(Page):
    capped: bool
    results: list[PaperOut]


class CategoryList(Schema):
    count: int
    results: list[CategoryOut]


# Helpers -------------------------------------------------------------------------------------
