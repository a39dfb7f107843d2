"""The production settings pass Django's deployment checklist, and refuse to start unsafely."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from tests.reliability.figures import record

pytestmark = pytest.mark.security

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DATABASE_URL": "postgres://greenlight@db.example.com:5432/greenlight",
    "DJANGO_ALLOWED_HOSTS": "greenlight.example.com",
    "CACHE_URL": "rediscache://redis.example.com:6379/1",
    "AUDIT_HMAC_KEYS": f"k1={secrets.token_urlsafe(32)}",
    "AUDIT_HMAC_KEY_ID": "k1",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "AUDIT_", "CACHE_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=clean | {"DJANGO_SETTINGS_MODULE": "config.settings.production"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_finds_nothing_with_the_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    record("deployment check", warnings=0)


@pytest.mark.parametrize(
    "env",
    [
        {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""},
        {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "greenlight-development-only-not-secret"},
        {**PRODUCTION_ENV, "DATABASE_URL": ""},
        {**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": ""},
        {**PRODUCTION_ENV, "CACHE_URL": ""},
        {**PRODUCTION_ENV, "AUDIT_HMAC_KEYS": ""},
        {**PRODUCTION_ENV, "AUDIT_HMAC_KEY_ID": "other"},
        {**PRODUCTION_ENV, "AUDIT_HMAC_KEYS": "k1=short"},
    ],
    ids=[
        "no secret key",
        "the development key",
        "no database",
        "no allowed hosts",
        "no shared cache",
        "no audit key",
        "an unknown audit key id",
        "a short audit key",
    ],
)
def test_production_settings_refuse_to_start_without_their_secrets(env):
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_keeps_its_database_connection_between_requests():
    """One connection per request would cost PostgreSQL a new backend each time."""
    show = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    kept = _manage("shell", "-c", show, **PRODUCTION_ENV)
    assert kept.stdout.split()[-2:] == ["60", "True"], kept.stderr
    turned_off = _manage("shell", "-c", show, **PRODUCTION_ENV, DJANGO_CONN_MAX_AGE="0")
    assert turned_off.stdout.split()[-2:] == ["0", "True"], turned_off.stderr
