"""Browser sign-in under /api/auth/session (docs/adr/0013).

The web app keeps its access token in memory and never sees a refresh token: these
endpoints put the refresh token in an httpOnly, SameSite=Strict cookie scoped to this
path, so script injection cannot read it and no other request carries it. Every POST
that reads the cookie passes Django's CSRF check (double-submit ``csrftoken`` cookie and
``X-CSRFToken`` header, plus the Origin check), so another site cannot make a browser
refresh or end a login.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware, get_token
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.tokens import AccessToken

from algobacktester.errors import NotAuthenticated, PermissionDenied

from .. import services
from ..clientip import client_ip
from ..models import User
from . import serializers as s
from .views import LoginIpThrottle, PublicApi, RegisterIpThrottle, user_agent

COOKIE_PATH = "/api/auth/session"
CSRF_FAILED = OpenApiResponse(
    description="CSRF check failed: the X-CSRFToken header must echo the csrftoken cookie."
)


def _cookie_name() -> str:
    return settings.AUTH_REFRESH_COOKIE


def _csrf_check(request: Request) -> None:
    """Django's own CSRF rules (token and Origin) on an API view DRF exempted from them."""
    check = CsrfViewMiddleware(lambda req: None)  # type: ignore[arg-type, return-value]
    check.process_request(request._request)
    reason = check.process_view(request._request, None, (), {})
    if reason is not None:
        raise PermissionDenied(
            "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header "
            "(GET /api/auth/session/csrf sets the cookie).",
            code="csrf_failed",
        )


def _session_response(
    tokens: dict[str, str], user: User, *, code: int = status.HTTP_200_OK
) -> Response:
    access = AccessToken(tokens["access"], verify=False)
    expires = datetime.fromtimestamp(access["exp"], tz=UTC)
    body = {
        "access": tokens["access"],
        "access_expires": expires,
        "user": s.UserOutputSerializer(user).data,
    }
    response = Response(s.SessionOutputSerializer(body).data, status=code)
    _set_refresh_cookie(response, tokens["refresh"])
    return response


def _set_refresh_cookie(response: Response, refresh: str) -> None:
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    response.set_cookie(
        _cookie_name(),
        refresh,
        max_age=int(lifetime.total_seconds()),
        path=COOKIE_PATH,
        secure=settings.AUTH_REFRESH_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def _clear_refresh_cookie(response: Response) -> None:
    response.delete_cookie(_cookie_name(), path=COOKIE_PATH, samesite="Strict")


def _cookie_refresh(request: Request) -> str:
    raw = request.COOKIES.get(_cookie_name(), "")
    if not raw:
        raise NotAuthenticated("Not signed in: no session cookie.", code="not_signed_in")
    return raw


def _user_of(tokens: dict[str, str]) -> User:
    access = AccessToken(tokens["access"], verify=False)
    return User.objects.get(pk=access["user_id"])


class SessionCsrfApi(PublicApi):
    @extend_schema(responses={200: s.CsrfOutputSerializer}, tags=["auth"], auth=[])
    def get(self, request: Request) -> Response:
        """Sets the ``csrftoken`` cookie the session POSTs must echo in ``X-CSRFToken``."""
        return Response({"csrf_token": get_token(request._request)})


class SessionLoginApi(PublicApi):
    throttle_classes = (LoginIpThrottle,)

    @extend_schema(
        request=s.LoginInputSerializer,
        responses={200: s.SessionOutputSerializer, 403: CSRF_FAILED},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        """Sign in: the access token in the body, the refresh token in an httpOnly cookie."""
        _csrf_check(request)
        data = s.LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.auth_login(
            **data.validated_data, ip=client_ip(request), user_agent=user_agent(request)
        )
        return _session_response(tokens, _user_of(tokens))


class SessionRegisterApi(PublicApi):
    throttle_classes = (RegisterIpThrottle,)

    @extend_schema(
        request=s.RegisterInputSerializer,
        responses={201: s.SessionOutputSerializer, 403: CSRF_FAILED},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        """Sign up and sign in at once, as ``POST /api/auth/session``."""
        _csrf_check(request)
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        tokens = services.auth_login(
            email=user.email,
            password=data.validated_data["password"],
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
        return _session_response(tokens, user, code=status.HTTP_201_CREATED)


class SessionRefreshApi(PublicApi):
    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if response.status_code == status.HTTP_401_UNAUTHORIZED:
            _clear_refresh_cookie(response)  # a refused cookie is worthless: drop it
        return response

    @extend_schema(
        request=None,
        responses={200: s.SessionOutputSerializer, 403: CSRF_FAILED},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        """Rotate the cookie's refresh token: a new access token and a new cookie; the old
        refresh token is spent. A refused cookie is cleared, so the app shows signed out."""
        _csrf_check(request)
        tokens = services.auth_refresh(refresh=_cookie_refresh(request))
        return _session_response(tokens, _user_of(tokens))


class SessionLogoutApi(PublicApi):
    @extend_schema(
        request=s.SessionLogoutInputSerializer,
        responses={
            204: OpenApiResponse(
                description="The session ended (or every session, with everywhere=true); "
                "the cookie is cleared."
            ),
            403: CSRF_FAILED,
        },
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        """Sign out this browser's login, or every login of its user (``everywhere``)."""
        _csrf_check(request)
        data = s.SessionLogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        raw = request.COOKIES.get(_cookie_name(), "")
        if raw:
            _logout(raw, everywhere=data.validated_data.get("everywhere", False))
        _clear_refresh_cookie(response)
        return response


def _logout(raw: str, *, everywhere: bool) -> None:
    user = services.user_of_refresh(refresh=raw)
    if user is None:  # already spent or expired: nothing left to end, the cookie still goes
        return
    if everywhere:
        services.auth_logout_all(user=user)
    else:
        services.auth_logout(user=user, refresh=raw)
