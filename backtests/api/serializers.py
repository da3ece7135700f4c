from __future__ import annotations

from typing import Any

from rest_framework import serializers

from algobacktester.api.converters import MAX_ID

from ..models import BacktestRun, BacktestSweep, BacktestTrade
from .config import RunConfigSerializer


class BacktestRequestSerializer(RunConfigSerializer):
    strategy = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False,
                                       help_text="Strategy version to pin (default: current)")  # fmt: skip
    instrument = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    timeframe = serializers.CharField(max_length=8, required=False,
                                      help_text="Must match the strategy's timeframe (default)")  # fmt: skip
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["must be on or after start"]})
        return attrs


CONFIG_FIELDS = tuple(RunConfigSerializer().fields)


def split_request(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(run fields, config fields) of a validated request."""
    config = {k: v for k, v in data.items() if k in CONFIG_FIELDS}
    return {k: v for k, v in data.items() if k not in CONFIG_FIELDS}, config


class TradeSerializer(serializers.ModelSerializer):
    class Meta:
        model = BacktestTrade
        fields = ("seq", "side", "entry_time", "exit_time", "entry_price", "exit_price", "quantity",
                  "pnl", "return_pct", "charges", "charges_breakdown", "exit_reason", "bars_held")  # fmt: skip
        read_only_fields = fields


class RunListSerializer(serializers.ModelSerializer):
    strategy_name = serializers.CharField(source="strategy_version.strategy_name", read_only=True)
    version = serializers.IntegerField(source="strategy_version.number", read_only=True)
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    return_pct = serializers.SerializerMethodField()

    class Meta:
        model = BacktestRun
        fields = ("id", "status", "progress", "strategy", "strategy_name", "version", "instrument",
                  "symbol", "timeframe", "start", "end", "return_pct", "error", "created_at",
                  "finished_at")  # fmt: skip
        read_only_fields = fields

    def get_return_pct(self, run: BacktestRun) -> float | None:
        return (run.stats or {}).get("return_pct")


class RunDetailSerializer(RunListSerializer):
    strategy_version = serializers.SerializerMethodField()

    class Meta(RunListSerializer.Meta):
        fields = (*RunListSerializer.Meta.fields, "strategy_version", "config", "stats", "bars",
                  "data_hash", "engine_version", "attempt", "duration_ms", "started_at",
                  "equity_curve", "drawdown_curve", "rejections", "rerun_of")  # fmt: skip
        read_only_fields = fields

    def get_strategy_version(self, run: BacktestRun) -> dict[str, Any]:
        v = run.strategy_version
        return {"id": v.pk, "number": v.number, "graph_hash": v.graph_hash, "name": v.strategy_name}


class RunAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    url = serializers.CharField()


class SweepRequestSerializer(RunConfigSerializer):
    strategy = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    instrument = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    start = serializers.DateField()
    end = serializers.DateField()
    grid = serializers.JSONField(help_text='{"ma_fast.timeperiod": {"start": 5, "stop": 53, "step": 2}, '
                                           '"ma_slow.timeperiod": [10, 20, 50]}')  # fmt: skip
    constraint = serializers.CharField(max_length=200, required=False,
                                       help_text="e.g. ma_fast.timeperiod < ma_slow.timeperiod")  # fmt: skip
    metric = serializers.CharField(max_length=40, default="sharpe")


class SweepSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True)

    class Meta:
        model = BacktestSweep
        fields = ("id", "status", "progress", "strategy", "strategy_version", "instrument", "timeframe",
                  "start", "end", "grid", "metric", "combinations", "chunks_total", "chunks_done",
                  "error", "best", "created_at", "finished_at")  # fmt: skip
        read_only_fields = fields


class SweepDetailSerializer(SweepSerializer):
    class Meta(SweepSerializer.Meta):
        fields = (
            *SweepSerializer.Meta.fields,
            "config",
            "results",
            "heatmap",
            "data_hash",
            "engine_version",
        )
        read_only_fields = fields
