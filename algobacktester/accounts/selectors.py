"""Reads for accounts."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.tokens import Token

from .models import LoginSession, RevokedSession, User
from .tokens import VERSION_CLAIM, session_of


def token_is_revoked(*, user: User, token: Token) -> bool:
    """True when a logout (of this session or of all) has ended the token's login."""
    if token.get(VERSION_CLAIM, -1) != user.token_version:
        return True
    sid = session_of(token)
    return sid is not None and RevokedSession.objects.filter(sid=sid).exists()


def session_list(*, user: User) -> QuerySet[LoginSession]:
    """The user's logins still able to refresh, most recently used first."""
    return LoginSession.objects.filter(user=user, ended_at=None, expires_at__gt=timezone.now())
