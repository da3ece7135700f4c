"""Live sessions API: thin views over live.services and live.selectors (owner only)."""

from __future__ import annotations

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from algobacktester.api.pagination import PAGE_PARAMETERS, paginated, paginated_response

from .. import selectors, services
from ..drift import drift_get
from ..models import LiveSession, SessionEvent
from . import serializers as s

TAGS = ["live"]


class SessionListApi(APIView):
    @extend_schema(
        tags=TAGS,
        responses={200: paginated(s.SessionSerializer)},
        parameters=[
            OpenApiParameter("status", str, enum=LiveSession.Status.values),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request) -> Response:
        state = request.query_params.get("status")
        if state and state not in LiveSession.Status.values:
            raise ValidationError(
                {"status": [f"must be one of {', '.join(LiveSession.Status.values)}"]}
            )
        qs = selectors.session_list(user=request.user, status=state)
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=s.SessionSerializer
        )

    @extend_schema(
        tags=TAGS,
        request=s.SessionCreateSerializer,
        responses={201: s.SessionSerializer, 404: None},  # 404: not your strategy or account
    )
    def post(self, request: Request) -> Response:
        data = s.SessionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        replay = v.get("replay")
        if replay is not None:
            replay = {
                k: (x.isoformat() if hasattr(x, "isoformat") else x) for k, x in replay.items()
            }
        session = services.session_create(
            user=request.user,
            strategy_id=v["strategy"],
            version=v.get("version"),
            account_id=v["account"],
            instrument_ref=v["instrument"],
            timeframe=v.get("timeframe"),
            lots=v.get("lots", 1),
            capital=v.get("capital"),
            risk_overrides=v.get("risk_overrides"),
            schedule=v.get("schedule"),
            feed=v.get("feed", LiveSession.Feed.REPLAY),
            replay=replay,
            name=v.get("name", ""),
        )
        return Response(s.SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    @extend_schema(tags=TAGS, responses={200: s.SessionSerializer})
    def get(self, request: Request, session_id: int) -> Response:
        session = selectors.session_get(user=request.user, session_id=session_id)
        return Response(s.SessionSerializer(session).data)

    @extend_schema(tags=TAGS, responses={204: None, 409: None})
    def delete(self, request: Request, session_id: int) -> Response:
        session = selectors.session_get(user=request.user, session_id=session_id)
        services.session_delete(session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _control(action: str):  # type: ignore[no-untyped-def]
    act = {
        "start": services.session_start,
        "pause": services.session_pause,
        "stop": services.session_stop,
        "square-off": services.session_square_off,
    }[action]

    class ControlApi(APIView):
        @extend_schema(
            tags=TAGS,
            request=None,
            responses={200: s.SessionSerializer, 409: None},
            operation_id=f"live_session_{action.replace('-', '_')}",
        )
        def post(self, request: Request, session_id: int) -> Response:
            session = selectors.session_get(user=request.user, session_id=session_id)
            return Response(s.SessionSerializer(act(session=session)).data)

    ControlApi.__name__ = f"Session{action.title().replace('-', '')}Api"
    return ControlApi


SessionStartApi = _control("start")
SessionPauseApi = _control("pause")
SessionStopApi = _control("stop")
SessionSquareOffApi = _control("square-off")


class SessionEventsApi(APIView):
    @extend_schema(
        tags=TAGS,
        responses={200: paginated(s.SessionEventSerializer)},
        parameters=[OpenApiParameter("kind", str, enum=SessionEvent.Kind.values), *PAGE_PARAMETERS],
    )
    def get(self, request: Request, session_id: int) -> Response:
        session = selectors.session_get(user=request.user, session_id=session_id)
        kind = request.query_params.get("kind")
        if kind and kind not in SessionEvent.Kind.values:
            raise ValidationError(
                {"kind": [f"must be one of {', '.join(SessionEvent.Kind.values)}"]}
            )
        qs = selectors.session_events(session=session, kind=kind)
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=s.SessionEventSerializer
        )


class SessionOrdersApi(APIView):
    @extend_schema(
        tags=TAGS, responses={200: paginated(s.SessionOrderSerializer)}, parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request, session_id: int) -> Response:
        session = selectors.session_get(user=request.user, session_id=session_id)
        qs = selectors.session_orders(session=session)
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=s.SessionOrderSerializer
        )


class SessionDriftApi(APIView):
    @extend_schema(
        tags=TAGS,
        responses={200: s.DriftReportSerializer, 404: None},
        parameters=[
            OpenApiParameter(
                "day",
                OpenApiTypes.DATE,
                description="The IST session day (YYYY-MM-DD); default the session's last day.",
            )
        ],
    )
    def get(self, request: Request, session_id: int) -> Response:
        session = selectors.session_get(user=request.user, session_id=session_id)
        raw = request.query_params.get("day")
        day = None
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError as exc:
                raise ValidationError({"day": ["a date, YYYY-MM-DD"]}) from exc
        report = drift_get(session=session, day=day)
        return Response(s.DriftReportSerializer(report).data)
