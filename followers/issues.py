"""An issue of the mail (a day, or a week of days): loaded once in a fixed number of queries
(`load_issue`), rendered once per distinct filter and language (`Issue.render`, cached).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F, Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import Truncator

from digest.models import DailyDigest
from followers.email_text import (
    BODY,
    FEED,
    H3,
    MANAGE,
    RENDERED_KEPT,
    SITE,
    SUBJECT,
    UNSUBSCRIBE,
    absolute,
    words,
)
from papers.keywords import PaperFilter, haystack, normalise
from papers.models import Category, Paper
from summaries.models import CategorySummary, PaperBrief


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    papers: int  # 0: nothing matched, nothing is sent
    frame: object = field(default=None, repr=False)  # its mail but the links (followers.emails)


@dataclass
class Issue:
    kind: str
    date: datetime.date  # the day, or the Monday of the week
    digests: list  # published days, oldest first
    papers: list  # every paper of those days, most popular first, category loaded
    texts: dict = field(default_factory=dict)  # paper pk -> haystack
    day_of: dict = field(default_factory=dict)  # paper pk -> the digest it is listed under
    # (digest pk, slug, language) -> [(finding, {pks of the papers it cites})]
    findings: dict = field(default_factory=dict)
    tldrs: dict = field(default_factory=dict)  # (paper pk, language) -> text
    slugs: dict = field(default_factory=dict)  # category pk -> slug
    _rendered: dict = field(default_factory=dict)

    _hits: dict = field(default_factory=dict)  # keyword -> pks of the papers it matches
    _fragments: dict = field(default_factory=dict)  # rendered pieces, per paper and language
    _index: list = field(default_factory=list)  # (paper, pk, its category's slug)
    version: tuple = ()  # what the issue was loaded from: a change makes `cached_issue` reload

    def render(self, paper_filter: PaperFilter, language: str) -> Rendered:
        """The mail for this filter and language, the RENDERED_KEPT most recent kept (the
        common filters, such as every category, are rendered once)."""
        key = (paper_filter, language)
        rendered = self._rendered.pop(key, None)
        if rendered is None:
            rendered = self._render(paper_filter, language)
            if len(self._rendered) >= RENDERED_KEPT:
                del self._rendered[next(iter(self._rendered))]  # the least recently used
        self._rendered[key] = rendered
        return rendered

    def hits(self, keywords) -> set:
        """Papers of the issue any of `keywords` matches; each keyword is looked for in the
        issue's papers once, however many subscribers follow it."""
        found = set()
        for keyword in keywords:
            if keyword not in self._hits:
                one = PaperFilter(include=(keyword,))
                self._hits[keyword] = {pk for pk, text in self.texts.items() if one.found(text)}
            found |= self._hits[keyword]
        return found

    def _render(self, paper_filter: PaperFilter, language: str) -> Rendered:
        """The subscriber's mail, composed from pieces rendered once per issue (each paper,
        each day's heading, the frame): templates are the slow part of sending."""
        t = words(language)
        rejected = self.hits(paper_filter.exclude) if paper_filter.exclude else set()
        wanted = self.hits(paper_filter.include) if paper_filter.include else None
        if not self._index:
            self._index = [(p, p.pk, self._slug(p)) for p in self.papers]
        categories = paper_filter.categories
        chosen = [
            (paper, pk)
            for paper, pk, slug in self._index
            if (not categories or slug in categories)
            and (wanted is None or pk in wanted)
            and pk not in rejected
        ]
        if not chosen:
            return Rendered("", "", "", 0)
        chosen_ids = {pk for _, pk in chosen}
        limit = settings.FOLLOWERS_MAX_PAPERS
        text, html = [], []
        for digest in self.digests:
            day_of, day = self.day_of, digest.pk
            mine = [paper for paper, pk in chosen if day_of[pk] == day]
            if not mine:
                continue
            day_text, day_html = self._fragment(("day", digest.pk, language), "day", digest=digest)
            text.append(day_text)
            html.append(day_html)
            for entry in digest.chart:
                slug = chart_slug(entry, self.slugs)
                if paper_filter.categories and slug not in paper_filter.categories:
                    continue
                findings = self._findings(digest, slug, language, chosen_ids, rejected)
                if not findings:
                    continue
                name = entry["name_ko"] if language == "ko" else entry["name"]
                heading = f"{entry['emoji']} {name}"
                text.append(f"\n{heading} — {t['findings']}\n")
                text += [f"  - {finding}\n" for finding in findings]
                html.append(f"<h3 {H3}>{escape(heading)} · {t['findings']}</h3><ul>")
                html += [f"<li>{escape(finding)}</li>" for finding in findings]
                html.append("</ul>\n")
            text.append(f"\n{t['papers']}\n")
            html.append(f"<h3 {H3}>{t['papers']}</h3>\n<ol>\n")
            for paper in mine[:limit]:
                key = ("paper", paper.pk, language)
                if key not in self._fragments:
                    self._fragment(key, "paper", paper=self._paper(paper, language))
                paper_text, paper_html = self._fragments[key]
                text.append(paper_text)
                html.append(paper_html)
            html.append("</ol>\n")
            if len(mine) > limit:
                more = t["more"].format(count=len(mine) - limit)
                url = absolute(reverse("day", args=[digest.date]))
                text.append(f"\n{more}: {url}\n")
                html.append(f'<p><a href="{url}">{escape(more)}</a></p>\n')
        subject_key = "day_subject" if self.kind == "daily" else "week_subject"
        subject = t[subject_key].format(site=SITE, date=self.date.isoformat(), count=len(chosen))
        frame_text, frame_html = self._fragment(("frame", language), "issue", subject=SUBJECT)
        return Rendered(
            subject,
            frame_text.replace(SUBJECT, subject).replace(BODY, "".join(text)),
            frame_html.replace(SUBJECT, escape(subject)).replace(BODY, "".join(html)),
            len(chosen),
        )

    def _fragment(self, key, template: str, **context) -> tuple[str, str]:
        """A template rendered as text and HTML, once per `key`."""
        if key not in self._fragments:
            language = key[-1]
            context |= {
                "t": words(language),
                "language": language,
                "body": BODY,
                "manage": MANAGE,
                "unsubscribe": UNSUBSCRIBE,
                "feed": FEED,
            }
            if "digest" in context:
                day = context["digest"].date
                context["url"] = absolute(reverse("day", args=[day]))
                context["chart"] = absolute(reverse("day-chart", args=[day]))
            self._fragments[key] = (
                render_to_string(f"followers/email/{template}.txt", context),
                render_to_string(f"followers/email/{template}.html", context),
            )
        return self._fragments[key]

    def _slug(self, paper) -> str | None:
        return paper.category.slug if paper.category is not None else None

    def _findings(self, digest, slug, language, chosen_ids, rejected) -> list[str]:
        """The category's key findings that cite a paper the subscriber gets and none that an
        excluded keyword rejects: a mail says nothing about what its reader left out."""
        found = self.findings.get((digest.pk, slug, language))
        if found is None:
            found = self.findings.get((digest.pk, slug, settings.DIGEST_LANGUAGE), [])
        return [text for text, cited in found if cited & chosen_ids and not cited & rejected]

    def _paper(self, paper, language: str) -> dict:
        tldr = self.tldrs.get((paper.pk, language)) or self.tldrs.get(
            (paper.pk, settings.DIGEST_LANGUAGE)
        )
        if tldr and normalise(tldr) == normalise(paper.title):
            tldr = ""  # a finding that only names the paper says nothing more
        return {
            "title": paper.title,
            "url": paper.abs_url,
            "ref": paper.arxiv_id or "",
            "category": paper.category.emoji if paper.category else "",
            "upvotes": paper.upvotes,
            "tldr": tldr or "",
        }


def chart_slug(entry: dict, slugs: dict) -> str:
    """A chart slice's category slug: slices name it, or its id (digest.chart)."""
    return entry.get("slug") or slugs.get(entry.get("category"), "")


_CACHED: dict = {}


def cached_issue(kind: str, date: datetime.date, digests: list[DailyDigest]) -> Issue:
    """`load_issue`, kept in the process for the next chunk of the same issue (a worker sends
    many): reloaded when a digest or a summary of it changed, or the settings that shape it."""
    stamp = CategorySummary.objects.filter(digest__in=digests).aggregate(
        changed=Max("updated_at"), count=Count("pk")
    )
    version = (
        tuple((d.pk, d.updated_at) for d in digests),
        stamp["changed"],
        stamp["count"],
        settings.FOLLOWERS_MAX_PAPERS,
        settings.FOLLOWERS_SITE_URL,
        settings.SECRET_KEY,
    )
    key = (kind, date)
    issue = _CACHED.get(key)
    if issue is None or issue.version != version:
        _CACHED.clear()  # one issue at a time: a worker moves from day to day
        issue = _CACHED[key] = load_issue(kind, date, digests)
        issue.version = version
    return issue


def load_issue(kind: str, date: datetime.date, digests: list[DailyDigest]) -> Issue:
    """Everything the issue's mails show, in five queries whatever the number of subscribers:
    the papers, the summaries, the TL;DRs (when the summaries app stores them)."""
    ids = [d.pk for d in digests]
    papers = list(
        Paper.objects.filter(digests__in=ids)
        .select_related("category")
        .annotate(listed_in=F("digests__id"))
        .order_by(
            F("upvotes").desc(nulls_last=True), F("github_stars").desc(nulls_last=True), "arxiv_id"
        )
    )
    seen, unique = set(), []
    for paper in papers:  # a paper listed on two days of a week appears once, on the first
        if paper.pk not in seen:
            seen.add(paper.pk)
            unique.append(paper)
    order = {d.pk: i for i, d in enumerate(digests)}
    issue = Issue(kind, date, digests, unique)
    for paper in papers:
        current = issue.day_of.get(paper.pk)
        if current is None or order[paper.listed_in] < order[current]:
            issue.day_of[paper.pk] = paper.listed_in
    issue.texts = {p.pk: haystack(p) for p in unique}
    issue.slugs = dict(Category.objects.values_list("pk", "slug"))
    cited: dict = {}
    summaries = CategorySummary.objects.filter(digest__in=ids).select_related("category")
    refs = {p.ref: p.pk for p in unique}
    for summary in summaries.only("digest_id", "language", "sections", "category__slug"):
        findings = (summary.sections or {}).get("findings") or []
        issue.findings[(summary.digest_id, summary.category.slug, summary.language)] = [
            (
                Truncator(f["text"]).chars(400),
                {refs[r] for r in f.get("refs", []) if r in refs},
            )
            for f in findings
            if f.get("text")
        ]
        for finding in findings:
            for ref in finding.get("refs", []):
                if ref in refs:
                    cited.setdefault((refs[ref], summary.language), finding.get("text", ""))
    issue.tldrs = {key: Truncator(text).chars(300) for key, text in cited.items()}
    issue.tldrs.update(_briefs(list(refs.values())))
    return issue


def _briefs(paper_ids: list[int]) -> dict:
    """Papers' one-line TL;DRs (summaries.PaperBrief), where one was written."""
    rows = PaperBrief.objects.shown().filter(paper__in=paper_ids)
    return {(p, lang): text for p, lang, text in rows.values_list("paper_id", "language", "text")}
