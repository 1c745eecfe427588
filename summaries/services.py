"""Writing a day's category summaries: with Claude when there is a key, offline otherwise.

A summary is keyed by everything its text depends on (the papers and their versions, the
category, the language, the generator and its prompt version), so an unchanged category is never
sent to the model twice. The day's changed categories go to Claude in one Message Batch (or one
request each); a report the validator rejects is retried once with the complaint, and after that
the category gets the offline report, marked for regeneration. Editor-locked summaries are
never touched.
"""

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction

import llm
from summaries import offline, prompts, validate
from summaries.models import CategorySummary
from summaries.report import Report, SummaryInput, render_markdown
from summaries.selection import select_featured

log = logging.getLogger(__name__)

OFFLINE_GENERATOR = "offline"
# Bump when the offline summariser's output changes, so stored summaries are rewritten.
OFFLINE_VERSION = 2  # 2: key themes distinctive against the rest of the day


@dataclass
class _Job:
    """One (category, language) summary to write."""

    digest: object
    category: object
    language: str
    papers: list  # the category's Paper rows that day
    inputs: list[SummaryInput]
    featured: list[SummaryInput]
    keys: dict[str, str]  # generator -> input key
    day: offline.DayPhrases | None = None  # the whole day, for the offline key themes
    usage: llm.Usage = field(default_factory=llm.Usage)
    cost: Decimal = Decimal(0)

    @property
    def custom_id(self) -> str:
        return f"{self.digest.date:%Y%m%d}-{self.category.slug}-{self.language}"


def summarise_digest(
    digest, language: str | None = None, *, client: llm.Claude | None = None, categories=None
) -> dict:
    """Write one summary per category with papers in the digest, per language.

    `language` defaults to every one of DIGEST_LANGUAGES; `client` to Claude when
    ANTHROPIC_API_KEY is set; `categories` (default: all) limits the run to those categories.
    Summaries of categories that no longer have papers that day are removed.
    """
    languages = [language] if language else settings.DIGEST_LANGUAGES
    if client is None and settings.ANTHROPIC_API_KEY:
        client = llm.Claude()
    generator = settings.ANTHROPIC_SUMMARY_MODEL if client else OFFLINE_GENERATOR

    by_category = defaultdict(list)
    papers = digest.papers.select_related("category").order_by("pk")
    for paper in papers:
        if paper.category is None:
            raise ValueError(f"{paper} has no category yet: classify the day first.")
        if categories is None or paper.category in categories:
            by_category[paper.category].append(paper)

    existing = {
        (s.category_id, s.language): s for s in digest.summaries.filter(language__in=languages)
    }
    counts = dict.fromkeys(
        ("written", "unchanged", "locked", "fallback", "removed", "input_tokens", "output_tokens"),
        0,
    )
    counts["categories"] = len(by_category)
    jobs = []
    # Offline themes are measured against the rest of the day: every paper of it, not only the
    # categories this run writes. Counted once, and only if an offline summary is written.
    day = offline.DayPhrases([SummaryInput(p.ref, p.title, p.abstract, p.upvotes) for p in papers])
    for category, members in by_category.items():
        inputs = [SummaryInput(p.ref, p.title, p.abstract, p.upvotes) for p in members]
        featured = select_featured(inputs, limit=settings.DIGEST_FEATURED_PAPERS)
        for lang in languages:
            keys = _input_keys(category, members, lang)
            summary = existing.get((category.pk, lang))
            # Offline, a model's summary of the same papers is kept: it cost money to write.
            current = {keys[generator]} if client else set(keys.values())
            if summary and summary.locked:
                counts["locked"] += 1
            elif summary and summary.input_key in current and not summary.needs_regeneration:
                counts["unchanged"] += 1
            else:
                jobs.append(_Job(digest, category, lang, members, inputs, featured, keys, day=day))

    if client:
        _write_with_claude(client, jobs, counts)
    else:
        for job in jobs:
            counts["written"] += _save_offline(job)

    gone = digest.summaries.filter(language__in=languages).exclude(category__in=list(by_category))
    if categories is not None:
        gone = gone.filter(category__in=categories)
    counts["removed"] = gone.delete()[1].get("summaries.CategorySummary", 0)
    cost = sum((job.cost for job in jobs), Decimal(0))
    counts["cost_usd"] = float(round(cost, 6))  # the stage's counts are stored as JSON
    return counts


def mark_moved_paper(paper, previous_category) -> int:
    """An editor moved `paper` out of `previous_category`: the summaries of both categories on
    every day the paper belongs to no longer describe their papers."""
    moved = [c for c in (previous_category, paper.category) if c is not None]
    reason = f"{paper.ref} moved from {_slug(previous_category)} to {_slug(paper.category)}"
    stale = CategorySummary.objects.filter(digest__papers=paper, category__in=moved)
    return stale.mark_for_regeneration(reason)


def _slug(category) -> str:
    return category.slug if category else "(none)"


def _write_with_claude(client: llm.Claude, jobs: list[_Job], counts: dict) -> None:
    if not jobs:
        return
    requests = {job.custom_id: _request(job) for job in jobs}
    first, down = client.answers(requests, batch=settings.ANTHROPIC_BATCH)
    batched = settings.ANTHROPIC_BATCH
    for job in jobs:
        answer = first[job.custom_id]
        params = requests[job.custom_id]
        if isinstance(answer, llm.Reply):
            _spend(job, answer.usage, batch=batched)
            problems = _problems(answer, job)
            if not problems:
                counts["written"] += _save_report(job, answer.data, batched=batched)
                continue
            retry = {
                **params,
                "messages": prompts.retry_messages(params["messages"], answer.text, problems),
            }
            failure = "rejected: " + "; ".join(problems)
        elif answer.retryable and batched:
            retry, failure = params, str(answer)  # an errored or expired batch entry
        else:
            counts["fallback"] += _save_offline(job, reason=f"Claude failed: {answer}")
            continue
        if down:
            counts["fallback"] += _save_offline(job, reason=f"{failure}; API unavailable: {down}")
            continue
        try:
            reply = client.send(retry)
        except llm.LLMError as error:
            down = None if error.about_this_request else error
            counts["fallback"] += _save_offline(job, reason=f"{failure}; then {error}")
            continue
        _spend(job, reply.usage, batch=False)
        problems = _problems(reply, job)
        if problems:
            reason = f"{failure}; the retry was rejected too: {'; '.join(problems)}"
            counts["fallback"] += _save_offline(job, reason=reason)
        else:
            counts["written"] += _save_report(job, reply.data, batched=batched)
    for job in jobs:
        counts["input_tokens"] += job.usage.input_tokens + job.usage.cache_read_input_tokens
        counts["input_tokens"] += job.usage.cache_creation_input_tokens
        counts["output_tokens"] += job.usage.output_tokens


def _request(job: _Job) -> dict:
    message = prompts.user_message(
        name=job.category.display_name(job.language),
        scope=job.category.description,
        featured=job.featured,
        papers=job.inputs,
    )
    return llm.json_request(
        model=settings.ANTHROPIC_SUMMARY_MODEL,
        system=prompts.system_prompt(job.language),
        messages=[{"role": "user", "content": message}],
        schema=prompts.REPORT_SCHEMA,
        max_tokens=settings.ANTHROPIC_SUMMARY_MAX_TOKENS,
        effort=settings.ANTHROPIC_EFFORT,
    )


def _problems(reply: llm.Reply, job: _Job) -> list[str]:
    if reply.problem:
        return [reply.problem]
    known = {paper.ref for paper in job.featured}
    return validate.complaints(reply.data, known, job.language)


def _spend(job: _Job, usage: llm.Usage, *, batch: bool) -> None:
    job.usage += usage
    job.cost += usage.cost(settings.ANTHROPIC_SUMMARY_MODEL, batch=batch)


def _save_report(job: _Job, data: dict, *, batched: bool) -> int:
    report = Report.from_dict(data)
    model = settings.ANTHROPIC_SUMMARY_MODEL
    return _save(job, report, generator=model, key=job.keys[model], batched=batched)


def _save_offline(job: _Job, reason: str = "") -> int:
    """The extractive report; with a reason it is a fallback, marked for regeneration."""
    if reason:
        log.warning("%s: offline fallback: %s", job.custom_id, reason)
    report = offline.summarise(
        job.inputs,
        language=job.language,
        featured_limit=settings.DIGEST_FEATURED_PAPERS,
        day=job.day,
        names=(job.category.name, job.category.slug),
    )
    key = job.keys[OFFLINE_GENERATOR]
    return _save(job, report, generator=OFFLINE_GENERATOR, key=key, reason=reason)


def _save(job: _Job, report: Report, *, generator: str, key: str, batched=False, reason="") -> int:
    """Store the report unless an editor locked the summary meanwhile; 1 if stored, else 0."""
    with transaction.atomic():
        current = (
            CategorySummary.objects.select_for_update()
            .filter(digest=job.digest, category=job.category, language=job.language)
            .first()
        )
        if current and current.locked:
            return 0
        summary, _ = CategorySummary.objects.update_or_create(
            digest=job.digest,
            category=job.category,
            language=job.language,
            defaults={
                "sections": report.to_dict(),
                "body": render_markdown(report, job.language),
                "paper_count": len(job.papers),
                "generator": generator,
                "input_key": key,
                "input_tokens": job.usage.input_tokens,
                "output_tokens": job.usage.output_tokens,
                "cache_creation_input_tokens": job.usage.cache_creation_input_tokens,
                "cache_read_input_tokens": job.usage.cache_read_input_tokens,
                "cost_usd": job.cost,
                "batched": batched,
                "needs_regeneration": bool(reason),
                "regeneration_reason": reason[:300],
            },
        )
        used = {paper.ref for paper in job.featured} | report.cited_refs()
        summary.papers.set([paper for paper in job.papers if paper.ref in used])
    return 1


def _input_keys(category, papers, language: str) -> dict[str, str]:
    """The input key under each generator: offline, and the configured model."""
    material = {
        "category": [category.slug, category.name, category.name_ko, category.description],
        "language": language,
        "featured": settings.DIGEST_FEATURED_PAPERS,
        "papers": sorted((p.ref, p.version, p.title, p.abstract, p.upvotes or 0) for p in papers),
    }
    versions = {
        OFFLINE_GENERATOR: OFFLINE_VERSION,
        settings.ANTHROPIC_SUMMARY_MODEL: prompts.PROMPT_VERSION,
    }
    return {
        generator: _hash({**material, "generator": generator, "version": version})
        for generator, version in versions.items()
    }


def _hash(material: dict) -> str:
    return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()
