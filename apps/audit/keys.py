"""The audit chain's HMAC keys, read from the settings (the environment), never the database.

``AUDIT_HMAC_KEYS`` maps key ids to secrets; ``AUDIT_HMAC_KEY_ID`` names the one
new events are signed with. Rotation: add a key, switch the id; the old keys stay
listed so that the events they signed still verify.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .chain import LEGACY


def verification_keys() -> dict[str, bytes]:
    return {
        str(key_id): str(secret).encode("utf-8")
        for key_id, secret in settings.AUDIT_HMAC_KEYS.items()
    }


def signing_key_id() -> str:
    key_id = settings.AUDIT_HMAC_KEY_ID
    if key_id == LEGACY or key_id not in settings.AUDIT_HMAC_KEYS:
        raise ImproperlyConfigured(
            f"AUDIT_HMAC_KEY_ID {key_id!r} must name one of the AUDIT_HMAC_KEYS."
        )
    return key_id
