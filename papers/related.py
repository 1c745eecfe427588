"""Related papers: each paper's RELATED most similar papers in the archive, by title and abstract.

`relate(papers)` computes and stores them (`RelatedPaper`) for the papers that have none yet or
were revised since; the ingest stage calls it for the day's papers, so the paper page reads
them in one query. Similarity is the cosine of TF-IDF vectors (sublinear term frequency,
English stop words, the title counted twice). Offline on the 9,339 labelled papers, 8 such
neighbours share the paper's category far more often than chance (bench/related.py).

An archive of up to IN_MEMORY_UP_TO papers (the SQLite demo, a young site) is compared whole,
in memory. A bigger one, on PostgreSQL, is not read whole: a paper's candidates are the papers
sharing two of its QUERY_TERMS most distinctive terms, not both among the archive's most common
(in over COMMON of its papers, by PostgreSQL's statistics), found by a full-text query on the
stored, GIN-indexed search vector (reader/migrations/0001) and cut to the CANDIDATES best by
ts_rank; when fewer than RELATED, those sharing any two, then any one. They are ranked by
cosine; each step is one query for all the day's papers. Its cost grows with the archive, as
every paper found is ranked: over bench/pages.py's year of 302,781 papers, relating a new day
of 1,500 real papers takes 91–103 s on the quiet 2-core bench machine (148 s at load 3),
144–211× storing the day; it took 800 s before the index's pending list was merged first,
each tsquery parsed once and the pairs of two common terms (up to half the papers each) left
to the fallback. The paper page reads the stored ones: its p99 there is 19–22 ms, uncached
(docs/benchmarks.md). The candidates cost some relevance: on the labelled papers, 49% of the
neighbours share the paper's label instead of 53% in memory (bench/related.py).
"""

import itertools
import re
from collections.abc import Iterable

from django.db import connections, transaction
from django.db.models import Max

from common.text import plain_text
from papers.models import Paper, RelatedPaper

RELATED = 8  # related papers per paper
CANDIDATES = 200  # papers the full-text query gives each paper, ranked again by cosine
IN_MEMORY_UP_TO = 20_000  # an archive this small is compared whole, in memory (seconds)
QUERY_TERMS = 6  # a paper's most distinctive terms; its full-text query wants two of them
COMMON = 0.05  # a term in more than this share of the archive's papers is common
SEARCH_INDEX = "paper_search"  # the GIN index of papers' search vectors (reader/migrations/0001)
_WORD = re.compile(r"^[a-z][a-z0-9]{2,}$")  # terms safe and useful in a tsquery


def relate(papers: Iterable[Paper], *, using: str = "default") -> dict:
    """Store the related papers of `papers` (rows with pk, title, abstract, revised_at) that
    have none yet or were revised after theirs were computed. Returns the stage's count: how
    many of `papers` have related papers, the same however often it runs."""
    papers = [p for p in papers if (p.title or p.abstract)]
    done = dict(
        RelatedPaper.objects.using(using)
        .filter(paper__in=[p.pk for p in papers])
        .values("paper")
        .annotate(at=Max("created_at"))
        .values_list("paper", "at")
    )
    todo = [p for p in papers if p.pk not in done or (p.revised_at and p.revised_at > done[p.pk])]
    if not todo:
        return {"with_related": len(done)}
    texts = {p.pk: _text(p.title, p.abstract) for p in todo}
    archive = Paper.objects.using(using)
    if connections[using].vendor == "postgresql" and archive.count() > IN_MEMORY_UP_TO:
        candidates = _full_text_candidates(todo, texts, using)
        wanted = set().union(*candidates.values()) - texts.keys()
        archive = archive.filter(pk__in=wanted)
    else:
        candidates = None  # every paper of the archive
    for pk, title, abstract in archive.values_list("pk", "title", "abstract"):
        texts.setdefault(pk, _text(title, abstract))
    neighbours = nearest(texts, [p.pk for p in todo], candidates, RELATED)
    rows = [
        RelatedPaper(paper_id=pk, related_id=other, rank=rank, score=round(score, 4))
        for pk, found in neighbours.items()
        for rank, (other, score) in enumerate(found, start=1)
    ]
    with transaction.atomic(using=using):
        RelatedPaper.objects.using(using).filter(paper__in=[p.pk for p in todo]).delete()
        RelatedPaper.objects.using(using).bulk_create(rows, batch_size=2000)
    kept = len(done.keys() - {p.pk for p in todo})
    return {"with_related": kept + sum(1 for found in neighbours.values() if found)}


def nearest(
    texts: dict[int, str], targets: list[int], candidates: dict[int, set[int]] | None, limit: int
) -> dict[int, list[tuple[int, float]]]:
    """For each of `targets`, its `limit` candidates (every other text when `candidates` is
    None) of highest TF-IDF cosine (> 0), best first; the vectors are fitted on every text."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    keys = list(texts)
    position = {pk: i for i, pk in enumerate(keys)}
    vectors = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1).fit_transform(
        [texts[pk] for pk in keys]
    )
    found = {}
    if candidates is None:  # the whole archive, a block of targets at a time
        for start in range(0, len(targets), 256):
            block = targets[start : start + 256]
            scores = (vectors[[position[pk] for pk in block]] @ vectors.T).toarray()
            for row, pk in enumerate(block):
                scores[row, position[pk]] = 0
                top = np.argsort(-scores[row], kind="stable")[:limit]
                found[pk] = [(keys[j], float(scores[row, j])) for j in top if scores[row, j] > 0]
        return found
    for pk in targets:
        pool = sorted(other for other in candidates.get(pk, ()) if other in position)
        if not pool:
            found[pk] = []
            continue
        scores = (vectors[[position[o] for o in pool]] @ vectors[position[pk]].T).toarray()[:, 0]
        best = sorted(zip(pool, scores, strict=True), key=lambda item: (-item[1], item[0]))
        found[pk] = [(other, float(score)) for other, score in best[:limit] if score > 0]
    return found


def query_terms(texts: dict[int, str], count: int = QUERY_TERMS) -> dict[int, list[str]]:
    """Each text's `count` terms of highest TF-IDF weight among the texts given (the day's
    papers: a day is enough to tell a distinctive term from a common one)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    keys = list(texts)
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    vectors = vectorizer.fit_transform([texts[pk] for pk in keys]).tocsr()
    vocabulary = vectorizer.get_feature_names_out()
    terms = {}
    for i, pk in enumerate(keys):
        row = vectors.getrow(i)
        ranked = sorted(zip(row.indices, row.data, strict=True), key=lambda item: -item[1])
        terms[pk] = [vocabulary[j] for j, _ in ranked if _WORD.match(vocabulary[j])][:count]
    return terms


def _full_text_candidates(todo: list[Paper], texts: dict[int, str], using: str) -> dict:
    """Each paper's CANDIDATES best full-text matches for its distinctive terms: five queries
    at most."""
    terms = query_terms(texts)
    ids = [p.pk for p in todo if len(terms.get(p.pk, ())) >= 2]
    candidates: dict[int, set[int]] = {p.pk: set() for p in todo}
    if not ids:
        return candidates
    table = Paper._meta.db_table
    # Materialized, so that each paper's tsquery is parsed once, not again for every row ranked.
    sql = f"""
        WITH q AS MATERIALIZED (
            SELECT id, to_tsquery('english', terms) AS query
            FROM unnest(%s::bigint[], %s::text[]) AS u(id, terms)
        )
        SELECT q.id, c.id
        FROM q CROSS JOIN LATERAL (
            SELECT p.id FROM {table} p
            WHERE p.search_vector @@ q.query AND p.id <> q.id
            ORDER BY ts_rank(p.search_vector, q.query) DESC, p.id
            LIMIT %s
        ) c
    """
    with connections[using].cursor() as cursor:
        # The day's papers were just stored, their index entries left in the GIN index's pending
        # list, which every search of the index reads whole: a day's list made each query here
        # ~5x slower. Merge it into the index once (what autovacuum does later), for the
        # reader's search too. Only its owner may: a role that does not own it leaves it to
        # autovacuum.
        cursor.execute(
            "SELECT gin_clean_pending_list(oid) FROM pg_class"
            " WHERE oid = %s::regclass AND pg_has_role(relowner, 'USAGE')",
            [SEARCH_INDEX],
        )
        common = _common_terms(cursor, {t for pk in ids for t in terms[pk]})
        # Papers sharing two of its distinctive terms, one of them not among the archive's most
        # common: each such pair is in at most COMMON of the papers, where a pair of common
        # ones can be in half of them ("language" and "large" over a year), and every paper
        # found is ranked.
        # Then, for a paper with too few such (its rare terms in no other paper, a young
        # archive), any two of its terms; then any one.
        tiers = [
            lambda pk: " | ".join(f"({a} & {b})" for a, b in _pairs(terms[pk], common)),
            lambda pk: " | ".join(f"({a} & {b})" for a, b in _pairs(terms[pk], set())),
            lambda pk: " | ".join(terms[pk]),
        ]
        for query in tiers:
            short = [pk for pk in ids if len(candidates[pk]) < RELATED]
            if not short:
                break
            cursor.execute(sql, [short, [query(pk) for pk in short], CANDIDATES])
            for pk, other in cursor.fetchall():
                candidates[pk].add(other)
    return candidates


def _pairs(terms: list[str], common: set[str]) -> list[tuple[str, str]]:
    """The pairs of `terms` that are not both `common`, or all of them if every term is."""
    pairs = list(itertools.combinations(terms, 2))
    return [(a, b) for a, b in pairs if not (a in common and b in common)] or pairs


def _common_terms(cursor, words: set[str]) -> set[str]:
    """Those of `words` whose lexeme is in more than COMMON of the archive's search vectors, by
    PostgreSQL's statistics (ANALYZE keeps a tsvector column's most common elements and their
    shares); none before the first ANALYZE."""
    cursor.execute(
        """
        SELECT w FROM unnest(%s::text[]) AS w
        WHERE array_to_string(tsvector_to_array(to_tsvector('english', w)), ' ') IN (
            SELECT e.lexeme
            FROM pg_stats,
                unnest(most_common_elems::text::text[], most_common_elem_freqs) AS e(lexeme, share)
            WHERE tablename = %s AND attname = 'search_vector' AND e.share > %s
        )
        """,
        [sorted(words), Paper._meta.db_table, COMMON],
    )
    return {w for (w,) in cursor.fetchall()}


def _text(title: str, abstract: str) -> str:
    """Title twice (it names the topic), then the abstract, as plain text."""
    title = plain_text(title or "")
    return f"{title}. {title}. {plain_text(abstract or '')}"
