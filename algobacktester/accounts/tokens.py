"""JWTs that can be revoked: each carries the user's ``ver`` and a session ``sid``.

simplejwt copies custom claims from a refresh token into the access tokens it
mints and keeps them through rotation, so one ``sid`` names a whole login.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token

VERSION_CLAIM = "ver"
SESSION_CLAIM = "sid"
DIGEST_PREFIX = "sha256:"


def refresh_for(user: Any) -> RefreshToken:
    refresh = RefreshToken.for_user(user)  # records the token before our claims are added
    refresh[VERSION_CLAIM] = user.token_version
    refresh[SESSION_CLAIM] = str(uuid.uuid4())
    # ... so the row keeps the digest of the token the client actually holds
    OutstandingToken.objects.filter(jti=refresh["jti"]).update(token=token_digest(str(refresh)))
    return refresh


def token_pair(user: Any, *, ip: str = "", user_agent: str = "") -> dict[str, str]:
    """A new login: its tokens, and the session row Settings lists (docs/adr/0013)."""
    from django.utils import timezone

    from .models import LoginSession

    refresh = refresh_for(user)
    LoginSession.objects.create(
        sid=refresh[SESSION_CLAIM],
        user=user,
        expires_at=timezone.now() + refresh.lifetime,
        ip=ip[:45],
        user_agent=user_agent[:200],
    )
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def session_of(token: Token) -> str | None:
    sid = token.get(SESSION_CLAIM)
    return str(sid) if sid else None


def token_digest(raw: str) -> str:
    """What the outstanding-token table keeps of a refresh token (docs/adr/0003): enough to
    recognise a token someone presents, useless to present. A digest is left as it is."""
    if raw.startswith(DIGEST_PREFIX):
        return raw
    return DIGEST_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def outstanding_token_hash(sender: Any, instance: Any, **kwargs: Any) -> None:
    """pre_save of simplejwt's OutstandingToken: simplejwt writes the whole refresh token
    from several places (for_user, outstand, blacklist) and so do we; hashing at the one
    place every write passes through keeps a plaintext token out of the database."""
    instance.token = token_digest(instance.token or "")
