"""JWTs that can be revoked: each carries the user's ``ver`` and a session ``sid``.

simplejwt copies custom claims from a refresh token into the access tokens it
mints and keeps them through rotation, so one ``sid`` names a whole login.
"""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework_simplejwt.tokens import RefreshToken, Token

VERSION_CLAIM = "ver"
SESSION_CLAIM = "sid"


def refresh_for(user: Any) -> RefreshToken:
    refresh = RefreshToken.for_user(user)
    refresh[VERSION_CLAIM] = user.token_version
    refresh[SESSION_CLAIM] = str(uuid.uuid4())
    return refresh


def token_pair(user: Any) -> dict[str, str]:
    refresh = refresh_for(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def session_of(token: Token) -> str | None:
    sid = token.get(SESSION_CLAIM)
    return str(sid) if sid else None
