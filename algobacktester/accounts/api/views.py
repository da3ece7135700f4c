"""Auth endpoints under /api/auth: thin views over accounts.services."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from algobacktester.api.timezones import activate_for

from .. import selectors, services
from ..clientip import client_ip
from ..models import LoginSession
from ..tokens import session_of, token_pair
from . import serializers as s


def user_agent(request: Request) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:200]


class _IpThrottle(SimpleRateThrottle):
    def get_ident(self, request: Request) -> str:
        return client_ip(request)  # the lock-out's address, not DRF's NUM_PROXIES reading

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginIpThrottle(_IpThrottle):
    scope = "login_ip"


class RegisterIpThrottle(_IpThrottle):
    scope = "register_ip"


class PublicApi(APIView):
    """No authentication, yet a bad credential is still a 401 with a Bearer challenge."""

    permission_classes = (AllowAny,)
    authentication_classes = ()

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class RegisterApi(PublicApi):
    throttle_classes = (RegisterIpThrottle,)

    @extend_schema(
        request=s.RegisterInputSerializer,
        responses={201: s.RegisterOutputSerializer},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        tokens = token_pair(user, ip=client_ip(request), user_agent=user_agent(request))
        body = {"user": s.UserOutputSerializer(user).data, **tokens}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginApi(PublicApi):
    throttle_classes = (LoginIpThrottle,)

    @extend_schema(
        request=s.LoginInputSerializer,
        responses={200: s.TokenPairSerializer},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.auth_login(
            **data.validated_data, ip=client_ip(request), user_agent=user_agent(request)
        )
        return Response(tokens)


class RefreshApi(PublicApi):
    @extend_schema(
        request=s.RefreshInputSerializer,
        responses={200: s.TokenPairSerializer},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.auth_refresh(refresh=data.validated_data["refresh"]))


class LogoutApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=s.RefreshInputSerializer,
        responses={
            204: OpenApiResponse(
                description="This login ended: its refresh and access tokens are refused."
            )
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(user=request.user, refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(
                description="Every login of the caller ended: all their tokens are refused."
            )
        },
        tags=["auth"],
        operation_id="auth_logout_all",
    )
    def get(self, request: Request) -> Response:
        services.auth_logout_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: s.UserOutputSerializer}, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(s.UserOutputSerializer(request.user).data)

    @extend_schema(
        request=s.ProfileUpdateSerializer, responses={200: s.UserOutputSerializer}, tags=["auth"]
    )
    def patch(self, request: Request) -> Response:
        data = s.ProfileUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, data=data.validated_data)
        activate_for(user)  # this answer already speaks the zone it sets (the middleware resets)
        return Response(s.UserOutputSerializer(user).data)


class SessionListApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: s.LoginSessionOutputSerializer(many=True)}, tags=["auth"])
    def get(self, request: Request) -> Response:
        """The caller's logins that can still refresh (Settings → Sessions)."""
        current = session_of(request.auth) if request.auth is not None else None
        rows = [
            {**_session_fields(row), "current": str(row.sid) == current}
            for row in selectors.session_list(user=request.user)
        ]
        return Response(s.LoginSessionOutputSerializer(rows, many=True).data)


def _session_fields(row: LoginSession) -> dict[str, Any]:
    return {
        f: getattr(row, f)
        for f in ("sid", "created_at", "last_used_at", "expires_at", "ip", "user_agent")
    }


class SessionDetailApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="That login ended; its tokens are refused.")},
        tags=["auth"],
    )
    def delete(self, request: Request, sid: uuid.UUID) -> Response:
        services.session_end(user=request.user, sid=str(sid))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=s.PasswordChangeInputSerializer,
        responses={
            204: OpenApiResponse(
                description="Changed; every login of the user ended (sign in again)."
            )
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_change(user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
