"""A Redis cache that an outage degrades to no cache, instead of failing whoever uses it.

Django's RedisCache raises redis' ConnectionError from every call while its server is down, so
a cache outage would answer every cached page with a 500 and roll back every save whose signal
touches the cache. Here an unreachable server makes reads miss and writes do nothing: pages are
rendered uncached and saves go through. The outage is logged once, at ERROR, and for
RETRY_AFTER seconds (a `CACHES` entry's "RETRY_AFTER", default 5) calls do not even try the
server, so a request never waits for it twice; the next call after that tries again, and once
the server answers the cache is used again by itself (logged at WARNING).

The state is shared by every thread's instance of the same cache (Django makes one per thread).
`outage(alias)` tells callers that need to know (the health endpoint) whether the cache is
currently down, and why; `on_recovery(callback)` has `callback()` called whenever a server
answers again after an outage (the page cache then starts a new generation, since writes made
meanwhile could not invalidate it).

Writes that could not reach the server return False (Django's own `set` returns None).
"""

import logging
import threading
import time
from dataclasses import dataclass, field

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)
RETRY_AFTER = 5.0  # seconds an unreachable server is left alone before the next try
# One immediate retry: a pooled connection that the server's restart closed fails once, then
# reconnects. redis-py's default (3 retries with backoff) made every call wait 1.5 s while down.
CONNECTION_OPTIONS = {
    "retry": Retry(NoBackoff(), 1),
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
}


@dataclass
class Outage:
    """Since when (monotonic) a server has been unreachable, the last error, the next try."""

    since: float | None = None
    error: str = ""
    retry_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def down(self) -> bool:
        return self.since is not None


_outages: dict[tuple, Outage] = {}
_outages_lock = threading.Lock()
_recovery_callbacks: list = []


def on_recovery(callback) -> None:
    """Call `callback()` each time a cache answers again after an outage."""
    if callback not in _recovery_callbacks:
        _recovery_callbacks.append(callback)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._options = CONNECTION_OPTIONS | self._options
        self.retry_after = float(params.get("RETRY_AFTER", RETRY_AFTER))
        with _outages_lock:
            self.outage = _outages.setdefault(tuple(self._servers), Outage())

    def _guarded(self, failed, call, *args, **kwargs):
        """`call(...)`, or `failed` when the server is unreachable (or left alone for now)."""
        outage = self.outage
        if outage.down and time.monotonic() < outage.retry_at:
            return failed
        try:
            result = call(*args, **kwargs)
        except UNREACHABLE as exc:
            self._failed(exc)
            return failed
        if outage.down:
            self._recovered()
        return result

    def _failed(self, exc: Exception) -> None:
        outage, now = self.outage, time.monotonic()
        with outage.lock:
            first = not outage.down
            outage.since = outage.since if outage.down else now
            outage.error, outage.retry_at = f"{type(exc).__name__}: {exc}", now + self.retry_after
        if first:
            log.error(
                "The cache (%s) is unreachable: %s. Pages are served uncached; trying again "
                "every %.0f s.",
                ",".join(self._servers),
                outage.error,
                self.retry_after,
                extra={"cache": "down"},
            )

    def _recovered(self) -> None:
        outage = self.outage
        with outage.lock:
            if not outage.down:
                return
            seconds = time.monotonic() - outage.since
            outage.since, outage.error, outage.retry_at = None, "", 0.0
        log.warning(
            "The cache (%s) is reachable again after %.0f s.",
            ",".join(self._servers),
            seconds,
            extra={"cache": "up"},
        )
        for callback in _recovery_callbacks:
            callback()

    def add(self, *args, **kwargs):
        return self._guarded(False, super().add, *args, **kwargs)

    def get(self, key, default=None, version=None):
        return self._guarded(default, super().get, key, default, version)

    def set(self, *args, **kwargs):
        return self._guarded(False, self._set, *args, **kwargs)

    def _set(self, *args, **kwargs) -> bool:
        super().set(*args, **kwargs)
        return True

    def touch(self, *args, **kwargs):
        return self._guarded(False, super().touch, *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._guarded(False, super().delete, *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._guarded({}, super().get_many, *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._guarded(False, super().has_key, *args, **kwargs)

    def set_many(self, data, *args, **kwargs):
        return self._guarded(list(data), super().set_many, data, *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._guarded(None, super().delete_many, *args, **kwargs)

    def clear(self):
        return self._guarded(False, super().clear)


def outage(alias: str = "default") -> str | None:
    """Why the cache `alias` is down ("unreachable for 12 s: ConnectionError: …"), or None
    while it answers (and for caches other than ResilientRedisCache)."""
    state = getattr(caches[alias], "outage", None)
    if state is None or not state.down:
        return None
    return f"unreachable for {time.monotonic() - state.since:.0f} s: {state.error}"
