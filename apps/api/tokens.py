"""API tokens that end: they expire, and a password change or deactivation revokes them.

DRF's tokens live until deleted. Here a token older than ``API_TOKEN_TTL_DAYS``
is refused (and deleted), and changing a user's password or deactivating them
deletes their tokens wherever that happens (the admin, the password pages, the
company pages, a shell): a credential that was given up must stop working.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import pre_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from apps.core.timeutils import now

EXPIRED_MESSAGE = "This token has expired; sign in again for a new one."


def token_expired(token: Token) -> bool:
    return token.created < now() - timedelta(days=settings.API_TOKEN_TTL_DAYS)


def token_issue(*, user) -> Token:
    """The user's token, a fresh one when the stored one has expired."""
    with transaction.atomic():
        token, created = Token.objects.select_for_update().get_or_create(user=user)
        if not created and token_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
    return token


def tokens_revoke(*, user_id: int) -> int:
    deleted, _ = Token.objects.filter(user_id=user_id).delete()
    return deleted


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing tokens past their lifetime."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise AuthenticationFailed(EXPIRED_MESSAGE)
        return user, token


def _revoke_on_credential_change(sender, instance, raw=False, **kwargs) -> None:
    """Before a user is saved: a new password or a deactivation revokes their tokens."""
    if raw or instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        tokens_revoke(user_id=instance.pk)


def connect() -> None:
    pre_save.connect(
        _revoke_on_credential_change,
        sender=get_user_model(),
        dispatch_uid="api_tokens_revoke_on_credential_change",
    )
