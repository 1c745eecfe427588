"""The bench database of bench/pages.py: the two bundled real days built by the pipeline, then
a year of days generated from the real 649-paper day's papers (every real paper once plus a
random sample, new arXiv ids, the real day's summaries re-pointed at the copies), ≥ 300,000
papers in all. Its own database (BENCH_DATABASE_URL) is created and dropped.
"""

import datetime
import json
import os
import random
import re
import time

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dai_bench_pages"
)
ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}")


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

    demo_day, reference_day = datetime.date(2025, 5, 27), datetime.date(2024, 11, 14)
    for day in (reference_day, demo_day):
        pipeline.build_digest(day)
    template = DailyDigest.objects.get(date=demo_day)
    real = list(template.papers.select_related("category").order_by("pk"))
    summaries = list(template.summaries.filter(language=settings.DIGEST_LANGUAGE))
    if per_day < len(real):
        raise SystemExit(f"--per-day must be at least the real day's {len(real)} papers")

    rng = random.Random(seed)
    day_links = DailyDigest.papers.through
    summary_links = CategorySummary.papers.through
    started = time.perf_counter()
    dates = [demo_day - datetime.timedelta(days=i) for i in range(1, days + 1)]
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
