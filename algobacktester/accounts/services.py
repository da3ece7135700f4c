"""Writes for accounts: registration, profile, login, refresh, logout."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from algobacktester.errors import InvalidInput, LimitExceeded, NotAuthenticated, NotFound

from . import lockout
from .models import LoginSession, RevokedSession, User
from .selectors import token_is_revoked
from .tokens import session_of, token_digest, token_pair

logger = logging.getLogger(__name__)
PROFILE_FIELDS = ("name", "phone", "timezone")


def user_register(*, email: str, password: str, **profile: Any) -> User:
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput({"email": ["An account with this email already exists."]})
    user = User(email=email, **{k: v for k, v in profile.items() if k in PROFILE_FIELDS})
    _check_password(password, user)
    user.set_password(password)
    _full_clean(user)
    try:
        user.save()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise InvalidInput({"email": ["An account with this email already exists."]}) from exc
    return user


def user_update(*, user: User, data: dict[str, Any]) -> User:
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(user, field, data[field])
    _full_clean(user)
    user.save(update_fields=[f for f in PROFILE_FIELDS if f in data])
    return user


def auth_login(*, email: str, password: str, ip: str, user_agent: str = "") -> dict[str, str]:
    user = credentials_check(email=email, password=password, ip=ip)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return token_pair(user, ip=ip, user_agent=user_agent)


def credentials_check(*, email: str, password: str, ip: str) -> User:
    """The one password check of every login form (the API and /admin/), behind the lock-out:
    a guesser locked out of one is locked out of both."""
    email = email.strip().lower()
    wait = lockout.attempt_begin(email=email, ip=ip)
    if wait:
        raise LimitExceeded(
            retry_after=wait, detail="Too many failed logins for this account or address."
        )
    user = authenticate(username=email, password=password)
    if user is None:
        raise NotAuthenticated("Email or password is incorrect.", code="invalid_credentials")
    lockout.attempt_succeeded(email=email, ip=ip)
    return user


def auth_refresh(*, refresh: str) -> dict[str, str]:
    token = _valid_refresh(refresh)
    user = User.objects.filter(pk=token.get("user_id"), is_active=True).first()
    if user is None or token_is_revoked(user=user, token=token):
        raise NotAuthenticated("Refresh token has been revoked.", code="token_revoked")
    with transaction.atomic():
        _spend(token)
        token.set_jti()
        token.set_exp()
        token.set_iat()
        token.outstand()
        _session_touch(token)
    return {"access": str(token.access_token), "refresh": str(token)}


def _session_touch(token: RefreshToken) -> None:
    sid = session_of(token)
    if sid:
        now = timezone.now()
        LoginSession.objects.filter(sid=sid).update(
            last_used_at=now, expires_at=datetime.fromtimestamp(token["exp"], tz=UTC)
        )


def _spend(token: RefreshToken) -> None:
    """Blacklist a refresh token exactly once: of two concurrent refreshes with the same
    token, the unique key lets one through and refuses the other (no login splits in two)."""
    outstanding = OutstandingToken.objects.filter(jti=token["jti"]).first()
    if outstanding is None:  # minted elsewhere: record it so it can be spent once
        outstanding = OutstandingToken.objects.create(
            user_id=token["user_id"],
            jti=token["jti"],
            token=token_digest(str(token)),
            created_at=timezone.now(),
            expires_at=datetime.fromtimestamp(token["exp"], tz=UTC),
        )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError as exc:
        raise NotAuthenticated("refresh: Token is blacklisted", code="token_not_valid") from exc


def auth_logout(*, user: User, refresh: str) -> None:
    """End one login: blacklist its refresh token and refuse its access tokens."""
    token = _valid_refresh(refresh)
    if str(token.get("user_id")) != str(user.pk):
        raise InvalidInput({"refresh": ["This refresh token belongs to another session owner."]})
    token.blacklist()
    sid = session_of(token)
    if sid:
        expires = datetime.fromtimestamp(token["exp"], tz=UTC)
        RevokedSession.objects.get_or_create(
            sid=sid, defaults={"user": user, "expires_at": expires}
        )
        LoginSession.objects.filter(sid=sid, ended_at=None).update(ended_at=timezone.now())
        transaction.on_commit(lambda: sessions_close(user_id=user.pk, sid=sid))


def auth_logout_all(*, user: User) -> None:
    """End every login of the user: bump the token version, blacklist refresh tokens."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    LoginSession.objects.filter(user=user, ended_at=None).update(ended_at=timezone.now())
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=t) for t in outstanding], ignore_conflicts=True
    )
    transaction.on_commit(lambda: sessions_close(user_id=user.pk, sid=None))


def sessions_close(*, user_id: int, sid: str | None) -> None:
    """Tell the user's open sockets that a login ended (``sid``) or all did (``None``): the
    ones it concerns close at once instead of hearing events until their token expires."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from algobacktester.events import user_group

    message = {"type": "session.revoked", "sid": sid}
    try:
        async_to_sync(get_channel_layer().group_send)(user_group(user_id), message)
    except Exception:  # the logout itself stands; sockets still expire with their tokens
        logger.warning(
            "could not close the sockets of user %s after a logout", user_id, exc_info=True
        )


def session_end(*, user: User, sid: str) -> None:
    """End one of the user's logins from Settings: its refresh and access tokens are refused
    (the ``sid`` check) and its sockets close. Another user's sid is a 404."""
    session = LoginSession.objects.filter(user=user, sid=sid, ended_at=None).first()
    if session is None:
        raise NotFound("No such active session.")
    RevokedSession.objects.get_or_create(
        sid=sid, defaults={"user": user, "expires_at": session.expires_at}
    )
    LoginSession.objects.filter(pk=session.pk).update(ended_at=timezone.now())
    transaction.on_commit(lambda: sessions_close(user_id=user.pk, sid=sid))


def password_change(*, user: User, current_password: str, new_password: str) -> None:
    """A new password ends every login (like "sign out everywhere"): whoever knew the old
    one keeps nothing. The caller signs in again with the new password."""
    if not user.check_password(current_password):
        raise InvalidInput({"current_password": ["The current password is not correct."]})
    try:
        validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise InvalidInput({"new_password": list(exc.messages)}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    auth_logout_all(user=user)


def user_of_refresh(*, refresh: str) -> User | None:
    """The active user a still-valid refresh token belongs to, else None."""
    try:
        token = _valid_refresh(refresh)
    except NotAuthenticated:
        return None
    return User.objects.filter(pk=token.get("user_id"), is_active=True).first()


def revoked_sessions_purge() -> int:
    """Drop revocations whose tokens have expired anyway (run daily)."""
    deleted, _ = RevokedSession.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def _valid_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except TokenError as exc:
        raise NotAuthenticated(f"refresh: {exc}", code="token_not_valid") from exc


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput({"password": list(exc.messages)}) from exc


def _full_clean(user: User) -> None:
    try:
        user.full_clean(exclude=["password"])
    except DjangoValidationError as exc:
        raise InvalidInput(exc.message_dict) from exc
