"""Rendered reader pages, cached until anything they show changes.

Every key carries the current *generation*, a random token replaced whenever a digest, paper,
summary or category is saved or deleted (by the pipeline, a Celery worker or the admin). One
write therefore invalidates every cached page at once, pages are rebuilt lazily on their next
visit, and since tokens are random a cleared or evicted cache can never bring back a stale page.
Keys also carry the release (a fingerprint of the templates, translations and this app's code),
so a deploy never serves pages rendered by the previous one. The cache must be shared by every
process that writes (see CACHES in settings).

Each process also keeps the pages it served last and the generation it last read, for at most
GENERATION_TTL: a cached day page then costs no round trip to the shared cache, and another
process's write shows here within that second (a write in this process, at once).

While the shared cache is down (common.cache degrades it to misses), there is no generation to
trust: pages are rendered for each request and kept nowhere, since no process could tell the
others that it changed something. A new generation is started when an invalidation could not
be sent (again every few seconds, until it is) and whenever the cache answers again after an
outage, so a write made during the outage can never leave a stale page behind. A write inside
a transaction starts another generation once it commits, so a page rendered meanwhile from the
old data is never kept under the new generation.
"""

import gzip
import hashlib
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from functools import cache as once
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

from common import cache as resilient_cache
from digest.signals import popularity_refreshed
from papers.signals import papers_moved

GENERATION_KEY = "pages:generation"
PAGE_TIMEOUT = 24 * 60 * 60  # a safety net for writes that bypass signals (queryset.update)
RENDERING_FILES = {".html", ".txt", ".mo", ".py"}
GENERATION_TTL = 1.0  # seconds this process trusts the generation it last read
LOCAL_PAGES = 32  # pages this process keeps (a day page is ~100 KB gzipped)
RESEND_EVERY = 5.0  # seconds between tries to send an invalidation the cache did not take
ACCEPTS_GZIP = re.compile(r"\bgzip\b")

_lock = threading.Lock()
_seen = {"token": "", "at": -GENERATION_TTL}
_local: OrderedDict = OrderedDict()
_resending = threading.Event()


def generation() -> str | None:
    """The current generation; None while the shared cache cannot be reached."""
    if time.monotonic() - _seen["at"] < GENERATION_TTL:
        return _seen["token"]
    asked = time.monotonic()
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        token = cache.get(GENERATION_KEY)
    if _seen["at"] >= asked:  # the cache came back meanwhile and a new generation was started
        return _seen["token"]
    _seen.update(token=token, at=time.monotonic())
    return token


def invalidate(**kwargs) -> None:
    """Signal receiver: start a new generation now, and again once the transaction commits."""
    _start_generation()
    connection = transaction.get_connection()
    if connection.in_atomic_block and not any(
        callback is _start_generation for _, callback, _ in connection.run_on_commit
    ):  # once per transaction, however many rows it saves
        transaction.on_commit(_start_generation)


def _start_generation() -> None:
    token = uuid.uuid4().hex
    _seen.update(token=token, at=time.monotonic())
    if cache.set(GENERATION_KEY, token, timeout=None) is False:  # common.cache: unreachable
        _resend_later()


def _resend_later() -> None:
    """Try again every RESEND_EVERY seconds until the cache takes a new generation."""
    with _lock:
        if _resending.is_set():
            return
        _resending.set()

    def resend():
        try:
            while True:
                time.sleep(RESEND_EVERY)
                token = uuid.uuid4().hex
                if cache.set(GENERATION_KEY, token, timeout=None) is not False:
                    _seen.update(token=token, at=time.monotonic())
                    return
        finally:
            _resending.clear()

    threading.Thread(target=resend, name="pagecache-resend", daemon=True).start()


@once
def release() -> str:
    """A fingerprint of what renders pages: files under templates/ and locale/, and reader/."""
    roots = [settings.BASE_DIR / d for d in ("templates", "locale")] + [Path(__file__).parent]
    files = sorted(f for root in roots for f in root.rglob("*") if f.suffix in RENDERING_FILES)
    fingerprint = hashlib.sha1()
    for path in files:
        fingerprint.update(f"{path}:{path.stat().st_mtime_ns}:{path.stat().st_size}".encode())
    return fingerprint.hexdigest()[:12]


def cached(name: str, build: Callable[[], object]):
    """`build()`'s result under `name` for the current generation, building it on a miss; built
    every time while the shared cache is down."""
    token = generation()
    if token is None:
        return build()
    key = "pages:" + hashlib.sha1(f"{release()}:{token}:{name}".encode()).hexdigest()
    with _lock:
        value = _local.get(key)
        if value is not None:
            _local.move_to_end(key)
            return value
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=PAGE_TIMEOUT)
    with _lock:
        _local[key] = value
        while len(_local) > LOCAL_PAGES:
            _local.popitem(last=False)
    return value


def page(content: bytes, *, etag: str = "", last_modified: str | None = None) -> dict:
    """What `cached` keeps of a rendered page: its body compressed once, for every reader who
    takes gzip (nearly all), and its validators (the ETag defaults to the content's hash)."""
    return {
        "gzip": gzip.compress(content, compresslevel=5, mtime=0),
        "etag": etag or hashlib.sha1(content).hexdigest(),
        "last_modified": last_modified,
    }


def response(request, page: dict, content_type: str | None = None) -> HttpResponse:
    """A `page` for this request: gzipped if the client takes it, with its validators."""
    if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
        served = HttpResponse(page["gzip"], content_type=content_type)
        served["Content-Encoding"] = "gzip"
        served["ETag"] = f'W/"{page["etag"]}"'  # another representation, as GZipMiddleware does
    else:
        served = HttpResponse(gzip.decompress(page["gzip"]), content_type=content_type)
        served["ETag"] = f'"{page["etag"]}"'
    patch_vary_headers(served, ("Accept-Encoding",))
    if page["last_modified"]:
        served["Last-Modified"] = page["last_modified"]
    return served


def connect() -> None:
    """Called from DigestConfig.ready(), so workers and the admin invalidate too."""
    from digest.models import DailyDigest
    from papers.models import Category, Paper
    from summaries.models import CategorySummary, PaperBrief

    # An editor's TL;DR is saved one by one; the pipeline's bulk upserts are followed by its
    # save of the digest.
    for model in (DailyDigest, Paper, Category, CategorySummary, PaperBrief):
        post_save.connect(invalidate, sender=model, dispatch_uid=f"pagecache-save-{model}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"pagecache-delete-{model}")
    for through in (DailyDigest.papers.through, CategorySummary.papers.through):
        m2m_changed.connect(invalidate, sender=through, dispatch_uid=f"pagecache-m2m-{through}")
    # An editor's moves are written with bulk_update, which sends no post_save.
    papers_moved.connect(invalidate, dispatch_uid="pagecache-papers-moved")
    popularity_refreshed.connect(invalidate, dispatch_uid="pagecache-popularity-refreshed")
    resilient_cache.on_recovery(_start_generation)
