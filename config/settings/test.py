"""Test settings: the base settings with fast hashing and no outgoing email."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
AXES_ENABLED = env.bool("AXES_ENABLED", default=False)
# Each test clears the cache without needing the database; the demo and production
# settings keep their shared cache (tests/security/test_logins.py checks them).
CACHES = {"default": env.cache("TEST_CACHE_URL", default="locmemcache://")}
# Every action that sets a plan's status from what it did (workflows.moves) also asks
# the database, and fails on any disagreement: the whole suite checks the shortcut.
GREENLIGHT_CHECK_MOVES = True
