"""One retry policy for everything that calls an outside service or retries a task.

`Backoff` retries what fails with an error whose `retryable` is true (the adapters' and the
Claude client's errors say so), waiting the time the service asked for (`retry_after`) or an
exponential backoff with jitter: the n-th wait is drawn from [d/2, d], d = min(cap, base * 2**n).
A service that asks for longer than `cap` is either taken at its word that retrying is
pointless for now (`long_waits="give_up"`, the HTTP sources) or waited on for `cap` at most
(`"cap"`, Claude, whose rate limits pass within the minute). `sleep` and `jitter` are
injectable so tests never wait.
"""

import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Backoff:
    retries: int = 4  # tries after the first
    base: float = 5.0
    cap: float = 120.0
    long_waits: Literal["give_up", "cap"] = "give_up"
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    # After the last try the error is raised as it is, or as `gave_up(what, error, tries)`.
    gave_up: Callable[[str, Exception, int], Exception] | None = None

    def call(self, fetch: Callable[[], T], what: str) -> T:
        """`fetch()`, retried while its error is retryable."""
        attempt = 0
        while True:
            try:
                return fetch()
            except Exception as exc:
                if not getattr(exc, "retryable", False):
                    raise
                wait = self.wait(attempt, getattr(exc, "retry_after", None))
                if attempt >= self.retries or wait is None:
                    if self.gave_up is None:
                        raise
                    raise self.gave_up(what, exc, attempt + 1) from exc
                log.warning("%s: %s; retry %d in %.1f s", what, exc, attempt + 1, wait)
                self.sleep(wait)
                attempt += 1

    def wait(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds before try `attempt + 2`; None when retrying is pointless."""
        if retry_after is not None:
            if retry_after <= self.cap:
                return retry_after
            return self.cap if self.long_waits == "cap" else None
        ceiling = min(self.cap, self.base * 2**attempt)
        return ceiling / 2 + self.jitter() * ceiling / 2


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """A Retry-After header in seconds: either form (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # "-0000": UTC, by RFC 5322
        moment = moment.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (moment - now).total_seconds())
