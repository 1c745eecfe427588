"""Papers' one-line TL;DRs (summaries/briefs.py) through the recorded-shape Anthropic API
(tests/fixtures/anthropic/fake_api.py) and offline: what we send, what we store, what we never
pay for twice, the validator, the retry, and the labelled extract without a key.

The database, the ORM, the SDK and its parsing are real; only the HTTP transport is fake.
"""

import math
import re

import pytest
from django.urls import reverse

from common.text import HANGUL, plain_text
from papers import store
from papers.models import Paper
from papers.sources import bundled
from summaries import brief_extract, brief_prompts, briefs
from summaries.models import PaperBrief
from tests.conftest import DEMO_DAY
from tests.fixtures.anthropic.fake_api import FakeAnthropic

MODEL = "claude-haiku-5-5"
_PAPER = re.compile(r'<paper id="([^"]+)">\n<title>(.*?)</title>\n<abstract>(.*?)</abstract>', re.S)


@pytest.fixture(autouse=True)
def claude_settings(settings):
    settings.ANTHROPIC_API_KEY = ""  # the client is passed in; nothing may reach the network
    settings.ANTHROPIC_BRIEF_MODEL = MODEL
    settings.ANTHROPIC_BRIEF_CHUNK = 25
    settings.ANTHROPIC_BATCH = True
    settings.ANTHROPIC_BATCH_POLL = 30
    settings.ANTHROPIC_MAX_ATTEMPTS = 3
    settings.DIGEST_LANGUAGES = ["ko"]


def _papers(size: int | None = None) -> list[Paper]:
    """The bundled 649-paper day's papers (or its first `size`), stored."""
    records = list(bundled.load_day(DEMO_DAY).papers)[:size]
    store.store_papers(records, announced_on=DEMO_DAY)
    return list(Paper.objects.order_by("pk").only(*FIELDS))


FIELDS = ("arxiv_id", "abs_url", "version", "title", "abstract")


def papers_in(params: dict) -> list[tuple[str, str, str]]:
    """(id, title, abstract) of each paper a request asks about."""
    return _PAPER.findall(params["messages"][0]["content"])


def korean_tldrs(params: dict, number: str | None = None) -> dict:
    """A Korean TL;DR of every paper asked about, quoting a number of its abstract when it has
    one (or `number`, which may be invented)."""
    answers = []
    for ref, title, abstract in papers_in(params):
        name = title.split(":")[0].split()[0]
        found = number or next(iter(briefs._NUMBER.findall(abstract)), "")
        result = f" 실험에서 {found}의 수치를 보고한다." if found else ""
        answers.append({"id": ref, "tldr": f"{name}은 새로운 방법을 제안한다.{result}"})
    return {"briefs": answers}


@pytest.fixture
def fake():
    fake = FakeAnthropic()
    fake.answer = korean_tldrs
    return fake


def test_a_day_goes_in_one_batch_is_validated_and_stored_and_never_paid_twice(db, fake):
    papers = _papers()
    assert len(papers) == 649
    usage = []
    answer = fake.message
    fake.message = lambda params: _kept(answer(params), usage)

    counts = briefs.write_briefs(papers, client=fake.client())

    (batch,) = fake.bodies("/v1/messages/batches")
    assert len(batch["requests"]) == math.ceil(649 / 25) == 26
    assert fake.bodies() == []  # nothing outside the batch
    asked = [ref for entry in batch["requests"] for ref, _, _ in papers_in(entry["params"])]
    assert sorted(asked) == sorted(p.ref for p in papers)
    system = brief_prompts.system_prompt("ko")
    for entry in batch["requests"]:
        params = entry["params"]
        assert params["model"] == MODEL
        assert params["system"] == [
            {"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}
        ]
        assert params["output_config"]["format"]["schema"] == brief_prompts.SCHEMA
    assert counts["briefs_written"] == 649 and counts["briefs_left_empty"] == 0
    assert counts["briefs_model"] == MODEL and counts["briefs_cost_usd"] > 0

    stored = {b.paper_id: b for b in PaperBrief.objects.all()}
    assert len(stored) == 649
    for paper in papers:
        brief = stored[paper.pk]
        assert brief.language == "ko" and brief.source == "claude" and brief.generator == MODEL
        assert HANGUL.search(brief.text) and not brief.needs_retry
        assert briefs.complaints(brief.text, f"{paper.title} {paper.abstract}", "ko") == []
        assert brief.cost_usd > 0
    # The system prompt is written to the cache once and read by every other request.
    assert len(usage) == 26
    assert sum(u["cache_creation_input_tokens"] > 0 for u in usage) == 1
    assert sum(u["cache_read_input_tokens"] > 0 for u in usage) == 25

    sent = len(fake.requests)
    again = briefs.write_briefs(_papers(), client=fake.client())

    assert len(fake.requests) == sent  # an unchanged day sends no request at all
    assert again["briefs_unchanged"] == 649 and again["briefs_written"] == 0


def _kept(message: dict, usage: list) -> dict:
    usage.append(dict(message["usage"]))
    return message


def test_a_changed_abstract_regenerates_only_its_papers_tldr(db, fake):
    papers = _papers(60)
    briefs.write_briefs(papers, client=fake.client())
    before = dict(PaperBrief.objects.values_list("paper_id", "updated_at"))
    paper = Paper.objects.get(pk=papers[7].pk)
    paper.abstract += " We also release the code, reaching 97.5 points."
    paper.version += 1
    paper.save()

    counts = briefs.write_briefs(Paper.objects.order_by("pk").only(*FIELDS), client=fake.client())

    second = fake.bodies("/v1/messages/batches")[1]
    (entry,) = second["requests"]
    assert [ref for ref, _, _ in papers_in(entry["params"])] == [paper.ref]
    assert "reaching 97.5 points" in entry["params"]["messages"][0]["content"]
    assert counts["briefs_written"] == 1 and counts["briefs_unchanged"] == 59
    after = dict(PaperBrief.objects.values_list("paper_id", "updated_at"))
    assert {pk for pk in after if after[pk] != before[pk]} == {paper.pk}


def test_without_batching_chunks_go_one_request_each_reading_the_cached_prompt(db, fake, settings):
    settings.ANTHROPIC_BATCH = False
    papers = _papers(60)

    counts = briefs.write_briefs(papers, client=fake.client())

    bodies = fake.bodies()
    assert [len(papers_in(b)) for b in bodies] == [25, 25, 10]
    assert fake.bodies("/v1/messages/batches") == []
    assert counts["briefs_written"] == 60


def test_a_rejected_tldr_is_retried_once_with_the_complaint(db, fake):
    papers = _papers(30)
    seen = set()

    def invented_first(params):
        refs = {ref for ref, _, _ in papers_in(params)}
        first = not refs & seen
        seen.update(refs)
        return korean_tldrs(params, number="987654") if first else korean_tldrs(params)

    fake.answer = invented_first

    counts = briefs.write_briefs(papers, client=fake.client())

    retries = fake.bodies()  # direct requests after the batch
    assert sum(len(papers_in(body)) for body in retries) == 30
    message = retries[0]["messages"][0]["content"]
    assert "rejected by our validator" in message
    assert "has numbers that are not in the abstract: 987654" in message
    assert counts["briefs_written"] == 30 and counts["briefs_left_empty"] == 0
    assert not PaperBrief.objects.filter(text__contains="987654").exists()
    assert not PaperBrief.objects.filter(needs_retry=True).exists()


def test_a_tldr_rejected_twice_is_left_empty_for_the_retry_pass(db, fake):
    papers = _papers(10)
    fake.answer = lambda params: {
        "briefs": [
            {"id": ref, "tldr": "이 논문은 鏡像 반사를 다룬다."} for ref, _, _ in papers_in(params)
        ]
    }

    counts = briefs.write_briefs(papers, client=fake.client())

    assert counts["briefs_left_empty"] == 10 and counts["briefs_written"] == 0
    assert len(fake.bodies()) == 1  # one retry, never more
    for brief in PaperBrief.objects.all():
        assert brief.text == "" and brief.needs_retry
        assert brief.retry_reason.startswith("rejected twice: contains foreign script 鏡像")
    assert PaperBrief.objects.shown().count() == 0  # readers see no TL;DR rather than a bad one

    # The next run (the retry pass) asks again for exactly those.
    fake.answer = korean_tldrs
    again = briefs.write_briefs(papers, client=fake.client())
    assert again["briefs_written"] == 10
    assert not PaperBrief.objects.filter(needs_retry=True).exists()


def test_offline_every_paper_gets_its_abstracts_contribution_sentence(db):
    papers = _papers()

    counts = briefs.write_briefs(papers)

    assert counts == {
        "briefs_written": 649,
        "briefs_unchanged": 0,
        "briefs_locked": 0,
        "briefs_left_empty": 0,
    }
    stored = {b.paper_id: b for b in PaperBrief.objects.all()}
    for paper in papers:
        brief = stored[paper.pk]
        assert brief.source == "extract" and brief.generator == "extract" and brief.text
        assert len(brief.text) <= brief_extract.EXTRACT_CHARS + 2
        # Taken from the abstract: every word of it is the abstract's (an ellipsis aside).
        words = set(re.findall(r"[A-Za-z]{4,}", brief.text.lower()))
        abstract = plain_text(paper.abstract).lower()
        assert words <= set(re.findall(r"[A-Za-z]{4,}", abstract)) | {"this"}
    # Most are the contribution sentence ("We propose ...", with its lead-in dropped).
    opening = [b.text.startswith(("We ", "This ", "Our ")) for b in stored.values()]
    assert sum(opening) / len(opening) > 0.8
    assert briefs.write_briefs(_papers())["briefs_unchanged"] == 649


def test_offline_keeps_what_claude_wrote_and_nobody_overwrites_an_editors_tldr(db, fake):
    papers = _papers(5)
    briefs.write_briefs(papers, client=fake.client())
    PaperBrief.objects.filter(paper=papers[0]).update(
        text="편집자가 고친 요약.", source="editor", locked=True
    )

    offline = briefs.write_briefs(papers)

    assert offline["briefs_unchanged"] == 4 and offline["briefs_locked"] == 1
    assert set(PaperBrief.objects.values_list("source", flat=True)) == {"claude", "editor"}
    Paper.objects.filter(pk=papers[0].pk).update(abstract="Changed. " + papers[0].abstract)
    briefs.write_briefs(Paper.objects.filter(pk=papers[0].pk), client=fake.client())
    assert PaperBrief.objects.get(paper=papers[0]).text == "편집자가 고친 요약."


def test_english_tldrs_when_the_digest_stores_english(db, fake, settings):
    settings.DIGEST_LANGUAGES = ["ko", "en"]
    papers = _papers(3)

    def by_language(params):
        if "in Korean" in params["system"][0]["text"]:
            return korean_tldrs(params)
        return {
            "briefs": [
                {"id": ref, "tldr": f"{title.split()[0]} proposes a method."}
                for ref, title, _ in papers_in(params)
            ]
        }

    fake.answer = by_language
    briefs.write_briefs(papers, client=fake.client())

    assert PaperBrief.objects.filter(language="en").count() == 3
    assert PaperBrief.objects.filter(language="ko").count() == 3
    assert not any(
        HANGUL.search(t)
        for t in PaperBrief.objects.filter(language="en").values_list("text", flat=True)
    )


@pytest.mark.parametrize(
    ("text", "language", "problem"),
    [
        ("", "ko", "is empty"),
        ("We propose a method.", "ko", "is not written in Korean"),
        ("이 방법은 좋다.", "en", "contains Korean"),
        ("이 논문은 鏡像 반사를 다룬다.", "ko", "contains foreign script 鏡像"),
        ("가" * 141, "ko", "is 141 characters long; write at most 120"),
        ("정확도를 12.5% 높인다.", "ko", "numbers that are not in the abstract: 12.5"),
        ("1,024개의 토큰을 쓴다.", "ko", "numbers that are not in the abstract: 1,024"),
    ],
)
def test_the_validator(text, language, problem):
    abstract = "We improve accuracy by 12.4% with 1000 tokens on GPT-4o."
    assert any(problem in p for p in briefs.complaints(text, abstract, language))


def test_the_validator_accepts_numbers_of_the_abstract_and_names():
    abstract = "Our Llama-3.1-8B model improves accuracy by 12.4% using 1,024 tokens on GPT-4o."
    text = "Llama-3.1-8B 기반 방법으로 GPT-4o에서 1024개 토큰으로 정확도를 12.4% 높인다."
    assert briefs.complaints(text, abstract, "ko") == []


def test_an_editor_corrects_a_tldr_in_the_admin_which_locks_it(db, admin_client, fake):
    papers = _papers(3)
    briefs.write_briefs(papers, client=fake.client())
    brief = PaperBrief.objects.get(paper=papers[0])
    url = reverse("admin:summaries_paperbrief_change", args=[brief.pk])

    leaky = admin_client.post(url, {"text": "이 논문은 鏡像 반사를 다룬다.", "locked": ""})
    assert "contains foreign script 鏡像" in leaky.content.decode()
    response = admin_client.post(url, {"text": " 편집자가  고친 한 줄 요약. ", "locked": ""})

    assert response.status_code == 302
    brief.refresh_from_db()
    assert brief.text == "편집자가 고친 한 줄 요약." and brief.source == "editor"
    assert brief.locked and brief.edited_at is not None
    changed = Paper.objects.filter(pk=papers[0].pk)
    changed.update(abstract="A new abstract. " + papers[0].abstract)
    assert briefs.write_briefs(changed.only(*FIELDS), client=fake.client())["briefs_locked"] == 1
    assert admin_client.get(reverse("admin:summaries_paperbrief_changelist")).status_code == 200
