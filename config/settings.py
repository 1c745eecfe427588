"""Settings, all from the environment (see .env.example); SQLite under var/ by default.

One file on purpose, however long: every setting of every app is read here, from one place
(the style guide's "one settings.py"), so an operator finds each in the same file.
"""

import hashlib
import os
from decimal import Decimal
from pathlib import Path

import dj_database_url
import plotly
from django.core.exceptions import ImproperlyConfigured

from config.security import injected_style_hashes

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY") or ("insecure-development-key" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_celery_beat",
    "papers",
    "summaries",
    "digest",
    "reader",
    "ninja",
    "followers",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag/Last-Modified -> 304 Not Modified, for every page.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The reader's explicit choice (set_language's cookie), never Accept-Language.
    "reader.middleware.ChosenLanguageMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy (below) and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "config.security.PermissionsPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rendered reader pages (reader/pagecache.py). Every process that publishes must share the cache
# with the web processes: a file cache on one host, Redis (CACHE_URL=redis://…) across hosts.
# Keys are prefixed by the database they were rendered from. With Redis unreachable, pages are
# rendered uncached and saves go through; the cache is tried again every CACHE_RETRY_AFTER
# seconds and used again as soon as it answers (common/cache.py).
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": {
        "BACKEND": "common.cache.ResilientRedisCache",
        "LOCATION": CACHE_URL,
        "RETRY_AFTER": float(os.environ.get("CACHE_RETRY_AFTER") or 5),
    }
    if CACHE_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": BASE_DIR / "var" / "cache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}
_database_name = str(DATABASES["default"]["NAME"]).encode()
CACHES["default"]["KEY_PREFIX"] = hashlib.sha1(_database_name).hexdigest()[:8]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Content-Security-Policy (django-csp): every script, style, image and font from this site, no
# inline script, no plugin, no framing, forms posting here only. Plotly (static/js/chart.js
# draws it from the page's json_script data) adds its rules through an *empty* <style> element
# it fills with insertRule, allowed by the hash of the empty string, and MapLibre's stylesheet
# as a <style> element, allowed by the hash of its text; no other <style>. Style attributes
# are allowed (Plotly sets them on the chart's elements; the day page colours its category
# swatches with one); inline script is not.
# Images also come as data: URIs (Plotly's mode bar). tests/browser/test_csp_in_chromium.py
# checks the charts render without a violation.
EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": [
            "'self'",
            EMPTY_STYLE,
            *injected_style_hashes(Path(plotly.__file__).parent / "package_data/plotly.min.js"),
        ],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Powerful browser features the site never uses, refused to it and to anything it embeds.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "browsing-topics=()"
)
# The admin's login lands on the admin, never on Django's default /accounts/profile/ (a 404).
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# The UI is Korean; English is the reader's choice (the language switch posts to set_language,
# reader.middleware reads its cookie). Times are stored in UTC and shown in Seoul time.
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# The language switch's cookie: kept a year, sent with top-level navigation only, never read
# by scripts, and only over HTTPS in production (below).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "Asia/Seoul"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "var" / "static")
# Files the app writes itself: cached chart images (digest/chart_image.py), served by views.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "var" / "media")
# plotly.js is served from the installed plotly package, so its version is pinned by the lock file.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/plotly", Path(plotly.__file__).resolve().parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
# Only the chord that summarises a day's categories in parallel reads results; Redis joins
# chords natively (no polling), and results expire after a day.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 30 * 60)
# The soft limit lets a stage record why it stopped before the hard limit ends its process.
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 60, CELERY_TASK_TIME_LIMIT * 9 // 10)
# Redis delivers an unacknowledged task again once this has passed (its worker is presumed dead).
# Longer than the time limit, so a task still running is never delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 2 * CELERY_TASK_TIME_LIMIT),
    "socket_connect_timeout": 3,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis, with workers that ride out its restart while they run a task (config/redis_transport.py).
CELERY_BROKER_TRANSPORT = "config.redis_transport:Transport"
# Sending fails within about a second when the broker is down, so a trigger can say so.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
# Workers log through LOGGING below, like the web processes.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

ANTHROPIC_API_KEY = os.environ.get("ANTHROPIC_API_KEY", "")
# Claude (summaries/llm.py). Structured outputs, no forced tool: Sonnet 5.5 refuses tool_choice.
ANTHROPIC_SUMMARY_MODEL = os.environ.get("ANTHROPIC_SUMMARY_MODEL", "claude-sonnet-5-5")
ANTHROPIC_CLASSIFY_MODEL = os.environ.get("ANTHROPIC_CLASSIFY_MODEL", "claude-haiku-5-5")
# USD per million tokens (platform.claude.com pricing, October 2026): base input, output,
# 5-minute cache write, cache read. The Message Batches API halves every one of them.
ANTHROPIC_PRICES = {
    "claude-sonnet-5-5": {
        "input": Decimal("2.00"),
        "output": Decimal("10.00"),
        "cache_write": Decimal("2.50"),
        "cache_read": Decimal("0.10"),
    },
    # Prompts up to 100,000 tokens; longer ones cost five times as much.
    "claude-haiku-5-5": {
        "input": Decimal("0.10"),
        "output": Decimal("0.50"),
        "cache_write": Decimal("0.125"),
        "cache_read": Decimal("0.01"),
    },
}
ANTHROPIC_EFFORT = os.environ.get("ANTHROPIC_EFFORT", "low")  # thinking is billed as output
ANTHROPIC_SUMMARY_MAX_TOKENS = envint("ANTHROPIC_SUMMARY_MAX_TOKENS", 8000)
ANTHROPIC_TIMEOUT = envint("ANTHROPIC_TIMEOUT", 120)  # seconds per HTTP request
ANTHROPIC_MAX_ATTEMPTS = envint("ANTHROPIC_MAX_ATTEMPTS", 3)  # per request, for retryable errors
ANTHROPIC_MAX_WAIT = envint("ANTHROPIC_MAX_WAIT", 60)  # longest pause between two attempts
ANTHROPIC_BATCH = envbool("ANTHROPIC_BATCH", True)  # the daily run through Message Batches
ANTHROPIC_BATCH_POLL = envint("ANTHROPIC_BATCH_POLL", 30)  # seconds between status checks
# How long the summarise stage waits for a batch before it cancels it and falls back offline;
# it must stay under the stage timeout.
ANTHROPIC_BATCH_WAIT = envint("ANTHROPIC_BATCH_WAIT", 20 * 60)
# The papers' one-line TL;DRs (summaries/briefs.py): a small model, this many papers a request.
ANTHROPIC_BRIEF_MODEL = os.environ.get("ANTHROPIC_BRIEF_MODEL", "claude-haiku-5-5")
ANTHROPIC_BRIEF_CHUNK = envint("ANTHROPIC_BRIEF_CHUNK", 25)
if ANTHROPIC_BRIEF_CHUNK < 1:
    raise ImproperlyConfigured("ANTHROPIC_BRIEF_CHUNK must be at least 1.")

# The digest: where bundled real days live, the summaries' default language, how many papers
# each category summary features, and how long a pipeline stage may hold its claim.
DIGEST_DATA_DIR = Path(os.environ.get("DIGEST_DATA_DIR") or BASE_DIR / "data" / "days")
DIGEST_LANGUAGE = os.environ.get("DIGEST_LANGUAGE", "ko")
if DIGEST_LANGUAGE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"DIGEST_LANGUAGE must be one of {sorted(dict(LANGUAGES))}.")
# Languages the summarise stage writes (the day page serves each reader's language when stored).
DIGEST_LANGUAGES = envlist("DIGEST_LANGUAGES", DIGEST_LANGUAGE)
if not set(DIGEST_LANGUAGES) <= set(dict(LANGUAGES)):
    raise ImproperlyConfigured(f"DIGEST_LANGUAGES must be among {sorted(dict(LANGUAGES))}.")
DIGEST_FEATURED_PAPERS = envint("DIGEST_FEATURED_PAPERS", 10)
DIGEST_STAGE_TIMEOUT = envint("DIGEST_STAGE_TIMEOUT", CELERY_TASK_TIME_LIMIT)
# How many recent announcement days the scheduled retry pass resumes when they did not finish.
DIGEST_RESUME_DAYS = envint("DIGEST_RESUME_DAYS", 3)
# The local classifier (papers/classifiers/local.py): the folder of its versioned artefacts
# (train_classifier adds one), and the confidence below which a machine decision goes to the
# editors' review queue in the admin.
DIGEST_CLASSIFIER_DIR = Path(
    os.environ.get("DIGEST_CLASSIFIER_DIR") or BASE_DIR / "papers" / "classifiers" / "models"
)
DIGEST_REVIEW_BELOW = float(os.environ.get("DIGEST_REVIEW_BELOW") or 0.6)
if not 0 <= DIGEST_REVIEW_BELOW <= 1:
    raise ImproperlyConfigured("DIGEST_REVIEW_BELOW must be between 0 and 1.")
# Claude as the classifier for the hard cases (papers/classifiers/claude.py), with a key:
# with DIGEST_CLAUDE_CLASSIFY=unsure, machine decisions less confident than this go to
# ANTHROPIC_CLASSIFY_MODEL, ANTHROPIC_CLASSIFY_CHUNK papers a request.
ANTHROPIC_CLASSIFY_BELOW = float(os.environ.get("ANTHROPIC_CLASSIFY_BELOW") or DIGEST_REVIEW_BELOW)
if not 0 <= ANTHROPIC_CLASSIFY_BELOW <= 1:
    raise ImproperlyConfigured("ANTHROPIC_CLASSIFY_BELOW must be between 0 and 1.")
ANTHROPIC_CLASSIFY_CHUNK = envint("ANTHROPIC_CLASSIFY_CHUNK", 50)
if ANTHROPIC_CLASSIFY_CHUNK < 1:
    raise ImproperlyConfigured("ANTHROPIC_CLASSIFY_CHUNK must be at least 1.")
# Which papers Claude decides when ANTHROPIC_API_KEY is set: "all" (the default: every paper
# an editor has not decided, the local model being the first pass, the fallback on any error
# and the review queue's confidence) or "unsure" (only those below ANTHROPIC_CLASSIFY_BELOW).
# docs/classifier.md has the cost of each.
DIGEST_CLAUDE_CLASSIFY = (os.environ.get("DIGEST_CLAUDE_CLASSIFY") or "all").strip().lower()
if DIGEST_CLAUDE_CLASSIFY not in {"all", "unsure"}:
    raise ImproperlyConfigured("DIGEST_CLAUDE_CLASSIFY must be 'all' or 'unsure'.")

# Where the ingest stage reads a day (digest/ingest.py): "bundled" reads data/days offline (the
# demo); "arxiv" reads arXiv's announcement listing and API, and Hugging Face Daily Papers.
DIGEST_SOURCE = os.environ.get("DIGEST_SOURCE") or "bundled"
if DIGEST_SOURCE not in {"bundled", "arxiv"}:
    raise ImproperlyConfigured("DIGEST_SOURCE must be 'bundled' or 'arxiv'.")
DIGEST_ARXIV_CATEGORIES = envlist(
    "DIGEST_ARXIV_CATEGORIES",
    "cs.AI,cs.CL,cs.CV,cs.LG,cs.MA,cs.NE,cs.RO,cs.IR,cs.SD,eess.AS,eess.IV,stat.ML",
)
# Announcement (listing) dates without one besides weekends: arXiv's holidays, as YYYY-MM-DD.
DIGEST_ARXIV_HOLIDAYS = envlist(
    "DIGEST_ARXIV_HOLIDAYS", "2024-12-25,2025-01-01,2025-12-25,2025-12-31,2026-01-01"
)
# Outside requests: who we are (arXiv asks for a contact), seconds between two arXiv requests
# (its terms allow one every 3 s), the timeout of each request, and bounded retries with
# exponential backoff (first wait, longest wait).
DIGEST_USER_AGENT = (
    os.environ.get("DIGEST_USER_AGENT")
    or "DailyAIInsights/0.1 (daily digest of new arXiv AI papers)"
)
DIGEST_ARXIV_INTERVAL = envint("DIGEST_ARXIV_INTERVAL", 3)
if DIGEST_ARXIV_INTERVAL < 3:
    raise ImproperlyConfigured("DIGEST_ARXIV_INTERVAL: arXiv allows one request every 3 s.")
DIGEST_HTTP_TIMEOUT = envint("DIGEST_HTTP_TIMEOUT", 30)
DIGEST_HTTP_RETRIES = envint("DIGEST_HTTP_RETRIES", 4)
DIGEST_HTTP_BACKOFF = envint("DIGEST_HTTP_BACKOFF", 5)
DIGEST_HTTP_MAX_WAIT = envint("DIGEST_HTTP_MAX_WAIT", 120)

# Followers (followers/): mail through SMTP (Django's EMAIL_* settings; Mailpit in
# docker-compose.yml, any SMTP server in production), the site's address for the links in the
# mails, and the limits. README "Followers" lists them.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = envint("EMAIL_PORT", 1025)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
FOLLOWERS_FROM = os.environ.get("FOLLOWERS_FROM") or "Daily AI Insights <digest@localhost>"
DEFAULT_FROM_EMAIL = SERVER_EMAIL = FOLLOWERS_FROM
FOLLOWERS_SITE_URL = os.environ.get("FOLLOWERS_SITE_URL") or "http://127.0.0.1:8000"
FOLLOWERS_CONFIRM_DAYS = envint("FOLLOWERS_CONFIRM_DAYS", 7)  # then an unconfirmed one is deleted
FOLLOWERS_RATE_PER_IP = envint("FOLLOWERS_RATE_PER_IP", 20)  # subscription requests an hour
FOLLOWERS_RATE_PER_ADDRESS = envint("FOLLOWERS_RATE_PER_ADDRESS", 3)  # mails a day it may cause
FOLLOWERS_SEND_RATE = envint("FOLLOWERS_SEND_RATE", 50)  # messages a second, all workers; 0: off
FOLLOWERS_CHUNK = envint("FOLLOWERS_CHUNK", 200)  # subscribers a sending task
FOLLOWERS_MAX_PAPERS = envint("FOLLOWERS_MAX_PAPERS", 30)  # papers a mail lists per day
FOLLOWERS_SMTP_RETRIES = envint("FOLLOWERS_SMTP_RETRIES", 8)  # tries after a 4xx, with backoff
FOLLOWERS_SMTP_BACKOFF = envint("FOLLOWERS_SMTP_BACKOFF", 60)  # first wait (seconds)
FOLLOWERS_SMTP_BACKOFF_CAP = envint("FOLLOWERS_SMTP_BACKOFF_CAP", 3600)  # longest wait
FOLLOWERS_BOUNCE_DAYS = envint("FOLLOWERS_BOUNCE_DAYS", 0)  # 5xx for this long: failing
FOLLOWERS_SEND_WITHIN_HOURS = envint("FOLLOWERS_SEND_WITHIN_HOURS", 48)  # after publication
FOLLOWERS_SWEEP_DEFERRED_AFTER = envint("FOLLOWERS_SWEEP_DEFERRED_AFTER", 15 * 60)
# A delivery left "sending" longer than this was claimed by a worker that died: sent again.
FOLLOWERS_SENDING_LEASE = envint("FOLLOWERS_SENDING_LEASE", CELERY_TASK_TIME_LIMIT)

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Cookies only over HTTPS; SECURE_COOKIES=0 for a try-out over plain HTTP (.env.example).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE

# One JSON object per line in production (LOG_FORMAT=json), plain lines in development.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("LOG_FORMAT") or ("plain" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
