"""The day page a reader can navigate (issue 15): a category index, each category opening with
its key findings and TL;DR cards, the rest collapsed but in the HTML; TL;DRs, code and
popularity on the cards, the paper and category pages."""

import re

import pytest
from django.urls import reverse

from common.text import plain_text
from digest import pipeline
from digest.models import DailyDigest
from papers.models import Paper
from reader import day_page
from summaries.models import PaperBrief
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_day():
    """The bundled 649-paper day, built offline as `make demo` builds it."""
    pipeline.build_digest(DEMO_DAY)
    return DailyDigest.objects.get(date=DEMO_DAY)


def _cards(html: str) -> list[str]:
    return html.split('<li class="paper"')[1:]


def test_offline_every_card_of_the_649_paper_day_shows_a_labelled_extractive_tldr(client, demo_day):
    html = client.get(reverse("day", args=[DEMO_DAY])).text

    cards = _cards(html)
    # Every paper once in its category's list, and the opening cards again.
    assert len(cards) > demo_day.papers.count() == 649
    for card in cards:
        card = card.split("</li>")[0]
        assert '<p class="tldr tldr-extract"><span class="tldr-label">초록 발췌</span>' in card
        assert '<span lang="en">' in card  # the extract is the abstract's English
    briefs = dict(PaperBrief.objects.values_list("paper__arxiv_id", "text"))
    assert len(briefs) == 649 and all(briefs.values())
    for paper in demo_day.papers.order_by("pk")[:50]:
        # The abstract's own sentence (its lead-in such as "To this end," dropped).
        sentence = briefs[paper.arxiv_id].removesuffix(" …")
        assert sentence[1:] in plain_text(paper.abstract)


def test_every_category_is_in_the_index_and_opens_with_findings_and_cards(client, demo_day):
    html = client.get(reverse("day", args=[DEMO_DAY])).text

    index = html.split('<nav class="day-index"')[1].split("</nav>")[0]
    sections = re.findall(r'<section class="category" id="([^"]+)"', html)
    assert re.findall(r'href="#([^"]+)"', index) == sections
    assert len(sections) == len(demo_day.chart) == 14
    for slug in sections:
        body = html.split(f'<section class="category" id="{slug}"')[1].split("</section>")[0]
        opening = body.split('<div class="more">')[0]
        count = demo_day.papers.filter(category__slug=slug).count()
        findings = opening.split('<ul class="findings"')[1].split("</ul>")[0]
        assert 1 <= findings.count("<li>") <= day_page.FINDINGS_SHOWN
        # Cards: the most popular featured papers the shown findings do not already cite.
        cited = set(re.findall(r'class="cite" href="/papers/([^/]+)/"', findings))
        uncited = demo_day.papers.filter(category__slug=slug).exclude(arxiv_id__in=cited)
        cards = opening.count('<li class="paper"')
        assert cards == min(day_page.CARDS_SHOWN, uncited.count())
        # The rest of the summary and every paper: collapsed, but in the HTML for anchors and
        # search engines.
        assert f'<details class="report" id="{slug}-report">' in body
        assert f'<details class="all-papers" id="{slug}-papers">' in body
        listed = body.split(f'id="{slug}-papers"')[1]
        assert listed.count('<li class="paper"') == count
        assert "핵심 주제" in body.split(f'id="{slug}-report"')[1].split("</details>")[0]
    assert not re.search(r"<details[^>]*\bopen\b", html)  # nothing starts expanded
    # No CDN: every script and stylesheet is served from here.
    for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "http://testserver/")), url
    assert "/static/js/day.js" in html


def test_cards_carry_code_and_popularity_and_lists_sort_by_them(client, demo_day):
    paper = demo_day.papers.order_by("pk").first()
    Paper.objects.filter(pk=paper.pk).update(
        upvotes=42, hf_comments=7, github_repo="https://github.com/example/repo", github_stars=1234
    )
    html = client.get(reverse("day", args=[DEMO_DAY])).text

    card = next(c for c in _cards(html) if f'href="/papers/{paper.arxiv_id}/"' in c)
    assert 'data-upvotes="42" data-stars="1234"' in card
    assert f'data-id="{paper.arxiv_id}"' in card
    assert "▲ 42" in card and "💬 7" in card
    assert '<a class="code" href="https://github.com/example/repo">GitHub</a>' in card
    assert "★ 1234" in card
    assert '<button type="button" data-sort="popularity" aria-pressed="true">인기순' in html
    assert 'data-sort="published" aria-pressed="false">최신순' in html


def test_paper_and_category_pages_show_the_tldr_and_the_code(client, demo_day):
    paper = demo_day.papers.order_by("pk").first()
    Paper.objects.filter(pk=paper.pk).update(
        github_repo="https://github.com/example/repo", github_stars=99
    )
    brief = PaperBrief.objects.get(paper=paper)
    brief.text, brief.source, brief.locked = "편집자가 고친 요약이다.", "editor", True
    brief.save()

    html = client.get(reverse("paper", args=[paper.arxiv_id])).text
    assert '<span class="tldr-label">편집자 요약</span> <span lang="ko">편집자가 고친' in html
    assert '<a href="https://github.com/example/repo">github.com/example/repo</a>' in html
    assert "★ 99" in html

    slug = paper.category.slug
    category = client.get(reverse("category", args=[slug])).text
    assert category.count('class="tldr tldr-') >= 1


def test_an_empty_tldr_waiting_for_the_retry_pass_is_not_shown(client, demo_day):
    paper = demo_day.papers.order_by("pk").first()
    PaperBrief.objects.filter(paper=paper).update(text="", source="claude", needs_retry=True)

    html = client.get(reverse("paper", args=[paper.arxiv_id])).text

    assert 'class="tldr' not in html


def test_english_readers_get_labels_in_english(client, demo_day):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("day", args=[DEMO_DAY])).text
    assert '<span class="tldr-label">From the abstract</span>' in html
    assert "Key findings" in html and 'aria-label="Categories of the day"' in html


def test_an_editors_tldr_shows_at_once_on_cached_pages(client, demo_day):
    paper = demo_day.papers.order_by("pk").first()
    url = reverse("paper", args=[paper.arxiv_id])
    assert "초록 발췌" in client.get(url).text  # rendered and cached
    brief = PaperBrief.objects.get(paper=paper)
    brief.text, brief.source, brief.locked = "새로 고친 한 줄 요약.", "editor", True
    brief.save()  # as the admin saves it

    assert "새로 고친 한 줄 요약." in client.get(url).text
    assert "새로 고친 한 줄 요약." in client.get(reverse("day", args=[DEMO_DAY])).text
