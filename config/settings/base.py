"""Greenlight settings: everything comes from the environment through one ``env`` object.

Defaults are safe for development (SQLite, eager Celery, console email). The
production module refuses to start without the secrets it needs.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="greenlight-development-only-not-secret")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "viewflow",
    "viewflow.workflow",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "apps.core",
    "apps.audit",
    "apps.org",
    "apps.plans",
    "apps.notifications",
    "workflows",
    "apps.api",
    "apps.web",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the web process (collected into STATIC_ROOT in production).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.HardeningMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.web.errors.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
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
                "apps.web.context_processors.membership",
                "apps.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
_ENGINE = DATABASES["default"].get("ENGINE", "")
if _ENGINE == "django.db.backends.sqlite3":
    # Concurrent clients on the embedded default: every transaction takes the write lock
    # when it begins (no deadlocked upgrade from a read lock), waits up to the busy timeout
    # for it, and readers never block the writer (WAL). A lock still held after the
    # timeout is answered 503 with Retry-After (apps.core.middleware), never a 500.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.float("SQLITE_BUSY_TIMEOUT", default=20.0),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif _ENGINE == "django.db.backends.postgresql":
    # A row lock that cannot be had in time fails the statement instead of queueing forever.
    # No JIT: the lists are short index walks whose cost estimates (a LIMIT over a large
    # table) pass the JIT threshold, and compiling took longer than running them (50-60 ms
    # of a 100,000-plan queue's count; README "Performance").
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options",
        f"-c lock_timeout={env.int('DATABASE_LOCK_TIMEOUT_MS', default=10000)} -c jit=off",
    )
    # The fixed checks (apps.core.compiled) are prepared on their first run; Django's own
    # queries bind on the client and are never prepared.
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-guardian: no anonymous user row, direct foreign-key permission models.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: lock out repeated failures per username and address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Seconds a locked-out client is told to wait (Retry-After on every 429).
LOCKOUT_RETRY_AFTER = int(AXES_COOLOFF_TIME * 3600)

# Reverse proxies in front of the app whose X-Forwarded-For may be believed (default none:
# the client is the socket's peer, and a forged header changes nothing).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXIES or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXIES else ("REMOTE_ADDR",)
)

# One cache for every process: sign-in limits must hold across workers. The database
# cache in the demo (``createcachetable``), Redis in production (CACHE_URL=rediscache://…).
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://greenlight_cache")}

# The audit chain's HMAC keys: key id -> secret, from the environment, never the database.
# AUDIT_HMAC_KEY_ID signs new events; every listed key still verifies the events it signed,
# so a key is rotated by adding a new id and switching AUDIT_HMAC_KEY_ID to it. The default
# serves the demo and the tests only; production refuses to start without real keys.
AUDIT_HMAC_KEYS = env.dict(
    "AUDIT_HMAC_KEYS", default={"dev": "greenlight-development-audit-key-not-secret"}
)
AUDIT_HMAC_KEY_ID = env.str("AUDIT_HMAC_KEY_ID", default="dev")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Greenlight <greenlight@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Links in emails: the address users reach the site at.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Celery: with no broker configured, tasks run eagerly in-process (the demo needs no server).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Redis: visibility_timeout (s) before an unacknowledged task is handed out again.
CELERY_BROKER_TRANSPORT_OPTIONS = env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={})

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NUM_PROXIES": TRUSTED_PROXIES,
    "EXCEPTION_HANDLER": "apps.api.errors.exception_handler",
}
# API tokens expire this many days after they are issued; a new sign-in issues a new one.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=7)
API_PATH_PREFIX = "/api/"
# Seconds a client is asked to wait when the database stayed locked past the busy timeout.
BUSY_RETRY_AFTER = env.int("BUSY_RETRY_AFTER", default=2)
# the test settings turn it on: actions check the status they set against the database
GREENLIGHT_CHECK_MOVES = False
# PostgreSQL: prepare the fixed checks (apps.core.compiled); off behind a pooler that
# cannot keep prepared statements (PgBouncer in transaction mode before 1.21)
GREENLIGHT_PREPARED_STATEMENTS = env.bool("GREENLIGHT_PREPARED_STATEMENTS", default=True)
# Token requests per client address (the cache must be shared across workers in production).
API_TOKEN_RATE = env.str("API_TOKEN_RATE", default="10/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Greenlight API",
    "DESCRIPTION": "Submit marketing plans, work approval tasks and audit plan history.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # plans and market feedback both have a "kind"
    "ENUM_NAME_OVERRIDES": {
        "PlanKindEnum": "apps.plans.kinds.KIND_CHOICES",
        "FeedbackKindEnum": "apps.plans.models.FeedbackKind",
    },
    # Swagger UI from the app's own static files: /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Content-Security-Policy (django-csp): no inline script anywhere, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
