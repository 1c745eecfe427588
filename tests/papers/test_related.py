"""Related papers (papers/related.py): computed once per paper at ingest, from title and
abstract, found through the full-text index on PostgreSQL."""

import pytest
from django.db import connection
from django.utils import timezone

from papers import related, store
from papers.models import Paper, RelatedPaper
from papers.related import RELATED, relate
from papers.sources import bundled
from tests.conftest import DEMO_DAY

FIELDS = ("title", "abstract", "revised_at")


@pytest.fixture(params=["in memory", "full-text candidates"])
def papers(db, request, monkeypatch):
    """The first 200 papers of the bundled day; the archive compared whole in memory, or (on
    PostgreSQL) through the full-text index, as a big archive is."""
    if request.param == "full-text candidates":
        if connection.vendor != "postgresql":
            pytest.skip("the full-text index is PostgreSQL's")
        monkeypatch.setattr(related, "IN_MEMORY_UP_TO", 0)
    store.store_papers(list(bundled.load_day(DEMO_DAY).papers)[:200], announced_on=DEMO_DAY)
    return Paper.objects.order_by("pk").only(*FIELDS)


def test_each_paper_gets_its_most_similar_papers_once(papers, django_assert_max_num_queries):
    # stored ones, archive size, (on PostgreSQL: the index's pending list, the common terms,
    # candidates three times at most), texts, savepoints, delete, insert
    with django_assert_max_num_queries(12):
        counts = relate(papers)

    assert counts == {"with_related": RelatedPaper.objects.values("paper").distinct().count()}
    links = RelatedPaper.objects.select_related("paper", "related")
    by_paper = {}
    for link in links:
        by_paper.setdefault(link.paper_id, []).append(link)
    assert len(by_paper) >= 195  # a paper sharing no distinctive term may have none
    for found in by_paper.values():
        assert 1 <= len(found) <= RELATED
        assert [link.rank for link in found] == list(range(1, len(found) + 1))
        assert [link.score for link in found] == sorted((x.score for x in found), reverse=True)
        assert all(link.related_id != link.paper_id and 0 < link.score <= 1 for link in found)
    # The nearest neighbour is about the same thing: it shares a word of the title.
    sharing = 0
    for found in by_paper.values():
        first = found[0]
        words = {w for w in first.paper.title.lower().split() if len(w) > 5}
        sharing += bool(
            words
            & set(first.related.title.lower().split() + first.related.abstract.lower().split())
        )
    assert sharing / len(by_paper) > 0.8

    # Nothing is computed twice (a paper left without any neighbour is tried again).
    rows = set(RelatedPaper.objects.values_list("pk", flat=True))
    assert relate(papers)["with_related"] >= counts["with_related"]
    assert set(RelatedPaper.objects.values_list("pk", flat=True)) >= rows


def test_a_revised_paper_is_related_again(papers):
    relate(papers)
    rows = dict(RelatedPaper.objects.values_list("pk", "paper"))
    paper = papers[0]
    Paper.objects.filter(pk=paper.pk).update(
        abstract="Reinforcement learning for robot grasping.", revised_at=timezone.now()
    )

    relate(Paper.objects.order_by("pk").only(*FIELDS))

    after = dict(RelatedPaper.objects.values_list("pk", "paper"))
    assert {pk for pk in rows if pk not in after} == {pk for pk, p in rows.items() if p == paper.pk}
    had = set(rows.values())
    assert all(after[pk] == paper.pk or after[pk] not in had for pk in after.keys() - rows.keys())


def test_pairs_of_two_common_terms_are_left_to_the_fallback(db):
    """Two terms each in a third of the papers match too many to rank; a rare one bounds them."""
    if connection.vendor != "postgresql":
        pytest.skip("the statistics of the search vector are PostgreSQL's")
    store.store_papers(list(bundled.load_day(DEMO_DAY).papers)[:200], announced_on=DEMO_DAY)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE papers_paper")
        common = related._common_terms(cursor, {"models", "language", "travelplanner"})

    assert common == {"models", "language"}  # "models" is stemmed as the vectors are: "model"
    assert related._pairs(["language", "models", "travelplanner"], common) == [
        ("language", "travelplanner"),
        ("models", "travelplanner"),
    ]
    assert related._pairs(["language", "models"], common) == [("language", "models")]


def test_a_role_that_does_not_own_the_search_index_still_relates(db, monkeypatch):
    """Only the index's owner may merge its pending list; another role leaves it to autovacuum."""
    if connection.vendor != "postgresql":
        pytest.skip("the full-text index is PostgreSQL's")
    monkeypatch.setattr(related, "IN_MEMORY_UP_TO", 0)
    store.store_papers(list(bundled.load_day(DEMO_DAY).papers)[:200], announced_on=DEMO_DAY)
    papers = Paper.objects.order_by("pk").only(*FIELDS)
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute("CREATE ROLE dai_related_reader")
        cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO dai_related_reader")
        cursor.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO dai_related_reader")
        cursor.execute("SET LOCAL ROLE dai_related_reader")

    assert relate(papers)["with_related"] >= 195

    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
