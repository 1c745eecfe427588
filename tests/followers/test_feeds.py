"""Personal feeds and the keyword feed share the email's filter (papers.keywords)."""

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from followers import tokens
from followers.models import Subscriber
from papers.keywords import KeywordError, PaperFilter, parse_keywords
from papers.models import Category, Paper


class Stub:
    def __init__(self, title, abstract="", slug="llm"):
        self.title, self.abstract = title, abstract
        self.category = Category(slug=slug)


@pytest.mark.parametrize(
    ("keyword", "text", "found"),
    [
        ("LLM", "Scaling LLMs to a million tokens", True),
        ("llm", "LLM-based agents", True),
        ("RL", "A world model", False),  # only at the start of a word
        ("RL", "RLHF for alignment", True),
        ("강화학습", "강화학습은 어렵다", True),
        ("ＬＬＭ", "LLM", True),  # width-insensitive
        ("diffusion models", "Diffusion   Models for images", True),
    ],
)
def test_keyword_matching(keyword, text, found):
    [keyword] = parse_keywords(keyword)
    assert PaperFilter(include=(keyword,)).matches(Stub(text)) is found


def test_exclusion_wins_and_categories_limit():
    paper_filter = PaperFilter(frozenset({"llm"}), ("agents",), ("survey",))
    assert paper_filter.matches(Stub("LLM agents"))
    assert not paper_filter.matches(Stub("A survey of LLM agents"))
    assert not paper_filter.matches(Stub("LLM agents", slug="robotics"))


@pytest.mark.parametrize("raw", ["a", "x" * 51, "a\u202eb c", "zero\u200bwidth", "y" * 2001])
def test_parse_keywords_refuses_what_it_cannot_use(raw):
    with pytest.raises(KeywordError):
        parse_keywords(raw)


@pytest.mark.django_db
def test_the_personal_feed_has_the_subscriptions_papers(
    client, reference_day, django_assert_num_queries
):
    subscriber = Subscriber.objects.create(
        email="a@example.org",
        confirmed_at=timezone.now(),
        include=["diffusion"],
        exclude=["wavelet"],
    )
    url = reverse("followers-feed-rss", args=[tokens.make(subscriber, tokens.FEED)])
    with django_assert_num_queries(4):  # subscriber, its categories, the days, the candidates
        response = client.get(url)
    assert response.status_code == 200
    titles = {e.title for e in feedparser.parse(response.content).entries}
    texts = {p.title: (p.title + p.abstract).lower() for p in Paper.objects.all()}
    expected = {t for t, text in texts.items() if "diffusion" in text and "wavelet" not in text}
    assert titles == expected and titles
    atom = client.get(reverse("followers-feed-atom", args=[tokens.make(subscriber, tokens.FEED)]))
    assert atom.status_code == 200 and b"<feed" in atom.content
    # A feed token is no manage token, and the other way round.
    wrong = reverse("followers-feed-rss", args=[tokens.make(subscriber, tokens.MANAGE)])
    assert client.get(wrong).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "target"),
    [
        ({"q": "diffusion"}, "/feeds/search.rss?q=diffusion"),
        (
            {"q": "diffusion, graph neural", "exclude": "wavelet, survey", "category": "llm"},
            "/feeds/search.rss?q=diffusion+OR+%22graph+neural%22&category=llm"
            "&exclude=wavelet%2C+survey",
        ),
    ],
)
def test_the_keyword_feed_is_a_permanent_redirect_to_the_same_search_feed(client, query, target):
    response = client.get(reverse("followers-search-rss"), query)
    assert response.status_code == 301 and response["Location"] == target
    atom = client.get(reverse("followers-search-atom"), query)
    assert atom.status_code == 301
    assert atom["Location"] == target.replace("search.rss", "search.atom")


@pytest.mark.django_db
def test_the_search_feed_uses_the_same_filter(client, reference_day, django_assert_num_queries):
    redirect = client.get(reverse("followers-search-rss"), {"q": "diffusion", "exclude": "wavelet"})
    with django_assert_num_queries(1):  # the search feed's one query (reader/search_feed.py)
        response = client.get(redirect["Location"])
    assert response.status_code == 200
    titles = {e.title for e in feedparser.parse(response.content).entries}
    assert "Scaling Properties of Diffusion Models for Perceptual Tasks" in titles
    assert not any("Wavelet" in t for t in titles)
    # What the search feed cannot say (no keywords, several categories) the keyword feed serves.
    by_category = client.get(reverse("followers-search-atom"), {"category": "multimodal"})
    multimodal = Paper.objects.filter(digests__date=reference_day, category__slug="multimodal")
    titles = {e.title for e in feedparser.parse(by_category.content).entries}
    assert titles == set(multimodal.values_list("title", flat=True))
    two = client.get(
        reverse("followers-search-rss"), {"q": "x1", "category": ["llm", "multimodal"]}
    )
    assert two.status_code == 200 and b"<rss" in two.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "x" * 51},
        {"q": "a\u202eb"},
        {"q": "ok", "category": "no-such"},
        {"q": "y" * 3000},
        {"q": "nul\x00"},
    ],
)
def test_the_search_feed_refuses_bad_queries_with_a_message(client, query):
    response = client.get(reverse("followers-search-rss"), query)
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
    assert response.content
