"""Settings of the human-task inbox: one file, every knob from the environment.

With no environment at all the app runs on the embedded defaults (SQLite and a filesystem
Celery broker under ``var/``). Production sets ``DATABASE_URL`` and ``CELERY_BROKER_URL``.
"""

import ipaddress
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.sso import oidc_apps, saml_apps

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("INBOX_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=False)
_INSECURE_DEV_KEY = "insecure-dev-key-only-for-the-embedded-defaults"
SECRET_KEY = env_str("SECRET_KEY", _INSECURE_DEV_KEY if DEBUG else "")
if not SECRET_KEY:
    # The embedded defaults (make run) set DEBUG=true; anything else must bring its own key.
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "corsheaders",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    "django_celery_beat",
    "accounts",
    "inbox",
    "notifications",
    "ops",
    "sla",
]

MIDDLEWARE = [
    "ops.logs.RequestLogMiddleware",
    "ops.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "inbox.middleware.drop_unreadable_cookies",  # before anything reads the session cookie
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.timezones.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After allauth's: an inbox admin without a second factor goes to set one up first.
    "accounts.mfa_required.RequireAdminMfaMiddleware",
    # Last, so its 400 page renders with the user; nothing before it reads the body.
    "inbox.middleware.InputGuardMiddleware",
]
# Paths answered in the API's JSON error shape (the guard's 400/404/413; see inbox.middleware).
API_PATH_PREFIXES = ("/api/", "/littlehorse/")

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
                "inbox.views.nav.nav_counts",
                "inbox.views.shell.shell_paths",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # Embedded default: web and worker write at once, so WAL, a busy timeout, and IMMEDIATE
    # transactions (a writer takes the lock up front instead of failing on upgrade).
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "inbox.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (API throttling counts here: share it between web processes in production) ---------
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, not {CACHE_URL!r}")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_ADAPTER = "accounts.adapter.InboxAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None

# Single sign-on (accounts/sso/, config/sso.py): OpenID Connect and SAML providers from the
# environment; people signing in through one get an account on first sign-in. Their groups come
# from SSO_GROUPS_CLAIM (OIDC) / the SAML attribute through the mapping table in the admin.
SSO_GROUPS_CLAIM = env_str("SSO_GROUPS_CLAIM", "groups").strip()
SOCIALACCOUNT_ADAPTER = "accounts.sso.adapter.InboxSocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in button POSTs (no CSRF-able GET sign-ins)
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # an IdP's email never takes over a local account
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        # Verifies every ID token's signature and nonce (allauth skips both in the code flow).
        "provider_class": "accounts.sso.oidc.InboxOpenIDConnectProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": oidc_apps(env_str("OIDC_PROVIDERS", ""), SSO_GROUPS_CLAIM),
    },
    "saml": {"APPS": saml_apps(env_str("SAML_PROVIDERS", ""), SSO_GROUPS_CLAIM)},
}
# LOCAL_PASSWORDS=false: only single sign-on (no password form, reset or admin password login;
# allauth's SOCIALACCOUNT_ONLY cannot be combined with allauth.mfa, hence the inbox's own).
LOCAL_PASSWORDS = env_bool("LOCAL_PASSWORDS", default=True)
if not LOCAL_PASSWORDS:
    AUTHENTICATION_BACKENDS = ["accounts.backends.SingleSignOnOnlyBackend"]
ACCOUNT_FORMS = {
    "login": "accounts.forms.InboxLoginForm",
    "reset_password": "accounts.forms.InboxResetPasswordForm",
}

# Second factor (allauth.mfa): TOTP apps, WebAuthn security keys/passkeys, recovery codes.
# MFA_REQUIRED_FOR_ADMINS: an inbox admin without one is sent to set one up before anything else.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = env_bool("MFA_PASSKEY_LOGIN_ENABLED", default=False)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Inbox")
MFA_REQUIRED_FOR_ADMINS = env_bool("MFA_REQUIRED_FOR_ADMINS", default=False)
# allauth refuses a second factor to an unverified email (against someone signing up with another
# person's address); there is no public sign-up here and IdPs often omit email_verified.
MFA_ALLOW_UNVERIFIED_EMAIL = True

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "inbox@localhost")

# --- Internationalisation and static files ---------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production when DEBUG is off; HTTPS settings depend on the proxy) ----------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read with one prepared statement (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"

# --- REST API ------------------------------------------------------------------------------
# Requests per token (else per user or address): "<n>/<second|minute|hour|day>".
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "1000/minute").strip()
if not re.fullmatch(r"[1-9]\d*/(second|minute|hour|day)", API_THROTTLE_RATE):
    raise ImproperlyConfigured(
        f"API_THROTTLE_RATE must look like 1000/minute (per second, minute, hour or day), "
        f"not {API_THROTTLE_RATE!r}"
    )
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Bearer first: its WWW-Authenticate makes anonymous API calls 401 rather than 403.
        "inbox.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["inbox.api.throttling.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "inbox.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # Strict JSON: nesting limit, finite numbers, no NUL (inbox.parsing).
    "DEFAULT_PARSER_CLASSES": ["inbox.api.parsers.StrictJSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Human-task inbox API",
    "DESCRIPTION": "Claim, complete and administer the human steps of automated processes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "inbox.models.TaskStatus",
        "CaseStatusEnum": "inbox.models.Case.Status",
        "CommandStatusEnum": "inbox.models.OutboxCommand.Status",
        "SourceKindEnum": "inbox.models.Source.Kind",
        "EventKindEnum": "inbox.models.TaskEvent.Kind",
        "EngineKindEnum": "inbox.sources.ENGINE_KINDS",
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The LittleHorse compatibility routes have their own document at /littlehorse/schema/.
    "PREPROCESSING_HOOKS": ["inbox.api.littlehorse.schema.without_bridge_routes"],
    "TAGS": [
        {"name": "tasks", "description": "List, read, claim, release, complete, cancel, create."},
        {"name": "comments", "description": "Comments on a task."},
        {"name": "cases", "description": "Engine process instances and their stages."},
        {"name": "me", "description": "The caller, their groups and API tokens."},
        {"name": "admin", "description": "Inbox admins only (`inbox.administer_tasks`)."},
    ],
}

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Exchange bindings; kombu's default is ./control in the working directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Stopping a worker (Ctrl-C, SIGTERM with REMAP_SIGTERM=SIGQUIT as the Procfile sets) gives
# running tasks this many seconds, then cancels them (acks_late: they run again later) instead
# of a warm shutdown that waits for them however long they take.
# Workers log through LOGGING below (its redacting filter), not a handler of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env_int("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", 4, minimum=0)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Per-source poll entries are rows made by inbox/sync/schedule.py; this one is fixed.
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {
        "task": "inbox.tasks.sweep_outbox",
        "schedule": env_int("OUTBOX_SWEEP_SECONDS", 15, minimum=1),
    },
    "notifications-sweep": {"task": "notifications.tasks.sweep", "schedule": 30},
    # Out of office: held tasks go back to their groups when an absence that asks for it starts.
    "return-absent-tasks": {
        "task": "inbox.tasks.return_absent_tasks",
        "schedule": env_int("ABSENCE_RETURN_SECONDS", 60, minimum=1),
    },
    "notifications-scan": {"task": "notifications.tasks.scan", "schedule": 60},
    # Service levels (sla/): escalation rules whose moment has passed (SLA_SCAN_SECONDS).
    "sla-escalation-scan": {
        "task": "sla.tasks.scan_escalations",
        "schedule": env_int("SLA_SCAN_SECONDS", 60, minimum=1),
    },
    # The dashboard's rollups (ops/): open-task counts, and today's and yesterday's figures.
    "ops-open-snapshot": {
        "task": "ops.tasks.refresh_open_snapshot",
        "schedule": env_int("OPS_SNAPSHOT_SECONDS", 60, minimum=1),
    },
    "ops-rollup-recent": {
        "task": "ops.tasks.rollup_recent",
        "schedule": env_int("OPS_ROLLUP_SECONDS", 300, minimum=1),
    },
}
# Service levels (sla/): an open task due within this many minutes is "at risk" (list filter).
SLA_AT_RISK_MINUTES = env_int("SLA_AT_RISK_MINUTES", 240, minimum=1)
# Upstream calls (inbox/sync/http.py): SYNC_HTTP_TIMEOUT is the TOTAL time one response may take
# (connect, headers and body), not a per-read timeout.
SYNC_HTTP_TIMEOUT = env_int("SYNC_HTTP_TIMEOUT", 10, minimum=1)
SYNC_HTTP_ATTEMPTS = env_int("SYNC_HTTP_ATTEMPTS", 6, minimum=1)  # per read request, in a poll
SYNC_HTTP_RETRY_BASE_MS = env_int("SYNC_HTTP_RETRY_BASE_MS", 250, minimum=0)
SYNC_HTTP_RETRY_AFTER_CAP = env_int("SYNC_HTTP_RETRY_AFTER_CAP", 30, minimum=0)  # seconds
SYNC_HTTP_MAX_BODY_BYTES = env_int("SYNC_HTTP_MAX_BODY_BYTES", 20 * 1024 * 1024, minimum=1024)
# Scheduled polls of a failing source back off exponentially up to this many seconds.
SYNC_MAX_BACKOFF = env_int("SYNC_MAX_BACKOFF", 300, minimum=1)
# Celery limits (seconds) of one poll and one write-back; a poll's own budget ends it sooner.
SYNC_POLL_SOFT_TIME_LIMIT = env_int("SYNC_POLL_SOFT_TIME_LIMIT", 900, minimum=10)
SYNC_POLL_TIME_LIMIT = env_int("SYNC_POLL_TIME_LIMIT", 960, minimum=10)
SYNC_PUSH_SOFT_TIME_LIMIT = env_int("SYNC_PUSH_SOFT_TIME_LIMIT", 120, minimum=10)
SYNC_PUSH_TIME_LIMIT = env_int("SYNC_PUSH_TIME_LIMIT", 150, minimum=10)
# Write-backs: the first retry waits this long, doubling up to 30 minutes; an attempt holds its
# command for OUTBOX_LEASE_SECONDS (longer than the calls of one attempt can take), after which
# a dead worker's command is swept up again, its engine state read before anything is resent.
OUTBOX_RETRY_BASE_MS = env_int("OUTBOX_RETRY_BASE_MS", 2000, minimum=1)
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120, minimum=1)
CELERY_TIMEZONE = TIME_ZONE

# --- The inbox itself --------------------------------------------------------------------------
INBOX_STRING_MAX_LENGTH = env_int("INBOX_STRING_MAX_LENGTH", 10_000, minimum=1)
INBOX_PAGE_SIZE = env_int("INBOX_PAGE_SIZE", 50, minimum=1)
INBOX_MAX_PAGE_SIZE = env_int("INBOX_MAX_PAGE_SIZE", 500, minimum=1)
# Navigation counts (own tasks, claimable, pinned views) are capped at this many ("99+") and
# kept this many seconds per user (0: counted by every /nav/counts/ request that loads them after
# a page; pages never count: inbox/views/nav.py).
INBOX_NAV_COUNT_CAP = env_int("INBOX_NAV_COUNT_CAP", 99, minimum=1)
INBOX_NAV_COUNT_SECONDS = env_int("INBOX_NAV_COUNT_SECONDS", 15, minimum=0)
LITTLEHORSE_TENANTS = env_list("LITTLEHORSE_TENANTS", ["default"])

# CORS (django-cors-headers) for browser apps on other origins, e.g. a LittleHorse bridge console:
# only the REST API and the bridge compatibility routes, only the listed origins. Bearer tokens,
# no cookies, so no credentials.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/(api/v1|littlehorse)/.*$"
CORS_ALLOW_CREDENTIALS = False
# --- Notifications and webhooks (notifications/) ---------------------------------------------
# Off: no outbox rows at all (no notifications, webhooks, callbacks or event feed entries).
NOTIFICATIONS_ENABLED = env_bool("NOTIFICATIONS_ENABLED", default=True)
INBOX_BASE_URL = env_str("INBOX_BASE_URL", "http://127.0.0.1:8000").rstrip("/")  # links in mail
NOTIFY_BATCH_SECONDS = env_int("NOTIFY_BATCH_SECONDS", 300, minimum=1)  # new-claimable batching
NOTIFY_DUE_SOON_MINUTES = env_int("NOTIFY_DUE_SOON_MINUTES", 60, minimum=1)
NOTIFY_SOURCE_FAILURES = env_int("NOTIFY_SOURCE_FAILURES", 3, minimum=1)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10, minimum=1)
# A chat message failing for now (5xx, 429, no answer) is retried with backoff, then given up.
CHAT_MAX_ATTEMPTS = env_int("CHAT_MAX_ATTEMPTS", 8, minimum=1)
# Webhook, callback and chat URLs must be https:// unless DEBUG, and must not point at private
# addresses unless WEBHOOK_ALLOW_PRIVATE (a receiver on the same network).
WEBHOOK_REQUIRE_HTTPS = env_bool("WEBHOOK_REQUIRE_HTTPS", default=not DEBUG)
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", default=DEBUG)
# --- Operations: metrics and logs -------------------------------------------------------------
# /metrics answers a bearer token (METRICS_TOKEN) and/or addresses in METRICS_ALLOWED_IPS (CIDRs);
# with neither it answers 403.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS: {_network!r} is not an address or network"
        ) from _error
LOG_FORMAT = env_str("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Secrets (URL userinfo, tokens) are redacted from every record before it is written;
    # ops.logs adds the request id and user id.
    "filters": {
        "redact": {"()": "inbox.secrets.RedactingFilter"},
        "context": {"()": "ops.logs.ContextFilter"},
    },
    "formatters": {
        "json": {"()": "ops.logs.json_formatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact", "context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # One line per upstream request comes from inbox.sync.upstream (ops/upstream_log.py) instead.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
