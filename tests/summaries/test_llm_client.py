"""summaries/llm.py against the recorded-shape Anthropic API: requests, retries, errors, batches.

Only the HTTP transport is fake (tests/fixtures/anthropic/fake_api.py); the SDK parses every
response for real.
"""

import json
from decimal import Decimal

import httpx2
import pytest
from django.core.exceptions import ImproperlyConfigured

import llm
from summaries import prompts
from tests.fixtures.anthropic.fake_api import BATCH_ERRORED, FakeAnthropic, paper_ids

SCHEMA = prompts.REPORT_SCHEMA


@pytest.fixture
def fake(settings):
    settings.ANTHROPIC_MAX_ATTEMPTS = 3
    settings.ANTHROPIC_MAX_WAIT = 60
    return FakeAnthropic()


def _params(**overrides) -> dict:
    message = (
        '<papers>\n<paper id="2411.07184">\n<title>SAMPart3D</title>\n'
        "<abstract>3D part segmentation.</abstract>\n</paper>\n</papers>"
    )
    return llm.json_request(
        model="claude-sonnet-5-5",
        system=prompts.system_prompt("ko"),
        messages=[{"role": "user", "content": message}],
        schema=SCHEMA,
        max_tokens=8000,
        effort="low",
        **overrides,
    )


def test_request_asks_for_json_by_schema_with_a_cached_system_prompt(fake):
    reply = fake.client().send(_params())

    (request,) = fake.requests
    body = json.loads(request.content)
    assert request.method == "POST" and request.url.path == "/v1/messages"
    assert request.headers["anthropic-version"]
    assert "sk-ant-api03-test" in request.headers.get("authorization", "") + request.headers.get(
        "x-api-key", ""
    )
    assert body["model"] == "claude-sonnet-5-5" and body["max_tokens"] == 8000
    assert body["system"] == [
        {
            "type": "text",
            "text": prompts.system_prompt("ko"),
            "cache_control": {"type": "ephemeral"},
        }
    ]
    assert body["output_config"] == {
        "format": {"type": "json_schema", "schema": SCHEMA},
        "effort": "low",
    }
    # Current models answer 400 to forced tool choice and to sampling parameters.
    assert not {"tool_choice", "tools", "temperature", "top_p"} & set(body)
    assert reply.data["findings"][0]["refs"] == ["2411.07184"]
    assert reply.message_id.startswith("msg_") and reply.stop_reason == "end_turn"


def test_reply_skips_thinking_and_reports_cache_usage(fake):
    client = fake.client()
    first = client.send(_params())
    second = client.send(_params())

    assert first.usage.cache_creation_input_tokens > 0 == first.usage.cache_read_input_tokens
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens == 0
    assert first.usage.output_tokens > 0 and first.text.startswith("{")
    assert first.usage + second.usage == llm.Usage(
        input_tokens=first.usage.input_tokens * 2,
        output_tokens=first.usage.output_tokens * 2,
        cache_creation_input_tokens=first.usage.cache_creation_input_tokens,
        cache_read_input_tokens=second.usage.cache_read_input_tokens,
    )


def test_system_prompt_is_long_enough_to_be_cached():
    # A prompt shorter than the model's minimum is silently not cached: 512 tokens on Sonnet
    # 5.5, 1,024 on Sonnet 5; estimated offline (prompts.estimate_tokens).
    for language in ("ko", "en"):
        assert prompts.estimate_tokens(prompts.system_prompt(language)) >= 1024


def test_rate_limit_waits_as_long_as_retry_after_says(fake):
    fake.script = [429]

    reply = fake.client().send(_params())

    assert fake.waits == [13.0]  # errors.json: retry-after: 13
    assert len(fake.requests) == 2 and reply.data


def test_overloaded_and_server_errors_back_off_and_retry(fake):
    fake.script = [529, 500]

    reply = fake.client().send(_params())

    assert len(fake.requests) == 3 and reply.data
    assert len(fake.waits) == 2 and all(0 < wait <= 2 for wait in fake.waits)


def test_timeouts_are_retried(fake):
    fake.script = [httpx2.ReadTimeout]

    assert fake.client().send(_params()).data
    assert len(fake.requests) == 2


def test_retries_are_bounded_and_the_error_says_it_was_retryable(fake, settings):
    settings.ANTHROPIC_MAX_WAIT = 5
    fake.script = [529, 429, 529]

    with pytest.raises(llm.LLMError) as caught:
        fake.client().send(_params())

    assert len(fake.requests) == settings.ANTHROPIC_MAX_ATTEMPTS == 3
    assert fake.waits[1] == 5  # retry-after 13 capped at ANTHROPIC_MAX_WAIT
    error = caught.value
    assert error.retryable and error.status == 529 and error.kind == "overloaded_error"
    assert not error.about_this_request


@pytest.mark.parametrize(
    ("status", "kind", "about_this_request"),
    [(400, "invalid_request_error", True), (401, "authentication_error", False)],
)
def test_client_errors_are_not_retried(fake, status, kind, about_this_request):
    fake.script = [status]

    with pytest.raises(llm.LLMError) as caught:
        fake.client().send(_params())

    assert len(fake.requests) == 1 and fake.waits == []
    assert not caught.value.retryable and caught.value.kind == kind
    assert caught.value.about_this_request is about_this_request


def test_connection_failure_is_retryable(fake, settings):
    settings.ANTHROPIC_MAX_ATTEMPTS = 1
    fake.script = [httpx2.ConnectError]

    with pytest.raises(llm.LLMError) as caught:
        fake.client().send(_params())

    assert caught.value.retryable and caught.value.kind == "connection"


@pytest.mark.parametrize(
    ("stop_reason", "problem"),
    [("max_tokens", "cut off"), ("refusal", "refused")],
)
def test_truncated_or_refused_replies_carry_a_problem_and_their_usage(fake, stop_reason, problem):
    original = fake.message

    def message(params):
        reply = original(params)
        reply["stop_reason"] = stop_reason
        reply["content"][1]["text"] = reply["content"][1]["text"][:40]
        return reply

    fake.message = message

    reply = fake.client().send(_params())

    assert reply.data is None and problem in reply.problem
    assert reply.usage.output_tokens > 0


def test_text_that_is_not_json_is_a_problem(fake):
    fake.answer = lambda params: "죄송합니다. 요약을 작성할 수 없습니다."

    reply = fake.client().send(_params())

    assert reply.data is None and reply.problem == "the reply is not valid JSON"


def test_cost_uses_the_price_table_and_halves_for_batches():
    usage = llm.Usage(
        input_tokens=10_000,
        output_tokens=2_000,
        cache_creation_input_tokens=1_500,
        cache_read_input_tokens=3_000,
    )
    # Sonnet 5.5: $2 input, $10 output, $2.50 cache write, $0.10 cache read per million.
    expected = (10_000 * 2 + 2_000 * 10 + 1_500 * Decimal("2.5") + 3_000 * Decimal("0.1")) / 10**6
    assert usage.cost("claude-sonnet-5-5") == expected == Decimal("0.04405")
    assert usage.cost("claude-sonnet-5-5", batch=True) == expected / 2
    with pytest.raises(ImproperlyConfigured):
        usage.cost("claude-unknown-1")


def test_batch_is_created_polled_and_collected_by_custom_id(fake, settings):
    settings.ANTHROPIC_BATCH_POLL = 30
    fake.polls_before_end = 2
    fake.batch_outcomes = {
        "b": BATCH_ERRORED,
        "c": {"type": "expired"},
    }
    client = fake.client()

    batch_id = client.submit_batch({"a": _params(), "b": _params(), "c": _params()})
    assert client.wait_for_batch(batch_id)
    results = client.batch_results(batch_id)

    (create,) = fake.bodies("/v1/messages/batches")
    assert [r["custom_id"] for r in create["requests"]] == ["a", "b", "c"]
    assert create["requests"][0]["params"] == _params()
    assert batch_id.startswith("msgbatch_")
    assert fake.waits == [30, 30]  # two polls in progress, the third sees it ended
    assert results["a"].data["findings"][0]["refs"] == paper_ids(_params())
    assert results["b"].retryable and results["b"].kind == "overloaded_error"
    assert results["c"].retryable and results["c"].kind == "expired"


def test_batch_that_outlives_the_wait_is_cancelled(fake, settings):
    settings.ANTHROPIC_BATCH_WAIT = 0
    fake.polls_before_end = 5
    client = fake.client()
    batch_id = client.submit_batch({"a": _params()})

    assert client.wait_for_batch(batch_id) is False
    assert fake.requests[-1].url.path == f"/v1/messages/batches/{batch_id}/cancel"
