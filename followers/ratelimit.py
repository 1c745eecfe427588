"""Rate limits on Django's cache: the subscription form per IP and per address, and the sending
rate shared by every worker.

Counters are fixed windows (`cache.add` then `cache.incr`): atomic on Redis (CACHE_URL, as in
production); the file cache of the demo counts approximately under concurrency. Addresses are
counted by a hash, so the cache never holds one.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

PREFIX = "followers:rate"


def _hit(key: str, window: int) -> int:
    """Count one hit on `key` in the current `window` seconds; the count so far."""
    slot = int(time.time() // window)
    full = f"{PREFIX}:{key}:{slot}"
    if cache.add(full, 1, timeout=window + 1):
        return 1
    try:
        return cache.incr(full)
    except ValueError:  # expired between add and incr
        cache.add(full, 1, timeout=window + 1)
        return 1


def address_key(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:24]


def allow_ip(ip: str) -> bool:
    """Subscription requests from one IP address: FOLLOWERS_RATE_PER_IP an hour."""
    return _hit(f"ip:{ip}", 3600) <= settings.FOLLOWERS_RATE_PER_IP


def allow_address(email: str) -> bool:
    """Mails a subscription request may cause to one address: FOLLOWERS_RATE_PER_ADDRESS a day."""
    return _hit(f"address:{address_key(email)}", 86400) <= settings.FOLLOWERS_RATE_PER_ADDRESS


def client_ip(request) -> str:
    """The client's address as the WSGI server saw it (put a proxy's header in REMOTE_ADDR
    with the proxy, not here: a header the client sets would let it pick its own bucket)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


class SendRate:
    """At most FOLLOWERS_SEND_RATE messages a second across every worker (0: no limit).

    `wait()` before each message: it takes a slot in the current second, or sleeps until the
    next second when they are taken."""

    def __init__(self, per_second: int | None = None, sleep=time.sleep):
        self.per_second = settings.FOLLOWERS_SEND_RATE if per_second is None else per_second
        self.sleep = sleep

    def wait(self) -> None:
        if self.per_second <= 0:
            return
        while True:
            now = time.time()
            slot = int(now)
            key = f"{PREFIX}:send:{slot}"
            if cache.add(key, 1, timeout=5):
                return
            try:
                if cache.incr(key) <= self.per_second:
                    return
            except ValueError:
                continue
            self.sleep(max(0.0, slot + 1 - now))
