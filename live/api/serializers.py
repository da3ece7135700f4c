from __future__ import annotations

from typing import Any

from rest_framework import serializers

from algobacktester.api.converters import MAX_ID
from algobacktester.api.fields import InstrumentRefField

from ..models import LiveSession, SessionEvent


class ReplaySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(required=False)
    speed = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=100_000,
        help_text="Times real time; 0 plays as fast as possible.",
    )


class SessionCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    strategy = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    account = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    instrument = InstrumentRefField()
    timeframe = serializers.CharField(max_length=8, required=False)
    lots = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    capital = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=1, required=False)
    risk_overrides = serializers.DictField(required=False)
    schedule = serializers.DictField(
        required=False,
        help_text='{"start": "09:05", "stop": "15:35", "muhurat": false}: IST times, '
        "start before the open, stop after the square-off (docs/live.md).",
    )
    feed = serializers.ChoiceField(choices=LiveSession.Feed.values, required=False)
    replay = ReplaySerializer(required=False)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = set(data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError({sorted(unknown)[0]: ["unknown field"]})
        return super().to_internal_value(data)


class SessionSerializer(serializers.ModelSerializer):
    strategy = serializers.IntegerField(source="strategy_version.strategy_id", read_only=True)
    version = serializers.IntegerField(source="strategy_version.number", read_only=True)
    instrument = serializers.CharField(source="instrument.symbol", read_only=True)
    capital = serializers.SerializerMethodField()
    last_signal = serializers.SerializerMethodField()
    indicators = serializers.SerializerMethodField()

    class Meta:
        model = LiveSession
        fields = (
            "id",
            "name",
            "strategy",
            "version",
            "account",
            "instrument",
            "timeframe",
            "lots",
            "capital",
            "risk_overrides",
            "schedule",
            "schedule_day",
            "feed",
            "replay",
            "status",
            "status_reason",
            "position",
            "average_price",
            "levels",
            "day_pnl",
            "last_bar",
            "steps",
            "last_signal",
            "indicators",
            "started_at",
            "stopped_at",
            "created_at",
        )
        read_only_fields = fields

    def get_capital(self, obj: LiveSession) -> str:
        return str(obj.state.get("capital", ""))

    def get_last_signal(self, obj: LiveSession) -> dict[str, Any] | None:
        return obj.state.get("last_signal")

    def get_indicators(self, obj: LiveSession) -> dict[str, float | None]:
        return obj.state.get("values", {})


class SessionEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionEvent
        fields = ("id", "kind", "bar_ts", "message", "data", "at")
        read_only_fields = fields


class SessionOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_id = serializers.CharField()
    side = serializers.CharField()
    lots = serializers.IntegerField()
    quantity = serializers.IntegerField()
    order_type = serializers.CharField()
    status = serializers.CharField()
    filled_quantity = serializers.IntegerField()
    average_price = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class DriftTradeSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=("long", "short"))
    quantity = serializers.FloatField(help_text="Units.")
    entry_time = serializers.DateTimeField()
    entry_price = serializers.FloatField(allow_null=True, help_text="The broker's fill.")
    exit_time = serializers.DateTimeField(allow_null=True)
    exit_price = serializers.FloatField(allow_null=True)
    exit_reason = serializers.CharField(allow_null=True)


class DriftMatchedTradeSerializer(DriftTradeSerializer):
    backtest_entry_price = serializers.FloatField()
    backtest_exit_price = serializers.FloatField(allow_null=True)
    backtest_exit_reason = serializers.CharField(allow_null=True)
    backtest_exit_time = serializers.DateTimeField(allow_null=True)
    entry_slippage = serializers.FloatField(
        allow_null=True, help_text="Points the entry fill was worse than the backtest's."
    )
    exit_slippage = serializers.FloatField(allow_null=True)
    slippage = serializers.FloatField(help_text="Rupees lost to slippage (points x quantity).")
    pnl_live = serializers.FloatField(allow_null=True, help_text="Gross, at the broker's fills.")
    pnl_backtest = serializers.FloatField(allow_null=True)
    pnl_difference = serializers.FloatField(allow_null=True)


class DriftSummarySerializer(serializers.Serializer):
    live_trades = serializers.IntegerField()
    backtest_trades = serializers.IntegerField()
    matched = serializers.IntegerField()
    unmatched_live = serializers.IntegerField()
    unmatched_backtest = serializers.IntegerField()
    pnl_live = serializers.FloatField()
    pnl_backtest = serializers.FloatField()
    pnl_difference = serializers.FloatField()
    slippage = serializers.FloatField()
    charges_live = serializers.FloatField()


class DriftReportSerializer(serializers.Serializer):
    session = serializers.IntegerField(source="session_id")
    day = serializers.DateField()
    bars = serializers.IntegerField(help_text="The session's bars that day.")
    built_at = serializers.DateTimeField()
    summary = DriftSummarySerializer(source="report.summary")
    trades = DriftMatchedTradeSerializer(many=True, source="report.trades")
    unmatched_live = DriftTradeSerializer(many=True, source="report.unmatched_live")
    unmatched_backtest = DriftTradeSerializer(many=True, source="report.unmatched_backtest")
