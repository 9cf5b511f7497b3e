"""Settings shared by every environment. Everything configurable comes from the environment
through ``revo.settings.env``; ``dev``, ``test`` and ``prod`` adjust the rest."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

from revo.settings.env import (
    ConfigError,
    database_config,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    redis_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-insecure-secret-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", ".localhost", "127.0.0.1"])

# --------------------------------------------------------------------------- tenancy

SHARED_APPS = [
    "django_tenants",
    "revo.core",
    "revo.tenancy",
    # platform operators live in the public schema; tenant users in each tenant's schema
    "revo.accounts",
    "revo.api",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "rest_framework_simplejwt.token_blacklist",
    "revo.accounts",
    "revo.api",
    "revo.audit",
    "revo.leads",
    "revo.deals",
    "revo.contracts",
    "revo.billing",
    "revo.reviews",
    "revo.agents",
    "revo.llm",
    "revo.mail",
    # periodic tasks live in each tenant's schema (tenant-aware beat scheduler)
    "django_celery_beat",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Tenant"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "revo.urls_public"
ROOT_URLCONF = "revo.urls_tenant"
# pgvector lives once in its own schema, visible from every tenant's search path.
PG_EXTRA_SEARCH_PATHS = ["extensions"]
# New tenants are cloned from a migrated template schema instead of running every migration.
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_BASE_SCHEMA = "tenant_template"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# django-tenants would query the database while apps load to check that no tenant is named
# like an extra search path; slug validation already refuses "extensions".
SKIP_PG_EXTRA_VALIDATION = True
# Set the search path only when the tenant changes, not before every query.
TENANT_LIMIT_SET_CALLS = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

DATABASES = {"default": database_config("DATABASE_URL")}
REDIS_URL = redis_url("REDIS_URL")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --------------------------------------------------------------------------- HTTP

MIDDLEWARE = [
    "revo.core.middleware.RequestIDMiddleware",
    "revo.core.middleware.HealthCheckMiddleware",
    "revo.tenancy.middleware.TenantMiddleware",
    "revo.core.middleware.TenantLogContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "revo.core.middleware.UserLogContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "revo" / "templates"],
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

WSGI_APPLICATION = "revo.wsgi.application"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".revo" / "static"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".revo" / "media")))
MEDIA_URL = "media/"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# --------------------------------------------------------------------------- cache

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# --------------------------------------------------------------------------- API

# Reverse proxies in front of the app that append to X-Forwarded-For. 0: the header is
# never trusted and the client is REMOTE_ADDR; N: the client is the N-th address from the
# right. Keys the sign-in throttle (revo.api.throttling.client_address) and DRF's throttles.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ConfigError(f"TRUSTED_PROXY_COUNT must be 0 or more, got {TRUSTED_PROXY_COUNT}")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["revo.api.authentication.TenantJWTAuthentication"],
    # Every view declares its permission; see revo.api.permissions.
    "DEFAULT_PERMISSION_CLASSES": ["revo.api.permissions.HasRequiredPermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "revo.api.filters.TotalOrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_SCHEMA_CLASS": "revo.api.schema.RevoAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "revo.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "revo.api.errors.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Revo API",
    "DESCRIPTION": "Lead-to-cash agents with a person in the loop. Errors use one envelope: "
    '{"error": {"code", "message", "details", "correlation_id"}}.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "revo.accounts.roles.Role",
        "ReviewStatusEnum": "revo.reviews.models.ReviewStatus",
        "RunStatusEnum": "revo.agents.models.RunStatus",
        "LLMCallStatusEnum": "revo.llm.models.LLMCallStatus",
        "LeadStatusEnum": "revo.leads.models.LeadStatus",
        "ContractStatusEnum": "revo.contracts.models.ContractStatus",
        "InvoiceStatusEnum": "revo.billing.models.InvoiceStatus",
        "QualificationLevelEnum": "revo.deals.models.QualificationLevel",
        "RunKindEnum": [("agent", "agent"), ("pipeline", "pipeline")],
        "MailEventKindEnum": "revo.mail.models.MailEventKind",
        "EmailStatusEnum": "revo.mail.models.EmailStatus",
        "EmailKindEnum": "revo.mail.models.EmailKind",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "revo.api.schema.strict_request_bodies",
    ],
}

JWT_SIGNING_KEY = env_str("JWT_SIGNING_KEY", "")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=10),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # Pinned: tokens signed with any other algorithm (or "none") are refused.
    "ALGORITHM": "HS256",
    # Never SECRET_KEY itself: without JWT_SIGNING_KEY (development, tests) a distinct key
    # is derived from it; prod.py requires JWT_SIGNING_KEY.
    "SIGNING_KEY": JWT_SIGNING_KEY
    or hmac.new(SECRET_KEY.encode(), b"revo.jwt.signing-key", hashlib.sha256).hexdigest(),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "LEEWAY": 0,
}

# --------------------------------------------------------------------------- Celery

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 540)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
# Redis re-delivers an unacknowledged task after the visibility timeout: keep it well above
# the hard time limit so a long task is never run twice while it is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT + 60}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Keep Revo's JSON log lines in workers too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "tenant_schemas_celery.db_scheduler:TenantAwareDatabaseScheduler"
AGENT_QUEUES = (
    "agents.sdr",
    "agents.sales",
    "agents.negotiation",
    "agents.finance",
    "agents.pipeline",
)
CELERY_TASK_ROUTES = {
    "revo.agents.sweep": {"queue": "agents.pipeline"},
    "revo.agents.scheduled_run": {"queue": "agents.pipeline"},
    "mail.*": {"queue": "mail"},
}
CELERY_TIMEZONE = "UTC"

# --------------------------------------------------------------------------- email

# Sandbox (the default everywhere): messages are recorded and written as .eml files under
# REVO_HOME/outbox/<schema>/, nothing leaves the machine. Real SMTP needs MAIL_SANDBOX=false.
MAIL_SANDBOX = env_bool("MAIL_SANDBOX", True)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@revo.localhost")
MAIL_LINK_SCHEME = env_str("MAIL_LINK_SCHEME", "https")
MAIL_LINK_PORT = env_int("MAIL_LINK_PORT", 0)  # e.g. 8000 with the development server
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 6)
MAIL_RETRY_BASE_SECONDS = env_float("MAIL_RETRY_BASE_SECONDS", 30.0)
MAIL_RETRY_MAX_SECONDS = env_float("MAIL_RETRY_MAX_SECONDS", 3600.0)
# A message in `sending` for longer than this lost its worker mid-delivery (see services).
MAIL_SENDING_STALE_SECONDS = env_int("MAIL_SENDING_STALE_SECONDS", 3 * EMAIL_TIMEOUT + 60)
# Waits longer than this are split into re-checks, keeping every countdown below the broker's
# visibility timeout.
MAIL_MAX_COUNTDOWN_SECONDS = env_int("MAIL_MAX_COUNTDOWN_SECONDS", 900)

# --------------------------------------------------------------------------- LLM

# The offline "template" backend unless a model server is configured.
LLM_BACKEND = env_str("LLM_BACKEND", "ollama" if env_str("OLLAMA_URL") else "template")
# Base URLs are comma-separated lists: the first is preferred, the others take over when it fails.
OLLAMA_URL = env_str("OLLAMA_URL", "")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL", "")
OPENAI_API_KEY = env_str("OPENAI_API_KEY", "")
OPENAI_LOGPROBS = env_bool("OPENAI_LOGPROBS", True)
LLM_MODEL = env_str("LLM_MODEL", "qwen2.5:7b-instruct")
LLM_EMBED_MODEL = env_str("LLM_EMBED_MODEL", "nomic-embed-text")
LLM_KEEP_ALIVE = env_str("LLM_KEEP_ALIVE", "30m")
LLM_NUM_CTX = env_int("LLM_NUM_CTX", 8192)
LLM_CONNECT_TIMEOUT = env_float("LLM_CONNECT_TIMEOUT", 3.0)
LLM_READ_TIMEOUT = env_float("LLM_READ_TIMEOUT", 120.0)
LLM_MAX_CONCURRENCY = env_int("LLM_MAX_CONCURRENCY", 2)
LLM_MAX_RETRIES = env_int("LLM_MAX_RETRIES", 2)
LLM_BACKOFF_BASE = env_float("LLM_BACKOFF_BASE", 0.5)
LLM_BACKOFF_MAX = env_float("LLM_BACKOFF_MAX", 10.0)
LLM_BREAKER_THRESHOLD = env_int("LLM_BREAKER_THRESHOLD", 5)
LLM_BREAKER_COOLDOWN = env_float("LLM_BREAKER_COOLDOWN", 30.0)
# Output policy of generate(): re-asks after invalid output (at most 2) and the hosts every
# tenant's drafts may link to (a call adds the context's allowed_url_hosts).
LLM_MAX_REASKS = env_int("LLM_MAX_REASKS", 2)
LLM_URL_ALLOWLIST = env_list("LLM_URL_ALLOWLIST", [])

# --------------------------------------------------------------------------- Revo

# Steps run, in order, inside a new tenant's schema by the provisioning service. Later
# apps add theirs here (default prompts, pricing and dunning policies, ...).
REVO_TENANT_SETUP_STEPS = [
    "revo.accounts.services.role_groups_sync",
    "revo.llm.services.prompts_seed_step",
    "revo.contracts.services.pricing_policy_ensure",
    "revo.billing.services.billing_tenant_setup",
]
REVO_DEMO_PASSWORD = env_str("REVO_DEMO_PASSWORD", "")
HEALTH_CHECK_TIMEOUT = env_float("HEALTH_CHECK_TIMEOUT", 2.0)

# --------------------------------------------------------------------------- logging

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "revo.core.logging.ContextFilter"}},
    "formatters": {"json": {"()": "revo.core.logging.JSONFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["context"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "pgserver": {"level": "WARNING"},
    },
}

# --------------------------------------------------------------------------- agent runs

AGENT_RUN_MAX_ATTEMPTS = env_int("AGENT_RUN_MAX_ATTEMPTS", 4)
AGENT_RETRY_BACKOFF_BASE = env_float("AGENT_RETRY_BACKOFF_BASE", 10.0)  # seconds
AGENT_RETRY_BACKOFF_MAX = env_float("AGENT_RETRY_BACKOFF_MAX", 600.0)
# A running run whose worker has not written a heartbeat for this long is taken back.
AGENT_HEARTBEAT_TIMEOUT = env_int("AGENT_HEARTBEAT_TIMEOUT", 300)
# A queued run still waiting after this long is re-enqueued (its message was lost).
AGENT_QUEUED_STALE_AFTER = env_int("AGENT_QUEUED_STALE_AFTER", 600)
# A run on a worker works through its items for this long, then hands itself back to the
# queue between two items and goes on in a fresh task: no task nears the time limits, and a
# worker's warm shutdown waits one slice at most. Must stay well below the soft time limit.
AGENT_RUN_SLICE_SECONDS = env_int("AGENT_RUN_SLICE_SECONDS", 240)
# Items of one run processed at once by threads of the worker process (one database
# connection each). Worth raising to what the model server answers in parallel (Ollama's
# OLLAMA_NUM_PARALLEL) together with LLM_MAX_CONCURRENCY, which caps calls per process.
AGENT_ITEM_CONCURRENCY = env_int("AGENT_ITEM_CONCURRENCY", 1)
if not 1 <= AGENT_ITEM_CONCURRENCY <= 32:
    raise ConfigError(f"AGENT_ITEM_CONCURRENCY must be from 1 to 32, got {AGENT_ITEM_CONCURRENCY}")
if not 0 < AGENT_RUN_SLICE_SECONDS <= CELERY_TASK_SOFT_TIME_LIMIT // 2:
    raise ConfigError(
        "AGENT_RUN_SLICE_SECONDS must be between 1 and half of CELERY_TASK_SOFT_TIME_LIMIT "
        f"({CELERY_TASK_SOFT_TIME_LIMIT // 2}), got {AGENT_RUN_SLICE_SECONDS}"
    )
