"""The bench database of bench/pages.py: the two bundled real days built by the pipeline, then
a year of days generated from the real 649-paper day's papers (every real paper once plus a
random sample, new arXiv ids, the real day's summaries re-pointed at the copies), ≥ 300,000
papers in all. Its own database (BENCH_DATABASE_URL) is created and dropped.

The copies are bulk-created without related papers (papers/related.py): `relate_new_day` times
what the ingest stage adds for a new day over the whole archive, and `relate_latest` gives the
latest generated day theirs, for the paper pages.
"""

import datetime
import json
import os
import random
import re
import time
from pathlib import Path

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dai_bench_pages"
)
ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}")
ARXIV_CATEGORY = re.compile(r"[a-z-]+(\.[A-Za-z-]+)?")  # cs.CL, eess.AS; not ACM or MSC classes
# The real 649-paper day, the latest: the generated days precede it.
DEMO_DAY = datetime.date(2025, 5, 27)
LABELS = Path(__file__).resolve().parent.parent / "papers" / "classifiers" / "labels"


def repoint(text: str, copies: dict) -> str:
    """A real day's summary text with its citations pointing at the generated copies."""
    return ARXIV_ID.sub(lambda m: copies[m[0]].arxiv_id if m[0] in copies else m[0], text)


def clone(instance, **changes):
    """An unsaved copy with every concrete field but the primary key, then `changes`."""
    values = {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if not f.primary_key
    }
    return type(instance)(**(values | changes))


def generate(days: int, per_day: int, seed: int) -> dict:
    """The real days through the pipeline, then `days` generated days before the demo day."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from digest import chart, pipeline
    from digest.models import DailyDigest
    from papers.models import Paper
    from summaries.models import CategorySummary

    reference_day = datetime.date(2024, 11, 14)
    for day in (reference_day, DEMO_DAY):
        pipeline.build_digest(day)
    template = DailyDigest.objects.get(date=DEMO_DAY)
    real = list(template.papers.select_related("category").order_by("pk"))
    summaries = list(template.summaries.filter(language=settings.DIGEST_LANGUAGE))
    if per_day < len(real):
        raise SystemExit(f"--per-day must be at least the real day's {len(real)} papers")

    rng = random.Random(seed)
    day_links = DailyDigest.papers.through
    summary_links = CategorySummary.papers.through
    started = time.perf_counter()
    dates = [DEMO_DAY - datetime.timedelta(days=i) for i in range(1, days + 1)]
    for number, day in enumerate(d for d in dates if d != reference_day):
        sample = real + rng.choices(real, k=per_day - len(real))
        base = 50_000 + (day.day - 1) * per_day  # never collides with real ids of that month
        papers = []
        for i, source in enumerate(sample):
            paper_id = f"{day:%y%m}.{base + i:05d}"
            papers.append(
                clone(
                    source,
                    arxiv_id=paper_id,
                    abs_url=f"https://arxiv.org/abs/{paper_id}",
                    pdf_url=f"https://arxiv.org/pdf/{paper_id}",
                    announced_on=day,
                    upvotes=rng.randint(1, 150) if rng.random() < 0.1 else None,
                )
            )
        # The first copy of each real paper stands for it in the cloned summaries.
        copies = {source.ref: paper for source, paper in zip(sample, papers, strict=True)}
        copies = {ref: copies[ref] for ref in reversed([p.ref for p in real])}
        with transaction.atomic():
            Paper.objects.bulk_create(papers, batch_size=1000)
            published = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
            digest = clone(template, date=day, published_at=published)
            for paper, source in zip(papers, sample, strict=True):
                paper.category = source.category
            popular = sorted(papers, key=lambda p: (-(p.upvotes or -1), p.arxiv_id))
            digest.chart = chart.distribution(popular)
            digest.save()
            day_links.objects.bulk_create(
                [day_links(dailydigest_id=digest.pk, paper_id=p.pk) for p in papers],
                batch_size=5000,
            )
            links = []
            for summary in summaries:
                copy = clone(
                    summary,
                    digest_id=digest.pk,
                    sections=json.loads(repoint(json.dumps(summary.sections), copies)),
                    body=repoint(summary.body, copies),
                )
                copy.save()
                cited = {copies[p.ref].pk for p in summary.papers.all() if p.ref in copies}
                links += [summary_links(categorysummary_id=copy.pk, paper_id=pk) for pk in cited]
            summary_links.objects.bulk_create(links, batch_size=5000)
        if number % 50 == 0:
            print(f"  generated {number + 1} days in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return existing() | {"seconds": time.perf_counter() - started}


def existing() -> dict:
    from digest.models import DailyDigest
    from papers.models import Paper

    published = DailyDigest.objects.published()
    return {
        "papers": Paper.objects.count(),
        "days": published.count(),
        "seconds": 0.0,
        "dates": sorted(published.values_list("date", flat=True)),
    }


def new_day_records(size: int, seed: int) -> list:
    """`size` real papers the archive does not hold, as a day's listing: the labelled real day
    of 2025-07-01 (469 papers), then papers drawn from the labelled 2025-2026 corpus
    (papers/classifiers/labels; none of them is a copy's text)."""
    from papers.classifiers.labelled import read
    from papers.sources import PaperRecord

    day = read(LABELS / "arxiv-2025-07-01.jsonl")
    corpus = random.Random(seed).sample(read(LABELS / "corpus-2025-2026.jsonl"), size - len(day))
    records = []
    for paper in day + corpus:
        categories = [c for c in paper.categories if ARXIV_CATEGORY.fullmatch(c)]
        records.append(
            PaperRecord.from_arxiv(
                paper.arxiv_id,
                paper.title,
                abstract=paper.abstract,
                primary_category=categories[0] if categories else "",
                arxiv_categories=categories,
            )
        )
    return records


def relate_new_day(size: int, seed: int) -> dict:
    """Store a new day of `size` real papers and relate them to the whole archive, as the
    ingest stage does (digest.pipeline.ingest), each step timed; then roll it all back, so a
    run with --reuse measures the same archive."""
    from django.db import transaction

    from papers.related import relate
    from papers.store import store_papers

    records = new_day_records(size, seed)
    with transaction.atomic():
        started = time.perf_counter()
        stored = store_papers(records, announced_on=DEMO_DAY + datetime.timedelta(days=1))
        stored_at = time.perf_counter()
        counts = relate(stored.papers)
        related_at = time.perf_counter()
        transaction.set_rollback(True)
    return {
        "papers": stored.created,
        "with_related": counts["with_related"],
        "store_seconds": stored_at - started,
        "relate_seconds": related_at - stored_at,
    }


def relate_latest(count: int) -> list[str]:
    """Give `count` papers of the latest generated day their related papers (kept: only the
    first run computes them), and return their arXiv ids."""
    from digest.models import DailyDigest
    from papers.related import relate

    day = DailyDigest.objects.get(date=DEMO_DAY - datetime.timedelta(days=1))
    papers = day.papers.only("arxiv_id", "title", "abstract", "revised_at").order_by("pk")
    papers = list(papers[:count])
    relate(papers)
    return [p.arxiv_id for p in papers]
