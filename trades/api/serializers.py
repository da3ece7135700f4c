"""Trades API shapes. Writable serializers list their fields: owner, status, ids, money and
broker truth are read-only; credentials are write-only and never serialised back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from algobacktester.api.converters import MAX_ID
from algobacktester.api.fields import InstrumentRefField
from engine.graph.schema import UNDERLYINGS
from engine.options.legs import EXPIRY_CHOICES, STRIKE_MODES
from marketdata.models import Instrument

from ..brokers.registry import broker_class
from ..models import (
    BrokerAccount,
    Fill,
    Order,
    OrderAudit,
    OrderStatus,
    OrderType,
    Position,
    Product,
    Side,
)

PRICE = {"max_digits": 18, "decimal_places": 4, "min_value": Decimal("0.0001")}


class _Strict(serializers.Serializer):
    """A body with a key this endpoint does not take is a 400 naming it, never ignored."""

    read_only_keys: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields) - set(self.read_only_keys))
            if unknown:
                raise serializers.ValidationError(
                    {key: ["is not a field of this request"] for key in unknown}
                )
        return super().to_internal_value(data)


# --- accounts ------------------------------------------------------------------------------


class CredentialsField(serializers.DictField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.CharField(max_length=4096, trim_whitespace=True), **kwargs
        )


class BrokerAccountConnectSerializer(_Strict):
    broker = serializers.CharField(
        max_length=40, help_text="paper (default), dhan, or a plugin's name"
    )
    name = serializers.CharField(max_length=80)
    credentials = CredentialsField(
        required=False,
        write_only=True,
        help_text="Dhan: {client_id, access_token}. Stored encrypted, never returned.",
    )
    paper = serializers.DictField(
        required=False,
        help_text="Paper settings: starting_cash, slippage_bps, slippage_ticks, fee_model, margin, "
        "quote_max_age_seconds, square_off (HH:MM IST)",
    )
    risk = serializers.DictField(
        required=False,
        help_text="Risk limits: max_lots_per_order, daily_loss_limit, max_open_positions, "
        "allowed_instruments, trading_hours [HH:MM, HH:MM], max_orders_per_second",
    )


class BrokerAccountUpdateSerializer(_Strict):
    name = serializers.CharField(max_length=80, required=False)
    credentials = CredentialsField(required=False, write_only=True)
    paper = serializers.DictField(required=False)
    risk = serializers.DictField(required=False)


class PaperLedgerSerializer(serializers.Serializer):
    starting_cash = serializers.DecimalField(max_digits=18, decimal_places=2)
    cash = serializers.DecimalField(max_digits=18, decimal_places=2)
    margin_blocked = serializers.DecimalField(max_digits=18, decimal_places=2)
    realised_pnl = serializers.DecimalField(max_digits=18, decimal_places=2)
    unrealised_pnl = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    charges = serializers.DecimalField(max_digits=18, decimal_places=2)


class BrokerAccountSerializer(serializers.ModelSerializer):
    capabilities = serializers.SerializerMethodField()
    ledger = serializers.SerializerMethodField()

    class Meta:
        model = BrokerAccount
        fields = (
            "id",
            "name",
            "broker",
            "status",
            "trading_state",
            "state_reason",
            "broker_client_hint",
            "token_expires_at",
            "funds",
            "funds_at",
            "risk",
            "paper",
            "capabilities",
            "ledger",
            "reconciled_at",
            "created_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.DictField())
    def get_capabilities(self, account: BrokerAccount) -> dict[str, Any]:
        try:
            return broker_class(account.broker).capabilities.to_dict()
        except (LookupError, TypeError, ImportError):
            return {}

    @extend_schema_field(PaperLedgerSerializer(allow_null=True))
    def get_ledger(self, account: BrokerAccount) -> dict[str, Any] | None:
        ledger = (self.context.get("ledgers") or {}).get(account.pk)
        return PaperLedgerSerializer(ledger).data if ledger else None


class HaltSerializer(_Strict):
    reason = serializers.CharField(max_length=250, required=False, allow_blank=True)
    reducing = serializers.BooleanField(
        default=False, help_text="true: exits only (REDUCING) instead of HALTED"
    )


# --- orders -----------------------------------------------------------------------------------


class OptionLegShape(serializers.Serializer):
    """The documented shape of ``option_leg``; the engine's ``check_option_leg`` validates it."""

    underlying = serializers.ChoiceField(choices=UNDERLYINGS)
    option_type = serializers.ChoiceField(choices=Instrument.OptionType.choices)
    position = serializers.ChoiceField(
        choices=("buy", "sell"), required=False, help_text="optional; must agree with side"
    )
    expiry = serializers.CharField(
        required=False,
        help_text=f"{', '.join(EXPIRY_CHOICES)} (default current_week), weekly, monthly, "
        "or an expiry date YYYY-MM-DD",
    )
    strike = serializers.ChoiceField(
        choices=tuple(m for m in STRIKE_MODES if m != "delta_closest"),
        required=False,
        help_text="ATM (default) with offset ±n strikes; ITM/OTM n; premium_* and straddle_pct "
        "need fresh stored premiums of the chain",
    )
    offset = serializers.IntegerField(required=False, min_value=-100, max_value=100)
    premium = serializers.FloatField(required=False)
    percent = serializers.FloatField(required=False)
    atm_from = serializers.ChoiceField(choices=("spot", "futures"), required=False)


@extend_schema_field(OptionLegShape)
class OptionLegField(serializers.DictField):
    pass


class ExecuteSerializer(_Strict):
    account = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    instrument = InstrumentRefField(
        required=False,
        help_text='An instrument id, or its symbol: "NIFTY", "BSE:SENSEX"; or send option_leg '
        "instead (exactly one of the two)",
    )
    option_leg = OptionLegField(
        required=False,
        help_text="An option leg spec (an option_leg node's params) resolved now to a listed "
        "contract: spot from the underlying's latest stored one-minute close",
    )
    side = serializers.ChoiceField(choices=Side.choices)
    lots = serializers.IntegerField(min_value=1, max_value=100_000)
    order_type = serializers.ChoiceField(choices=OrderType.choices, default=OrderType.MARKET)
    product = serializers.ChoiceField(choices=Product.choices, default=Product.INTRADAY)
    price = serializers.DecimalField(**PRICE, required=False, allow_null=True)
    trigger_price = serializers.DecimalField(**PRICE, required=False, allow_null=True)
    strategy = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "instrument" in attrs and "option_leg" in attrs:
            raise serializers.ValidationError(
                {"option_leg": ["send instrument or option_leg, not both"]}
            )
        if "instrument" not in attrs and "option_leg" not in attrs:
            message = ["send one of instrument or option_leg"]
            raise serializers.ValidationError({"instrument": message, "option_leg": message})
        return attrs


class ModifySerializer(_Strict):
    lots = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    order_type = serializers.ChoiceField(choices=OrderType.choices, required=False)
    price = serializers.DecimalField(**PRICE, required=False)
    trigger_price = serializers.DecimalField(**PRICE, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                "send at least one of lots, order_type, price, trigger_price"
            )
        return attrs


class OrderSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    executed_price = serializers.DecimalField(
        source="average_price",
        max_digits=18,
        decimal_places=4,
        allow_null=True,
        read_only=True,
        help_text="Average fill price, once known",
    )
    status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)

    class Meta:
        model = Order
        fields = (
            "id",
            "client_id",
            "account",
            "instrument",
            "symbol",
            "strategy",
            "source",
            "side",
            "lots",
            "quantity",
            "order_type",
            "product",
            "price",
            "trigger_price",
            "slice",
            "status",
            "broker_status",
            "broker_order_id",
            "filled_quantity",
            "executed_price",
            "reason",
            "created_at",
            "updated_at",
            "submitted_at",
        )
        read_only_fields = fields


class LegResolutionSerializer(serializers.Serializer):
    spec = serializers.DictField(help_text="the leg as validated")
    underlying = serializers.CharField()
    spot = serializers.FloatField(help_text="the underlying's close the strike was chosen from")
    spot_at = serializers.DateTimeField(help_text="when that close was")
    expiry = serializers.DateField()
    strike = serializers.FloatField()
    option_type = serializers.CharField()
    symbol = serializers.CharField()
    instrument = serializers.IntegerField()


class ExecutedOrderSerializer(OrderSerializer):
    option_leg = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = (*OrderSerializer.Meta.fields, "option_leg")
        read_only_fields = fields

    @extend_schema_field(LegResolutionSerializer(allow_null=True))
    def get_option_leg(self, order: Order) -> dict[str, Any] | None:
        return self.context.get("option_leg")


class FillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Fill
        fields = (
            "broker_order_id",
            "trade_id",
            "quantity",
            "price",
            "charges",
            "realised_pnl",
            "ts",
        )
        read_only_fields = fields


class OrderAuditSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderAudit
        fields = ("action", "actor", "request_id", "data", "at")
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    fills = FillSerializer(many=True, read_only=True)
    audit = OrderAuditSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = (*OrderSerializer.Meta.fields, "fills", "audit")
        read_only_fields = fields


# --- positions ----------------------------------------------------------------------------------


class PositionSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)

    class Meta:
        model = Position
        fields = (
            "id",
            "account",
            "instrument",
            "symbol",
            "product",
            "net_quantity",
            "average_price",
            "realised_pnl",
            "charges",
            "updated_at",
        )
        read_only_fields = fields


class SquareOffSerializer(_Strict):
    all = serializers.BooleanField(default=False, help_text="true: every open position")
    account = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    instrument = InstrumentRefField(required=False)
    product = serializers.ChoiceField(choices=Product.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        narrowed = any(k in attrs for k in ("account", "instrument", "product"))
        if attrs["all"] == narrowed:
            raise serializers.ValidationError(
                {"all": ["send all=true for every position, or account/instrument/product for one"]}
            )
        return attrs


class SquareOffResultSerializer(serializers.Serializer):
    orders = OrderSerializer(many=True)


# --- analytics ---------------------------------------------------------------------------------


class AnalyticsGroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    trades = serializers.IntegerField()
    wins = serializers.IntegerField()
    pnl = serializers.FloatField()


class AnalyticsSummarySerializer(serializers.Serializer):
    trades = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    net_pnl = serializers.FloatField()
    gross_profit = serializers.FloatField()
    gross_loss = serializers.FloatField()
    win_rate = serializers.FloatField(allow_null=True, help_text="percent")
    profit_factor = serializers.FloatField(allow_null=True)
    expectancy = serializers.FloatField(allow_null=True, help_text="average P&L per trade")
    average_win = serializers.FloatField(allow_null=True)
    average_loss = serializers.FloatField(allow_null=True)
    max_drawdown = serializers.FloatField()
    longest_win_streak = serializers.IntegerField()
    longest_loss_streak = serializers.IntegerField()
    current_streak = serializers.IntegerField(help_text="+n wins or -n losses in a row, now")


class AnalyticsSerializer(serializers.Serializer):
    source = serializers.CharField(help_text='"live" or "backtest"')
    summary = AnalyticsSummarySerializer()
    by_day = AnalyticsGroupSerializer(many=True)
    by_weekday = AnalyticsGroupSerializer(many=True)
    by_hour = AnalyticsGroupSerializer(many=True)
    by_strategy = AnalyticsGroupSerializer(many=True)
    by_instrument = AnalyticsGroupSerializer(many=True)
