"""Settings, read from the environment only (every variable is listed in ``.env.example``).

``DATABASE_URL`` and ``REDIS_URL`` select the servers. Importing this module starts nothing: the
launcher (``make run``, ``make manage``) and the test session start the embedded servers of
``config.embedded`` when a URL is unset, and export it. Without them an unset ``DATABASE_URL``
means the embedded PostgreSQL if it runs, else a backend that refuses to connect and says why;
an unset ``REDIS_URL`` means the embedded Redis's socket.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from environs import Env

from config import embedded, fail_closed
from config.beat import beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent


# environs: a bad value (DEBUG=maybe, WEBHOOK_CONCURRENCY=eight) fails at start-up with an error
# that names the variable. A .env file beside manage.py, if there is one, fills in what the
# environment leaves unset (.env.example lists every variable).
env = Env()
env.read_env(str(BASE_DIR / ".env"), recurse=False)

# Configuration fails closed. Only an explicit DEVELOPMENT=true (a development machine: `make
# run`, the tests and CI set it) lets the secrets and ALLOWED_HOSTS default; anywhere else each
# must be given, and start-up stops with an error naming every one that is missing or unfit
# (config.fail_closed). The HTTPS settings below are on unless DEVELOPMENT is set.
DEVELOPMENT = env.bool("DEVELOPMENT", False)
PRODUCTION = env.bool("PRODUCTION", False)
DEBUG = env.bool("DEBUG", False)
if DEVELOPMENT:
    # The secrets `make run` generated for this checkout (config.stack), so that a plain
    # manage.py command reads what the running stack wrote.
    env.read_env(str(embedded.local_dir() / embedded.DEVELOPMENT_SECRETS), recurse=False)
_problems: list[str] = []
if DEVELOPMENT and PRODUCTION:
    _problems.append("PRODUCTION and DEVELOPMENT are both set: unset one")
if DEBUG and not DEVELOPMENT:
    _problems.append("DEBUG needs DEVELOPMENT=true: its error pages show settings and source")
SECRET_KEY = env.str("SECRET_KEY", "") or (
    fail_closed.development_secret_key() if DEVELOPMENT else ""
)
_key_problem = fail_closed.secret_key_problem(SECRET_KEY, development=DEVELOPMENT, debug=DEBUG)
if _key_problem:
    _problems.append(_key_problem)
ALLOWED_HOSTS = [
    h.strip()
    for h in env.list("ALLOWED_HOSTS", ["*"] if DEVELOPMENT else [], subcast=str)
    if h.strip()
]
if not ALLOWED_HOSTS:
    _problems.append("ALLOWED_HOSTS must be set (comma-separated host names this site serves)")
elif "*" in ALLOWED_HOSTS and not DEVELOPMENT:
    _problems.append("ALLOWED_HOSTS=* is refused outside DEVELOPMENT: name the hosts")

# HTTPS only, outside development. SECURE_SSL_REDIRECT redirects plain HTTP (but /healthz, which
# load balancers probe over HTTP); behind a proxy that terminates TLS, set
# TRUST_X_FORWARDED_PROTO=true, and only if that proxy sets X-Forwarded-Proto itself and drops a
# client's. HSTS tells browsers to use HTTPS for a year, subdomains included.
SESSION_COOKIE_SECURE = not DEVELOPMENT
CSRF_COOKIE_SECURE = not DEVELOPMENT
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", not DEVELOPMENT)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("TRUST_X_FORWARDED_PROTO", False) else None
)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0 if DEVELOPMENT else 365 * 86400)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEVELOPMENT
SECURE_HSTS_PRELOAD = not DEVELOPMENT

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI's files, served from our own static files rather than a CDN (see below).
    "drf_spectacular_sidecar",
    # django-money: amounts people type (fee rules, thresholds) are MoneyFields.
    "djmoney",
    "core",
    "ledger",
    "compliance",
    "rails",
    "payouts",
    "webhooks",
    "api",
]

MIDDLEWARE = [
    "api.middleware.RequestIdMiddleware",
    # Before any middleware that may read a body (CSRF reads forms): api/body_limit.py.
    "api.body_limit.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# Two roles (core.db.roles): the application connects as DATABASE_URL's, which may read and write
# rows and nothing more; migrations connect as MIGRATION_DATABASE_URL's, the owner of the schema
# (the "owner" alias; `manage.py migrate` uses it). Give MIGRATION_DATABASE_URL only to what
# migrates (a release step), never to the web server or the workers. Unset, migrations use
# DATABASE_URL. With DATABASE_URL unset, both mean the embedded PostgreSQL if it runs.
DATABASE_URL = env.str("DATABASE_URL", "")
MIGRATION_DATABASE_URL = env.str("MIGRATION_DATABASE_URL", "")
if not DATABASE_URL:
    DATABASE_URL = embedded.running_database_url() or ""
    MIGRATION_DATABASE_URL = (
        MIGRATION_DATABASE_URL or embedded.running_database_url(owner=True) or ""
    )
DATABASES: dict[str, Any] = {
    "default": (
        dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
        if DATABASE_URL
        else {"ENGINE": "config.unset_database", "NAME": embedded.DATABASE_NAME}
    )
}
# The ledger's posting statement is prepared once per connection (Django's own queries use
# client-side binding and are never prepared). Its shape does not depend on the values bound,
# so one generic plan serves every call and saves re-planning it each time.
DATABASES["default"].setdefault("OPTIONS", {}).update(
    {"options": "-c plan_cache_mode=force_generic_plan", "prepare_threshold": 5}
)
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", "") or None}
MIGRATION_DATABASE_ALIAS = "owner" if MIGRATION_DATABASE_URL else "default"
if MIGRATION_DATABASE_URL:
    DATABASES["owner"] = dj_database_url.parse(MIGRATION_DATABASE_URL)
    # The same test database as the application's (the test session creates it as the owner).
    DATABASES["owner"]["TEST"] = {
        "NAME": DATABASES["default"]["TEST"]["NAME"] or f"test_{DATABASES['default']['NAME']}",
        "DEPENDENCIES": [],
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", "") or f"redis+socket://{embedded.redis_socket()}"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# collectstatic fills it (make run does); until then whitenoise warns that it is missing.
STATIC_ROOT = embedded.local_dir() / "static"

REST_FRAMEWORK: dict[str, object] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": 20,
    # Non-ASCII is escaped (\uXXXX): the same JSON to every client, and a lone surrogate quoted
    # back in an error message can still be rendered.
    "UNICODE_JSON": False,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS: dict[str, object] = {
    "TITLE": "Payouts API",
    "DESCRIPTION": (
        "Pay people in many countries, currencies and methods. Authenticate with "
        "`Authorization: Bearer <api key>`. Amounts are decimal strings with an ISO 4217 "
        "currency. Every POST takes an `Idempotency-Key`. Errors are RFC 9457 problems "
        "(`application/problem+json`) with a stable `code`."
    ),
    "VERSION": "1.0.0",
    "CONTACT": {"name": "Payouts platform maintainers"},
    "LICENSE": {"name": "Proprietary"},
    "SERVERS": [{"url": "http://127.0.0.1:8000", "description": "The stack `make run` starts"}],
    # One per tag the operations use (api.views.*: TAGS), in the order a platform meets them.
    "TAGS": [
        {"name": "Payees", "description": "The people and businesses a platform pays."},
        {
            "name": "Payout methods",
            "description": "Where a payee is paid: bank accounts, wallets, cards, PIX keys... "
            "Sensitive values are stored encrypted and never shown back: only their last 4.",
        },
        {
            "name": "Fundings",
            "description": "Money into the platform's own balance, and that balance per currency.",
        },
        {
            "name": "Earnings",
            "description": "Money from the platform's balance onto a payee's available balance.",
        },
        {
            "name": "Payouts",
            "description": "Money from a payee's balance out to one of its payout methods over a "
            "rail, and every status it goes through.",
        },
        {
            "name": "Payout batches",
            "description": "Many payouts at once, from JSON or a CSV file: checked item by item, "
            "quoted per currency, approved by another key past the platform's threshold.",
        },
        {
            "name": "Ledger",
            "description": "The platform's own double-entry book, read-only: accounts with their "
            "balances, statements and journal entries with their postings.",
        },
        {
            "name": "Webhook endpoints",
            "description": "The URLs events are delivered to, signed with each endpoint's secret.",
        },
        {
            "name": "Events",
            "description": "What happened to the platform's objects, in order per object, and "
            "their redelivery.",
        },
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads Swagger UI from drf-spectacular-sidecar's static files: the version the
    # lock pins, never a CDN's latest.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.nullable_types",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PayoutStatusEnum": "payouts.lifecycle.rules.PayoutStatus",
        "WebhookEndpointStatusEnum": "webhooks.models.EndpointStatus",
        "PayeeStatusEnum": "payouts.payees.models.PayeeStatus",
        "PayoutMethodStatusEnum": "payouts.payees.models.MethodStatus",
        "BatchStatusEnum": "payouts.batches.models.BatchStatus",
        "BatchItemStatusEnum": "payouts.batches.models.ItemStatus",
        "FundingStatusEnum": "payouts.funds.models.FundingStatus",
    },
}
# A batch's CSV may come as a raw text/csv body of up to 5 MB (api.views.batches).
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
# Requests per second per API key (0: no limit); past it, 429 with Retry-After.
API_RATE_LIMIT_PER_S = env.int("API_RATE_LIMIT_PER_S", 100)
# Failed API authentications per client address per minute (0: no limit); past it, 429.
API_AUTH_FAILURES_PER_MIN = env.int("API_AUTH_FAILURES_PER_MIN", 20)
# How long a request waits for a concurrent one with the same Idempotency-Key before a 409.
IDEMPOTENCY_WAIT_S = env.float("IDEMPOTENCY_WAIT_S", 10)

# Celery: Redis broker, JSON only, late acks, explicit queues.
CELERY_BROKER_URL = REDIS_URL
# Results are kept (briefly) only for tasks that ask for them, such as ledger.verify's summary.
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_CREATE_MISSING_QUEUES = False
CELERY_TASK_ROUTES = {
    "ledger.*": {"queue": "ledger"},
    "payouts.*": {"queue": "payouts"},
    "webhooks.*": {"queue": "webhooks"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every task is interrupted (SoftTimeLimitExceeded) and then killed before the broker would
# think it lost and hand it to a second worker: soft < hard < visibility timeout. Work inside a
# task is budgeted well below the soft limit, and leased work outlives it (payouts.outbox).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", 660)
_VISIBILITY_S = env.int("CELERY_VISIBILITY_TIMEOUT_S", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _VISIBILITY_S}
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < _VISIBILITY_S:
    raise ImproperlyConfigured(
        "CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT_S"
        " must hold, or a running task could be handed to a second worker"
    )
CELERY_BEAT_SCHEDULE_FILENAME = str(embedded.local_dir() / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = beat_schedule(env)  # config/beat.py

# Sensitive payout-method values (account numbers, IBANs, card tokens, local-rail ids) are
# encrypted at rest with Fernet. FIELD_ENCRYPTION_KEYS holds comma-separated Fernet keys, newest
# first: the first encrypts, all of them decrypt, so a key can be rotated in (`manage.py
# rotate_encryption_keys`). Required outside DEVELOPMENT; there, a key derived from SECRET_KEY is
# used when it is unset.
FIELD_ENCRYPTION_KEYS = [
    k.strip() for k in env.list("FIELD_ENCRYPTION_KEYS", [], subcast=str) if k.strip()
]
if not FIELD_ENCRYPTION_KEYS and not DEVELOPMENT:
    _problems.append("FIELD_ENCRYPTION_KEYS must be set (Fernet keys, newest first)")
_problems.extend(fail_closed.fernet_key_problems(FIELD_ENCRYPTION_KEYS))

# The sandbox provider: the far side of the wallet, card and local rails, served over HTTP by
# `python -m sandbox` (make run starts it). Our adapter reaches it at SANDBOX_URL with
# SANDBOX_API_KEY; it signs its callbacks to /callbacks/sandbox with SANDBOX_WEBHOOK_SECRET.
# Under DEVELOPMENT the secrets default to the sandbox's own; elsewhere they are required.
SANDBOX_URL = env.str("SANDBOX_URL", "http://127.0.0.1:8100")
SANDBOX_API_KEY = env.str("SANDBOX_API_KEY", "sk_sandbox_test" if DEVELOPMENT else "")
_sandbox_secret = "whsec_sandbox_test" if DEVELOPMENT else ""
SANDBOX_WEBHOOK_SECRET = env.str("SANDBOX_WEBHOOK_SECRET", _sandbox_secret)
_problems.extend(
    f"{name} must be set"
    for name, value in (
        ("SANDBOX_API_KEY", SANDBOX_API_KEY),
        ("SANDBOX_WEBHOOK_SECRET", SANDBOX_WEBHOOK_SECRET),
    )
    if not value
)
fail_closed.refuse(_problems)
# How long a worker's claim on outbox work lasts: past it, the sweeper hands the work (an
# attempt whose outcome was never recorded, say) to another worker.
PAYOUTS_OUTBOX_LEASE_S = env.float("PAYOUTS_OUTBOX_LEASE_S", 60)
# An accepted attempt with no news for this long makes the sweeper read the provider's event feed.
PAYOUTS_POLL_AFTER_S = env.float("PAYOUTS_POLL_AFTER_S", 60)
PROVIDER_TIMEOUT_S = env.float("PROVIDER_TIMEOUT_S", 5)
# Outbox work failing this often is set aside with an operations exception, not retried forever.
PAYOUTS_OUTBOX_MAX_TRIES = env.int("PAYOUTS_OUTBOX_MAX_TRIES", 12)
# An accepted attempt quiet for 3 days is polled no more: it opens a `no_answer` exception.
PAYOUTS_GIVE_UP_AFTER_S = env.float("PAYOUTS_GIVE_UP_AFTER_S", 3 * 24 * 3600)
# Processed outbox rows are deleted after this many days (rows set aside are kept).
PAYOUTS_OUTBOX_RETENTION_DAYS = env.int("PAYOUTS_OUTBOX_RETENTION_DAYS", 7)

# Webhooks (docs/webhooks.md). Each step of a POST (connecting, each read) may take
# WEBHOOK_TIMEOUT_S, and the whole POST, however its answer trickles in,
# WEBHOOK_DELIVERY_DEADLINE_S. A failed delivery is retried after WEBHOOK_RETRY_BASE_S, doubling
# each time up to WEBHOOK_RETRY_MAX_DELAY_S (with jitter), until WEBHOOK_RETRY_WINDOW_S after it
# was created; then it is marked failed. An endpoint whose attempts fail
# WEBHOOK_DISABLE_AFTER_FAILURES times in a row (any 2xx resets the count) with no success for
# WEBHOOK_DISABLE_AFTER_S is disabled. A worker POSTs up to WEBHOOK_CONCURRENCY deliveries at a
# time. Webhook tasks run on their own queue and workers (config/stack.py WORKERS).
WEBHOOK_TIMEOUT_S = env.float("WEBHOOK_TIMEOUT_S", 10)
WEBHOOK_DELIVERY_DEADLINE_S = env.float("WEBHOOK_DELIVERY_DEADLINE_S", 15)
WEBHOOK_RETRY_BASE_S = env.float("WEBHOOK_RETRY_BASE_S", 30)
WEBHOOK_RETRY_MAX_DELAY_S = env.float("WEBHOOK_RETRY_MAX_DELAY_S", 4 * 3600)
WEBHOOK_RETRY_WINDOW_S = env.float("WEBHOOK_RETRY_WINDOW_S", 3 * 86400)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", 20)
WEBHOOK_DISABLE_AFTER_S = env.float("WEBHOOK_DISABLE_AFTER_S", 3 * 86400)
WEBHOOK_CONCURRENCY = env.int("WEBHOOK_CONCURRENCY", 8)
# Deliveries in flight at once (all workers together) to one endpoint, and to one platform's
# endpoints: a slow receiver, or a platform with a backlog, holds a bounded share of the workers.
WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = env.int("WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT", 8)
WEBHOOK_MAX_IN_FLIGHT_PER_PLATFORM = env.int("WEBHOOK_MAX_IN_FLIGHT_PER_PLATFORM", 32)
# A platform has at most WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM endpoints (deleted ones aside), and
# asks for at most WEBHOOK_REDELIVERIES_PER_MINUTE redelivered deliveries in any minute (0: no
# limit): every event goes to each endpoint, and a redelivery to each again.
WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM = env.int("WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM", 16)
WEBHOOK_REDELIVERIES_PER_MINUTE = env.int("WEBHOOK_REDELIVERIES_PER_MINUTE", 120)
# Webhooks never reach link-local addresses (cloud metadata among them), shared (CGNAT),
# multicast, reserved or unspecified ones, whatever the settings (webhooks/destinations.py).
# Loopback and private networks only with WEBHOOK_ALLOW_PRIVATE_NETWORKS, for receivers on this
# machine: `make run` and the tests set it; production refuses it, and wants https.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
if PRODUCTION and WEBHOOK_ALLOW_PRIVATE_NETWORKS:
    raise ImproperlyConfigured(
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS must not be set when PRODUCTION is set: platforms' "
        "webhooks would reach this deployment's own network"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    # One line per provider request is noise at INFO; failures still show as warnings.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
