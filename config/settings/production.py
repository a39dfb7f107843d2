"""Production settings: secure by default, and no start without the secrets."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY.startswith("greenlight-development"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set for production.")
if not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured("DATABASE_URL must be set for production.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name the host(s) the site is served at.")
if not env.str("CACHE_URL", default="").startswith(("redis", "rediscache")):
    raise ImproperlyConfigured(
        "CACHE_URL must point at Redis (rediscache://host:6379/1): sign-in limits are shared "
        "between every process through it."
    )
AUDIT_HMAC_KEYS = env.dict("AUDIT_HMAC_KEYS", default={})
AUDIT_HMAC_KEY_ID = env.str("AUDIT_HMAC_KEY_ID", default="")
if not AUDIT_HMAC_KEYS or AUDIT_HMAC_KEY_ID not in AUDIT_HMAC_KEYS:
    raise ImproperlyConfigured(
        "AUDIT_HMAC_KEYS (key_id=secret,…) and AUDIT_HMAC_KEY_ID (the one to sign with) must be "
        "set: the audit chain is keyed with a secret kept outside the database."
    )
if any(len(secret) < 32 for secret in AUDIT_HMAC_KEYS.values()):
    raise ImproperlyConfigured("Every AUDIT_HMAC_KEYS secret needs at least 32 characters.")

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Cookies travel over HTTPS only. ``make serve`` on plain loopback HTTP turns this off.
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Keep each process's database connection between requests: opening one per request costs
# PostgreSQL a new backend and its catalogue caches, which halved the latency of the API lists
# on this machine. A connection that broke in the meantime is replaced, not reused.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
