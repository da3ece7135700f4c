"""Trades API: thin views over trades.services and trades.selectors (user-scoped)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from algobacktester.api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from algobacktester.api.params import id_param
from marketdata import selectors as md

from .. import analytics, selectors
from ..brokers.paper import quote_from_candles
from ..models import OrderStatus
from ..services import accounts as account_services
from ..services import legs as leg_services
from ..services import orders as order_services
from ..services.polling import paper_refresh_on_read
from . import serializers as s

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


def _actor(request: Request) -> str:
    return f"user:{request.user.pk}"


def _time_param(request: Request, name: str) -> Any:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    parsed = None
    try:
        parsed = parse_datetime(raw)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError(
            {name: ["must be an ISO 8601 time with an offset, e.g. 2026-06-01T09:15:00+05:30"]}
        )
    return parsed


def _ledgers(accounts: list[Any]) -> dict[int, dict[str, Any]]:
    """Paper ledgers with unrealised P&L marked at the last stored price."""
    out = {}
    for account in accounts:
        ledger = selectors.ledger_of(account=account)
        if ledger is None:
            continue
        out[account.pk] = {
            "starting_cash": ledger.starting_cash,
            "cash": ledger.cash,
            "margin_blocked": ledger.margin_blocked,
            "realised_pnl": ledger.realised_pnl,
            "unrealised_pnl": _unrealised(account),
            "charges": ledger.charges,
        }
    return out


def _unrealised(account: Any) -> Decimal | None:
    from django.utils import timezone

    total = Decimal("0")
    for position in selectors.position_list(user=account.owner, account_id=account.pk):
        quote = quote_from_candles(position.instrument_id, at=timezone.now())
        if quote is None:
            return None
        mark = Decimal(str(quote.last))
        total += (mark - position.average_price) * position.net_quantity
    return total.quantize(Decimal("0.01"))


def _account_body(account: Any) -> dict[str, Any]:
    return dict(s.BrokerAccountSerializer(account, context={"ledgers": _ledgers([account])}).data)


# --- accounts -----------------------------------------------------------------------------------


class AccountListApi(APIView):
    @extend_schema(
        tags=["trades"],
        responses={200: paginated(s.BrokerAccountSerializer)},
        parameters=PAGE_PARAMETERS,
    )
    def get(self, request: Request) -> Response:
        paper_refresh_on_read(user=request.user)
        qs = selectors.account_list(user=request.user)
        response = paginated_response(
            request=request, view=self, queryset=qs, serializer=s.BrokerAccountSerializer
        )
        ledgers = _ledgers(list(qs.filter(pk__in=[r["id"] for r in response.data["results"]])))
        for row in response.data["results"]:
            if row["id"] in ledgers:
                row["ledger"] = s.PaperLedgerSerializer(ledgers[row["id"]]).data
        return response

    @extend_schema(
        tags=["trades"],
        request=s.BrokerAccountConnectSerializer,
        responses={201: s.BrokerAccountSerializer, 409: None, 503: None},
    )
    def post(self, request: Request) -> Response:
        data = s.BrokerAccountConnectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = account_services.account_connect(user=request.user, **data.validated_data)
        return Response(_account_body(account), status=status.HTTP_201_CREATED)


class AccountDetailApi(APIView):
    @extend_schema(tags=["trades"], responses={200: s.BrokerAccountSerializer})
    def get(self, request: Request, account_id: int) -> Response:
        return Response(
            _account_body(selectors.account_get(user=request.user, account_id=account_id))
        )

    @extend_schema(
        tags=["trades"],
        request=s.BrokerAccountUpdateSerializer,
        responses={200: s.BrokerAccountSerializer, 409: None, 503: None},
    )
    def patch(self, request: Request, account_id: int) -> Response:
        account = selectors.account_get(user=request.user, account_id=account_id)
        data = s.BrokerAccountUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = account_services.account_update(account=account, **data.validated_data)
        return Response(_account_body(account))

    @extend_schema(tags=["trades"], responses={204: None, 409: None})
    def delete(self, request: Request, account_id: int) -> Response:
        account_services.account_delete(
            account=selectors.account_get(user=request.user, account_id=account_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountHaltApi(APIView):
    @extend_schema(
        tags=["trades"],
        request=s.HaltSerializer,
        responses={200: s.BrokerAccountSerializer, 503: None},
        description="HALTED: the gate refuses every order and the broker's kill switch is "
        "engaged where it has one. reducing=true: exits only.",
    )
    def post(self, request: Request, account_id: int) -> Response:
        account = selectors.account_get(user=request.user, account_id=account_id)
        data = s.HaltSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = account_services.account_halt(
            account=account,
            actor=_actor(request),
            reason=data.validated_data.get("reason", ""),
            reducing=data.validated_data["reducing"],
        )
        return Response(_account_body(account))


class AccountTestApi(APIView):
    @extend_schema(
        tags=["trades"],
        request=None,
        responses={
            200: s.BrokerAccountSerializer,
            403: None,
            404: None,
            409: None,
            502: None,
            503: None,
        },
        description="Test the stored credentials: the broker's funds call. 200 records the "
        "funds, the token's expiry and status connected; 409 (code credentials_refused) when "
        "the broker refuses the token (the account becomes token_expired); 502 when the broker "
        "fails otherwise; 503 when the stored credentials cannot be decrypted.",
    )
    def post(self, request: Request, account_id: int) -> Response:
        account = selectors.account_get(user=request.user, account_id=account_id)
        return Response(_account_body(account_services.account_test(account=account)))


class AccountResumeApi(APIView):
    @extend_schema(
        tags=["trades"],
        request=None,
        responses={200: s.BrokerAccountSerializer, 409: None, 503: None},
    )
    def post(self, request: Request, account_id: int) -> Response:
        account = selectors.account_get(user=request.user, account_id=account_id)
        account = account_services.account_resume(account=account, actor=_actor(request))
        return Response(_account_body(account))


# --- orders --------------------------------------------------------------------------------------


class ExecuteApi(APIView):
    @extend_schema(
        tags=["trades"],
        request=s.ExecuteSerializer,
        responses={
            201: s.ExecutedOrderSerializer,
            200: s.ExecutedOrderSerializer,
            400: None,
            404: None,
            409: None,
            503: None,
        },
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                location=OpenApiParameter.HEADER,
                description="The same key returns the same order (200) instead of placing another",
            )
        ],
        description="Runs the pre-trade risk gate (a refusal is a 409, or 429 for the order rate, "
        "whose code names the rule), writes the order with a fresh client id and posts it once. "
        "201 with the order; its executed_price once it filled. Send instrument, or option_leg "
        "(an option_leg node's spec) to trade the listed contract it resolves to now; the "
        "response's option_leg then says what was resolved (contract, spot and its time).",
    )
    def post(self, request: Request) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if key and not _KEY.match(key):
            raise ValidationError({IDEMPOTENCY_HEADER: ["1-100 characters of A-Z a-z 0-9 . _ : -"]})
        data = s.ExecuteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        common = {
            "user": request.user,
            "account_id": v["account"],
            "side": v["side"],
            "lots": v["lots"],
            "order_type": v["order_type"],
            "product": v["product"],
            "price": v.get("price"),
            "trigger_price": v.get("trigger_price"),
            "strategy_id": v.get("strategy"),
            "idempotency_key": key,
            "actor": _actor(request),
        }
        leg = None
        if "option_leg" in v:
            order, created, leg = leg_services.order_execute_leg(leg=v["option_leg"], **common)
        else:
            order, created = order_services.order_execute(instrument_ref=v["instrument"], **common)
        order.refresh_from_db()
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        body = s.ExecutedOrderSerializer(order, context={"option_leg": leg}).data
        return Response(body, status=code)


class OrderListApi(APIView):
    @extend_schema(
        tags=["trades"],
        responses={200: paginated(s.OrderSerializer)},
        parameters=[
            OpenApiParameter("account", int),
            OpenApiParameter("status", str, enum=OrderStatus.values),
            OpenApiParameter("instrument", str, description="An instrument id or symbol"),
            OpenApiParameter("strategy", int),
            OpenApiParameter(
                "since", str, description="Created at or after (ISO 8601 with offset)"
            ),
            OpenApiParameter("until", str, description="Created before (ISO 8601 with offset)"),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request) -> Response:
        paper_refresh_on_read(user=request.user)
        state = request.query_params.get("status")
        if state and state not in OrderStatus.values:
            raise ValidationError({"status": [f"must be one of {', '.join(OrderStatus.values)}"]})
        instrument = request.query_params.get("instrument")
        instrument_id = None
        if instrument:
            ref: int | str = (
                int(instrument) if instrument.isdigit() and len(instrument) < 19 else instrument
            )
            instrument_id = md.instrument_by_ref(ref=ref).pk
        qs = selectors.order_list(
            user=request.user,
            account_id=id_param(request, "account"),
            status=state,
            instrument_id=instrument_id,
            strategy_id=id_param(request, "strategy"),
            since=_time_param(request, "since"),
            until=_time_param(request, "until"),
        )
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=s.OrderSerializer
        )


class OrderDetailApi(APIView):
    @extend_schema(tags=["trades"], responses={200: s.OrderDetailSerializer})
    def get(self, request: Request, order_id: int) -> Response:
        paper_refresh_on_read(user=request.user)
        return Response(
            s.OrderDetailSerializer(selectors.order_get(user=request.user, order_id=order_id)).data
        )


class OrderCancelApi(APIView):
    @extend_schema(
        tags=["trades"], request=None, responses={200: s.OrderSerializer, 409: None, 503: None}
    )
    def post(self, request: Request, order_id: int) -> Response:
        order = selectors.order_get(user=request.user, order_id=order_id)
        order = order_services.order_cancel(order=order, actor=_actor(request))
        return Response(s.OrderSerializer(order).data)


class OrderModifyApi(APIView):
    @extend_schema(
        tags=["trades"],
        request=s.ModifySerializer,
        responses={200: s.OrderSerializer, 409: None, 503: None},
    )
    def post(self, request: Request, order_id: int) -> Response:
        order = selectors.order_get(user=request.user, order_id=order_id)
        data = s.ModifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_services.order_modify(
            order=order, actor=_actor(request), **data.validated_data
        )
        return Response(s.OrderSerializer(order).data)


# --- positions ----------------------------------------------------------------------------------


class PositionListApi(APIView):
    @extend_schema(
        tags=["trades"],
        responses={200: paginated(s.PositionSerializer)},
        parameters=[
            OpenApiParameter("account", int),
            OpenApiParameter("closed", bool, description="true: include closed (flat) positions"),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request) -> Response:
        paper_refresh_on_read(user=request.user)
        account_id = id_param(request, "account")
        if account_id is not None:
            selectors.account_get(user=request.user, account_id=account_id)  # a 404 if not theirs
        closed = request.query_params.get("closed") in ("1", "true")
        qs = selectors.position_list(user=request.user, account_id=account_id, open_only=not closed)
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=s.PositionSerializer
        )


class SquareOffApi(APIView):
    @extend_schema(
        tags=["trades"],
        request=s.SquareOffSerializer,
        responses={200: s.SquareOffResultSerializer, 404: None, 409: None, 503: None},
    )
    def post(self, request: Request) -> Response:
        data = s.SquareOffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        instrument_id = md.instrument_by_ref(ref=v["instrument"]).pk if "instrument" in v else None
        orders = order_services.positions_square_off(
            user=request.user,
            actor=_actor(request),
            account_id=v.get("account"),
            instrument_id=instrument_id,
            product=v.get("product"),
        )
        for order in orders:
            order.refresh_from_db()
        return Response({"orders": s.OrderSerializer(orders, many=True).data})


# --- analytics ----------------------------------------------------------------------------------


class AnalyticsApi(APIView):
    @extend_schema(
        tags=["trades"],
        responses={200: s.AnalyticsSerializer, 404: None},
        parameters=[
            OpenApiParameter("account", int),
            OpenApiParameter("strategy", int),
            OpenApiParameter("backtest", int, description="A backtest's trades, in the same shape"),
        ],
        description="Round trips (flat to flat) of your fills, or of one backtest: P&L by IST "
        "day, weekday, hour of exit, strategy and instrument; win rate, profit factor, "
        "expectancy, max drawdown and streaks.",
    )
    def get(self, request: Request) -> Response:
        backtest = id_param(request, "backtest")
        account, strategy = id_param(request, "account"), id_param(request, "strategy")
        if backtest is not None and (account is not None or strategy is not None):
            raise ValidationError({"backtest": ["cannot be combined with account or strategy"]})
        if account is not None:
            selectors.account_get(user=request.user, account_id=account)
        source, trips = selectors.analytics_trips(
            user=request.user, account_id=account, strategy_id=strategy, backtest_id=backtest
        )
        return Response({"source": source, **analytics.analytics(trips)})
