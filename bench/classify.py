"""Time classifying a 1,500-paper day made from the real days, against a throwaway test database.

The day is the bundled 2025-05-27 listing (649 papers) plus other real papers of the labelled
set, 1,500 real titles and abstracts. It is ingested, then the
classify stage runs as the pipeline runs it (rows locked, decisions written), first with the
model loaded cold, then again (nothing left to change), then with the rule classifier alone.
Run: DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/daily_ai_insights \
     uv run python bench/classify.py
"""

import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from digest import pipeline  # noqa: E402
from papers.classifiers import labelled, local  # noqa: E402

DAY = datetime.date(2025, 5, 27)
SIZE = 1500
TARGET_SECONDS = 10.0  # issue 14: a 1,500-paper day, model load included


def day_rows() -> list[dict]:
    listing = settings.BASE_DIR / "data" / "days" / DAY.isoformat() / "arxiv.jsonl"
    rows = [json.loads(line) for line in listing.read_text().splitlines() if line.strip()]
    seen = {row["arxiv_id"] for row in rows}
    others = [e for e in labelled.shipped() if e.arxiv_id not in seen]
    template = rows[0]
    extra = [
        template
        | {
            "arxiv_id": arxiv_id,
            "title": e.title,
            "abstract": e.abstract,
            "categories": list(e.categories),
            "primary_category": e.categories[0] if e.categories else "",
        }
        for arxiv_id, e in [(e.arxiv_id, e) for e in others]
        + [(f"2512.{90000 + n}", e) for n, e in enumerate(others)]
    ]
    return (rows + extra)[:SIZE]


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def main() -> None:
    rows = day_rows()
    texts = [(r["title"], r["abstract"], r["categories"]) for r in rows]
    started = time.perf_counter()
    model = local.latest()
    model.predict(texts[:1])  # the embedding table, when the model has one, loads on first use
    load_seconds = time.perf_counter() - started
    predict_seconds = min(timed(model.predict, texts)[0] for _ in range(3))
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryDirectory() as empty:
            settings.DIGEST_DATA_DIR = Path(data_dir)
            (Path(data_dir) / DAY.isoformat()).mkdir()
            listing = Path(data_dir) / DAY.isoformat() / "arxiv.jsonl"
            listing.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
            pipeline.run_stage(DAY, "ingest")
            local._CACHE.clear()  # the first run pays for loading the model, as a worker's does
            from papers.classifiers import embedding

            embedding.static.cache_clear()  # and for the embedding table
            cold, counts = timed(pipeline.run_stage, DAY, "classify")
            warm, again = timed(pipeline.run_stage, DAY, "classify")
            settings.DIGEST_CLASSIFIER_DIR = Path(empty)
            rules_seconds, by_rules = timed(pipeline.run_stage, DAY, "classify")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"classify stage, {counts['classified']} papers, {counts['classifier']}: {cold:.3f} s")
    print(f"  again, {again['changed']} changed: {warm:.3f} s")
    print(f"  {by_rules['classifier']}, {by_rules['changed']} changed: {rules_seconds:.3f} s")
    print(f"model alone (no database), best of 3: {predict_seconds:.3f} s")
    print(
        f"papers={counts['classified']} database={connection.vendor} "
        f"model_version={model.version} load_seconds={load_seconds:.3f} "
        f"classify_seconds={cold:.3f} "
        f"papers_per_second={counts['classified'] / cold:.0f} reclassify_seconds={warm:.3f} "
        f"rules_seconds={rules_seconds:.3f} model_predict_seconds={predict_seconds:.3f} "
        f"below_review_threshold={counts['review']} target_seconds={TARGET_SECONDS:.0f} "
        f"within_target={'yes' if cold < TARGET_SECONDS else 'no'}"
    )


if __name__ == "__main__":
    main()
