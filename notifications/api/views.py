"""Notifications API under /api/notifications: thin views over services and selectors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from algobacktester.api.pagination import PAGE_PARAMETERS, paginated, paginated_response

from .. import selectors, services
from ..models import AlertRule, NotificationPreference
from ..services.preferences import preferences_get_or_create
from . import serializers as s

TAGS = ["notifications"]
ERROR = OpenApiResponse(description="Error: {detail, code, errors: [{field, message, code}]}")


def _data(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": ["the body must be a JSON object"]})
    return request.data


def _rule_response(rule: AlertRule, code: int = status.HTTP_200_OK) -> Response:
    return Response(s.RuleOutputSerializer(rule).data, status=code)


def _rule_create(request: Request) -> Response:
    data = s.RuleInputSerializer(data=_data(request))
    data.is_valid(raise_exception=True)
    fields = dict(data.validated_data)
    fields.pop("rotate_webhook_secret", None)
    rule = services.rule_create(user=request.user, **fields)
    return _rule_response(rule, status.HTTP_201_CREATED)


class AlertsApi(APIView):
    """One endpoint, two meanings, told apart by the body: with ``message`` it sends an
    alert now; without it, the body is an alert rule to create (as ``POST rules``)."""

    @extend_schema(
        request=PolymorphicProxySerializer(
            component_name="AlertsRequest",
            serializers=[s.AlertSendInputSerializer, s.RuleInputSerializer],
            resource_type_field_name=None,
        ),
        responses={
            202: s.AlertSendOutputSerializer,
            201: s.RuleOutputSerializer,
            400: ERROR,
            429: ERROR,
        },
        tags=TAGS,
        description="Body with `message`: send now on `channels` (202, deliveries). "
        "Body without `message`: create an alert rule (201), same as POST rules. "
        "Over the daily SMS/email quota: 429 naming `channels`.",
    )
    def post(self, request: Request) -> Response:
        if "message" not in _data(request):
            return _rule_create(request)
        data = s.AlertSendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deliveries = services.alert_send(user=request.user, **data.validated_data)
        body = s.AlertSendOutputSerializer({"deliveries": deliveries}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class HistoryApi(APIView):
    @extend_schema(
        parameters=[
            s.HistoryFilterSerializer,
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated(s.DeliveryOutputSerializer), 400: ERROR},
        tags=TAGS,
        description="Deliveries, newest first; filter by channel, status and rule id.",
    )
    def get(self, request: Request) -> Response:
        filters = s.HistoryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        qs = selectors.delivery_list(
            user=request.user,
            channel=f.get("channel"),
            status=f.get("status"),
            rule_id=f.get("rule"),
        )
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=s.DeliveryOutputSerializer
        )


class RuleListApi(APIView):
    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(s.RuleOutputSerializer)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        qs = selectors.rule_list(user=request.user)
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=s.RuleOutputSerializer
        )

    @extend_schema(
        request=s.RuleInputSerializer,
        responses={201: s.RuleOutputSerializer, 400: ERROR},
        tags=TAGS,
        description="Create a rule. A `webhook_url` on the rule creates its signing secret, "
        "returned once as `webhook_secret`.",
    )
    def post(self, request: Request) -> Response:
        return _rule_create(request)


class RuleDetailApi(APIView):
    @extend_schema(responses={200: s.RuleOutputSerializer, 404: ERROR}, tags=TAGS)
    def get(self, request: Request, rule_id: int) -> Response:
        return _rule_response(selectors.rule_get(user=request.user, rule_id=rule_id))

    @extend_schema(
        request=s.RuleUpdateInputSerializer,
        responses={200: s.RuleOutputSerializer, 400: ERROR, 404: ERROR},
        tags=TAGS,
    )
    def patch(self, request: Request, rule_id: int) -> Response:
        rule = selectors.rule_get(user=request.user, rule_id=rule_id)
        data = s.RuleUpdateInputSerializer(rule, data=_data(request), partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        rotate = fields.pop("rotate_webhook_secret", False)
        rule = services.rule_update(
            rule=rule, user=request.user, data=fields, rotate_webhook_secret=rotate
        )
        return _rule_response(rule)

    @extend_schema(responses={204: None, 404: ERROR}, tags=TAGS)
    def delete(self, request: Request, rule_id: int) -> Response:
        services.rule_delete(rule=selectors.rule_get(user=request.user, rule_id=rule_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _preferences_response(request: Request, prefs: NotificationPreference) -> Response:
    context = {
        "event_channels": selectors.event_channels_for(user=request.user, preferences=prefs),
        "quota": selectors.quota_usage(user=request.user),
    }
    return Response(s.PreferencesOutputSerializer(prefs, context=context).data)


class PreferencesApi(APIView):
    @extend_schema(responses={200: s.PreferencesOutputSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        return _preferences_response(request, selectors.preferences_for(user=request.user))

    @extend_schema(
        request=s.PreferencesInputSerializer,
        responses={200: s.PreferencesOutputSerializer, 400: ERROR},
        tags=TAGS,
        description="Partial update. The phone is set only through phone/verify.",
    )
    def patch(self, request: Request) -> Response:
        data = s.PreferencesInputSerializer(data=_data(request), partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        rotate = fields.pop("rotate_webhook_secret", False)
        prefs = services.preferences_update(
            user=request.user, data=fields, rotate_webhook_secret=rotate
        )
        return _preferences_response(request, prefs)


class PhoneVerifyApi(APIView):
    @extend_schema(
        request=s.PhoneVerifyInputSerializer,
        responses={
            202: s.PhoneVerifySentSerializer,
            200: s.PreferencesOutputSerializer,
            400: ERROR,
            429: ERROR,
            503: ERROR,
        },
        tags=TAGS,
        description="`{phone}` texts a 6-digit code (202). `{phone, code}` confirms it (200): "
        "the number becomes the verified SMS destination. Codes expire in 10 minutes and "
        "allow 5 attempts.",
    )
    def post(self, request: Request) -> Response:
        data = s.PhoneVerifyInputSerializer(data=_data(request))
        data.is_valid(raise_exception=True)
        phone, code = data.validated_data["phone"], data.validated_data.get("code")
        if code:
            prefs = services.phone_verification_confirm(user=request.user, phone=phone, code=code)
            return _preferences_response(request, prefs)
        preferences_get_or_create(user=request.user)
        verification = services.phone_verification_start(user=request.user, phone=phone)
        body = {"sent": True, "phone": phone, "expires_at": verification.expires_at}
        return Response(s.PhoneVerifySentSerializer(body).data, status=status.HTTP_202_ACCEPTED)
