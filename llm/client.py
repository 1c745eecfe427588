"""Claude: the one module that imports `anthropic`, for the summaries now and the classifier later.

`Claude` wraps the SDK client with our timeout and bounded retries that honour `retry-after`
(the SDK's own retries are off, so every wait is ours and visible), turns every failure into an
`LLMError` that says whether retrying can help, sends Messages requests whose reply is JSON
constrained by a schema (structured outputs), and runs Message Batches. `Usage.cost` prices a
reply from the settings.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from common.retry import Backoff, parse_retry_after

if TYPE_CHECKING:
    import anthropic

BATCH_DISCOUNT = Decimal("0.5")
_FIRST_BACKOFF = 1.0  # seconds before the second attempt when the server does not say
_RETRYABLE_STATUS = {408, 409, 429}  # and every 5xx, 529 "overloaded" included
_RETRYABLE_KINDS = {"rate_limit_error", "overloaded_error", "api_error", "timeout_error"}
_MILLION = Decimal(1_000_000)


class LLMError(Exception):
    """A request that failed; `retryable` says whether sending it again can help."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        kind: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.kind = kind  # the API's error type, e.g. "overloaded_error"; "" when none
        self.status = status
        self.retry_after = retry_after

    @property
    def about_this_request(self) -> bool:
        """True when the request itself is wrong, so other requests may still succeed."""
        return self.kind == "invalid_request_error"


@dataclass(frozen=True)
class Usage:
    """Tokens of one or more replies, as the API reports them."""

    input_tokens: int = 0  # uncached input only
    output_tokens: int = 0  # thinking included
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def cost(self, model: str, *, batch: bool = False) -> Decimal:
        """Estimated USD; batch discounts and cache prices stack."""
        try:
            price = settings.ANTHROPIC_PRICES[model]
        except KeyError:
            raise ImproperlyConfigured(f"No price for {model!r} in ANTHROPIC_PRICES.") from None
        total = (
            self.input_tokens * price["input"]
            + self.output_tokens * price["output"]
            + self.cache_creation_input_tokens * price["cache_write"]
            + self.cache_read_input_tokens * price["cache_read"]
        ) / _MILLION
        return total * BATCH_DISCOUNT if batch else total


@dataclass(frozen=True)
class Reply:
    """One JSON reply: `data` is None, and `problem` says why, when it cannot be used."""

    data: Any
    text: str
    usage: Usage
    message_id: str
    stop_reason: str
    problem: str = ""


def json_request(
    *,
    model: str,
    system: str,
    messages: list[dict],
    schema: dict,
    max_tokens: int,
    effort: str = "",
) -> dict:
    """Messages API parameters for a reply that is JSON matching `schema`.

    The system prompt carries the cache breakpoint, so every request sharing it (a day's
    categories, a batch) reads it from the cache instead of paying for it again. Sampling
    parameters and forced tool choice are left out: current models reject both.
    """
    output_config: dict = {"format": {"type": "json_schema", "schema": schema}}
    if effort:
        output_config["effort"] = effort
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
        "messages": messages,
        "output_config": output_config,
    }


class Claude:
    """An Anthropic client with our timeouts, bounded retries and error classification."""

    def __init__(
        self,
        api_key: str = "",
        *,
        http_client=None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        # The SDK takes seconds to import, so it is imported when a client is made, not by
        # every process that loads the summaries app.
        import anthropic

        self._client = anthropic.Anthropic(
            api_key=api_key or settings.ANTHROPIC_API_KEY,
            timeout=settings.ANTHROPIC_TIMEOUT,
            max_retries=0,
            http_client=http_client,
        )
        self.sleep = sleep
        self.clock = clock
        # Claude's rate limits pass within the minute: a longer Retry-After is waited, capped.
        self.backoff = Backoff(
            retries=settings.ANTHROPIC_MAX_ATTEMPTS - 1,
            base=_FIRST_BACKOFF,
            cap=settings.ANTHROPIC_MAX_WAIT,
            long_waits="cap",
            sleep=sleep,
        )

    def send(self, params: dict) -> Reply:
        """One Messages request (see `json_request`), retried while retrying can help."""
        return _reply(self._call(self._client.messages.create, **params))

    def submit_batch(self, requests: dict[str, dict]) -> str:
        """Create a Message Batch of {custom_id: params}; returns its id."""
        batch = self._call(
            self._client.messages.batches.create,
            requests=[{"custom_id": key, "params": params} for key, params in requests.items()],
        )
        return batch.id

    def wait_for_batch(self, batch_id: str) -> bool:
        """Poll until the batch has ended; past ANTHROPIC_BATCH_WAIT cancel it, return False."""
        deadline = self.clock() + settings.ANTHROPIC_BATCH_WAIT
        while True:
            batch = self._call(self._client.messages.batches.retrieve, batch_id)
            if batch.processing_status == "ended":
                return True
            if self.clock() >= deadline:
                self._call(self._client.messages.batches.cancel, batch_id)
                return False
            self.sleep(settings.ANTHROPIC_BATCH_POLL)

    def batch_results(self, batch_id: str) -> dict[str, Reply | LLMError]:
        """Every entry of an ended batch by custom_id: a reply, or why there is none."""
        lines = self._call(lambda: list(self._client.messages.batches.results(batch_id)))
        results: dict[str, Reply | LLMError] = {}
        for line in lines:
            result = line.result
            if result.type == "succeeded":
                results[line.custom_id] = _reply(result.message)
            elif result.type == "errored":
                error = result.error.error
                results[line.custom_id] = LLMError(
                    f"{error.type}: {error.message}",
                    retryable=error.type in _RETRYABLE_KINDS,
                    kind=error.type,
                )
            else:  # expired after 24 hours, or canceled: the request itself was fine
                results[line.custom_id] = LLMError(
                    f"batch entry {result.type}", retryable=True, kind=result.type
                )
        return results

    def answers(
        self, requests: dict[str, dict], *, batch: bool
    ) -> tuple[dict[str, Reply | LLMError], LLMError | None]:
        """Each request's first answer by key, and the error that shows the API is down.

        With `batch`, all go through one Message Batch (an entry missing from its results is a
        retryable error; past ANTHROPIC_BATCH_WAIT every entry is a non-retryable one); else
        one request after another, and once the API is down the rest get its error unsent.
        """
        if not requests:
            return {}, None
        if batch:
            try:
                batch_id = self.submit_batch(requests)
                ended = self.wait_for_batch(batch_id)
                results = self.batch_results(batch_id) if ended else {}
            except LLMError as error:
                return dict.fromkeys(requests, error), error
            if not ended:
                timeout = LLMError(
                    f"batch {batch_id} did not end within {settings.ANTHROPIC_BATCH_WAIT} s",
                    retryable=False,
                    kind="batch_timeout",
                )
                return dict.fromkeys(requests, timeout), None
            missing = LLMError("no result in the batch", retryable=True, kind="missing")
            return {key: results.get(key, missing) for key in requests}, None

        answers: dict[str, Reply | LLMError] = {}
        down = None
        for key, params in requests.items():
            if down:
                answers[key] = down
                continue
            try:
                answers[key] = self.send(params)
            except LLMError as error:
                answers[key] = error
                down = None if error.about_this_request else error
        return answers, down

    def _call(self, method, *args, **kwargs):
        import anthropic

        def attempt():
            try:
                return method(*args, **kwargs)
            except anthropic.AnthropicError as exc:
                raise _classify(exc) from exc

        return self.backoff.call(attempt, "Claude")


def _classify(exc: "anthropic.AnthropicError") -> LLMError:
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return LLMError("request timed out", retryable=True, kind="timeout")
    if isinstance(exc, anthropic.APIConnectionError):
        return LLMError(f"connection failed: {exc}", retryable=True, kind="connection")
    if isinstance(exc, anthropic.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error") or {}
        kind = error.get("type", "")
        retry_after = exc.response.headers.get("retry-after")
        return LLMError(
            f"HTTP {exc.status_code} {kind}: {error.get('message', exc.message)}",
            retryable=exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500,
            kind=kind,
            status=exc.status_code,
            retry_after=parse_retry_after(retry_after),
        )
    return LLMError(str(exc), retryable=False)


def _reply(message) -> Reply:
    usage = Usage(
        input_tokens=message.usage.input_tokens,
        output_tokens=message.usage.output_tokens,
        cache_creation_input_tokens=message.usage.cache_creation_input_tokens or 0,
        cache_read_input_tokens=message.usage.cache_read_input_tokens or 0,
    )
    # Thinking blocks come first and are not the answer; the JSON is in the text blocks.
    text = "".join(block.text for block in message.content if block.type == "text")
    data, problem = None, ""
    if message.stop_reason == "refusal":
        problem = "the model refused to answer"
    elif message.stop_reason == "max_tokens":
        problem = "the reply was cut off at max_tokens: write shorter items"
    else:
        try:
            data = json.loads(text)
        except ValueError:
            problem = "the reply is not valid JSON"
    return Reply(data, text, usage, message.id, message.stop_reason or "", problem)
