"""Reads for accounts."""

from __future__ import annotations

from rest_framework_simplejwt.tokens import Token

from .models import RevokedSession, User
from .tokens import VERSION_CLAIM, session_of


def token_is_revoked(*, user: User, token: Token) -> bool:
    """True when a logout (of this session or of all) has ended the token's login."""
    if token.get(VERSION_CLAIM, -1) != user.token_version:
        return True
    sid = session_of(token)
    return sid is not None and RevokedSession.objects.filter(sid=sid).exists()
