"""One-line TL;DRs of papers: what a paper does and its main result, in the reader's language.

`write_briefs(papers)` gives every paper one `PaperBrief` per language of DIGEST_LANGUAGES; the
summarise stage calls it for the day's papers. With ANTHROPIC_API_KEY, ANTHROPIC_BRIEF_MODEL (a
small model) writes them, ANTHROPIC_BRIEF_CHUNK papers a request, the day's requests in one
Message Batch (one request after another with ANTHROPIC_BATCH off), the system prompt cached.
Each TL;DR is checked (`complaints`): no foreign script, the language asked for, at most
MAX_CHARS characters, and no number the abstract does not contain. The rejected ones are asked
again once with the complaint; still rejected, or failed, a TL;DR is left empty and marked
`needs_retry`, which the next run (the scheduled retry pass) writes again. Without a key, the
TL;DR is the abstract's contribution sentence (`extract`), labelled as taken from the abstract.

A TL;DR is keyed by the paper (id, version, title and abstract), the prompt's version, the
model and the language: an unchanged paper is never paid for twice, a changed abstract is
written again, and offline a TL;DR Claude wrote for the same text is kept. Editors' corrections
(the admin) lock a TL;DR against every automated run.
"""

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction

import llm
from common.text import HANGUL, plain_text
from summaries.brief_extract import extract
from summaries.brief_prompts import ASK_CHARS, RETRY, request
from summaries.models import PaperBrief
from summaries.validate import foreign_script

log = logging.getLogger(__name__)

EXTRACT = "extract"  # the generator of extractive TL;DRs
EXTRACT_VERSION = 1  # bump when `extract` changes, so stored extracts are rewritten
PROMPT_VERSION = 1  # bump when the prompt or the schema change, so Claude writes them again
MAX_CHARS = {"ko": 140, "en": 280}

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def write_briefs(papers: Iterable, languages: Sequence[str] | None = None, *, client=None) -> dict:
    """Write the TL;DRs of `papers` that are missing, stale or waiting for a retry.

    `languages` defaults to DIGEST_LANGUAGES; `client` to Claude when ANTHROPIC_API_KEY is set.
    Returns the counts the summarise stage records (prefixed `briefs_`).
    """
    papers = list(papers)
    languages = list(languages or settings.DIGEST_LANGUAGES)
    if client is None and settings.ANTHROPIC_API_KEY:
        client = llm.Claude()
    model = settings.ANTHROPIC_BRIEF_MODEL if client else EXTRACT
    existing = {
        (b.paper_id, b.language): b
        for b in PaperBrief.objects.filter(
            paper__in=[p.pk for p in papers], language__in=languages
        ).only("paper_id", "language", "input_key", "locked", "needs_retry")
    }
    counts = dict.fromkeys(("written", "unchanged", "locked", "left_empty"), 0)
    todo: list[_Job] = []
    for paper in papers:
        for language in languages:
            keys = input_keys(paper, language)
            brief = existing.get((paper.pk, language))
            # Offline, a TL;DR Claude wrote of the same text is kept: it cost money to write.
            current = {keys[model]} if client else set(keys.values())
            if brief and brief.locked:
                counts["locked"] += 1
            elif brief and brief.input_key in current and not brief.needs_retry:
                counts["unchanged"] += 1
            else:
                todo.append(_Job(paper, language, keys))
    spend = {"input_tokens": 0, "output_tokens": 0, "cost_usd": Decimal(0)}
    if client and todo:
        _write_with_claude(client, todo, spend)
    else:
        for job in todo:
            job.text, job.generator, job.source = extract(job.paper.abstract), EXTRACT, EXTRACT
    counts["written"] = _save(todo)
    counts["left_empty"] = sum(1 for job in todo if job.reason)
    counts["written"] -= counts["left_empty"]
    result = {f"briefs_{name}": number for name, number in counts.items()}
    if client:
        result |= {
            "briefs_model": model,
            "briefs_input_tokens": spend["input_tokens"],
            "briefs_output_tokens": spend["output_tokens"],
            "briefs_cost_usd": float(round(spend["cost_usd"], 6)),
        }
    return result


def input_keys(paper, language: str) -> dict[str, str]:
    """The TL;DR's key under each generator: the extract, and the configured model."""
    material = {
        "paper": [paper.ref, paper.version, paper.title, paper.abstract],
        "language": language,
    }
    versions = {EXTRACT: EXTRACT_VERSION, settings.ANTHROPIC_BRIEF_MODEL: PROMPT_VERSION}
    return {
        generator: _hash({**material, "generator": generator, "version": version})
        for generator, version in versions.items()
    }


def complaints(text: str, source: str, language: str) -> list[str]:
    """Everything wrong with a TL;DR of a paper whose title and abstract are `source`; empty
    when it can be shown."""
    text = text.strip()
    if not text:
        return ["is empty"]
    problems = []
    if leaked := foreign_script(text):
        problems.append(f"contains foreign script {', '.join(leaked)}")
    hangul = bool(HANGUL.search(text))
    if language == "ko" and not hangul:
        problems.append("is not written in Korean")
    elif language == "en" and hangul:
        problems.append("contains Korean; write English only")
    if len(text) > MAX_CHARS[language]:
        problems.append(f"is {len(text)} characters long; write at most {ASK_CHARS[language]}")
    given = {_number(n) for n in _NUMBER.findall(source + " " + plain_text(source))}
    invented = [n for n in _NUMBER.findall(text) if _number(n) not in given]
    if invented:
        problems.append(f"has numbers that are not in the abstract: {', '.join(invented)}")
    return problems


@dataclass
class _Job:
    """One (paper, language) TL;DR to write."""

    paper: object
    language: str
    keys: dict[str, str]
    text: str = ""
    generator: str = ""
    source: str = PaperBrief.Source.CLAUDE
    reason: str = ""  # why it is left empty, for the retry pass
    complaint: str = ""  # the first attempt's, sent with the retry
    cost: Decimal = Decimal(0)


def _write_with_claude(client, jobs: list[_Job], spend: dict) -> None:
    """Every job through Claude: the first round batched (ANTHROPIC_BATCH), the rejected and
    failed ones once more in direct requests with the validator's complaint."""
    model = settings.ANTHROPIC_BRIEF_MODEL
    batched = settings.ANTHROPIC_BATCH
    for job in jobs:
        job.generator = model
    failed = _round(client, jobs, spend, batch=batched, retry=False)
    if failed:
        still = _round(client, failed, spend, batch=False, retry=True)
        for job in still:
            job.text = ""
            log.warning("TL;DR of %s [%s] left empty: %s", job.paper.ref, job.language, job.reason)


def _round(client, jobs: list[_Job], spend: dict, *, batch: bool, retry: bool) -> list[_Job]:
    """One request per chunk of jobs of one language; returns the jobs without a usable TL;DR
    (their `reason` says why)."""
    model = settings.ANTHROPIC_BRIEF_MODEL
    size = settings.ANTHROPIC_BRIEF_CHUNK
    chunks: dict[str, list[_Job]] = {}
    for language in dict.fromkeys(job.language for job in jobs):
        mine = [job for job in jobs if job.language == language]
        for start in range(0, len(mine), size):
            chunks[f"briefs-{language}-{'retry-' if retry else ''}{start // size + 1}"] = mine[
                start : start + size
            ]
    requests = {}
    for key, chunk in chunks.items():
        params = request([job.paper for job in chunk], chunk[0].language)
        if retry:
            said = "\n".join(f"- {job.paper.ref}: {job.complaint}" for job in chunk)
            followup = RETRY.format(complaints=said)
            params["messages"][0]["content"] += "\n" + followup
        requests[key] = params
    answers, down = client.answers(requests, batch=batch)
    failed = []
    for key, chunk in chunks.items():
        answer = answers[key]
        if isinstance(answer, llm.LLMError):
            for job in chunk:
                job.reason = f"Claude failed: {answer}"
                job.complaint = job.complaint or "the request failed"
            # Sent again directly unless the API is down; then the retry pass takes them.
            if retry or not down:
                failed += chunk
            continue
        cost = answer.usage.cost(model, batch=batch)
        spend["input_tokens"] += (
            answer.usage.input_tokens
            + answer.usage.cache_creation_input_tokens
            + answer.usage.cache_read_input_tokens
        )
        spend["output_tokens"] += answer.usage.output_tokens
        spend["cost_usd"] += cost
        for job in chunk:
            job.cost += cost / len(chunk)
        written = _parse(answer)
        for job in chunk:
            text = written.get(job.paper.ref)
            if answer.problem:
                problems = [answer.problem]
            elif text is None:
                problems = ["no TL;DR was given for this paper"]
            else:
                source = f"{job.paper.title}\n{job.paper.abstract}"
                problems = complaints(text, source, job.language)
            if problems:
                complaint = "; ".join(problems)
                job.reason = ("rejected twice: " if retry else "rejected: ") + complaint
                job.complaint = f"your TL;DR {text!r} {complaint}" if text else complaint
                failed.append(job)
            else:
                job.text, job.reason = " ".join(text.split()), ""
    return failed


def _parse(reply) -> dict[str, str]:
    entries = reply.data.get("briefs") if isinstance(reply.data, dict) else None
    if not isinstance(entries, list):
        return {}
    written = {}
    for entry in entries:
        usable = isinstance(entry, dict) and isinstance(entry.get("id"), str)
        if usable and isinstance(entry.get("tldr"), str):
            written.setdefault(entry["id"], entry["tldr"])
    return written


def _save(jobs: list[_Job]) -> int:
    """Store the jobs' TL;DRs in one upsert, skipping any an editor locked meanwhile."""
    if not jobs:
        return 0
    with transaction.atomic():
        held = PaperBrief.objects.select_for_update().filter(
            paper__in={job.paper.pk for job in jobs},
            language__in={job.language for job in jobs},
        )
        locked = set(held.filter(locked=True).values_list("paper_id", "language"))
        rows = [
            PaperBrief(
                paper_id=job.paper.pk,
                language=job.language,
                text=job.text,
                source=job.source,
                generator=job.generator,
                input_key=job.keys[job.generator],
                cost_usd=round(job.cost, 6),
                needs_retry=bool(job.reason),
                retry_reason=job.reason[:300],
            )
            for job in jobs
            if (job.paper.pk, job.language) not in locked
        ]
        list(held)  # take the row locks before writing
        PaperBrief.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["paper", "language"],
            update_fields=[
                "text",
                "source",
                "generator",
                "input_key",
                "cost_usd",
                "needs_retry",
                "retry_reason",
                "updated_at",
            ],
        )
    return len(rows)


def _number(text: str) -> str:
    return text.replace(",", "")


def _hash(material: dict) -> str:
    return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()
