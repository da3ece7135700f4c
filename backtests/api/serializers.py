from __future__ import annotations

import re
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from algobacktester.api.converters import MAX_ID
from algobacktester.api.fields import InstrumentRefField, TradingDateField
from algobacktester.text import printable

from .. import presentation
from ..models import BacktestRun, BacktestSweep, BacktestTrade
from .config import RunConfigSerializer


class BacktestRequestSerializer(RunConfigSerializer):
    strategy = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Strategy version to pin (default: current)",
    )
    instrument = InstrumentRefField()
    timeframe = serializers.CharField(
        max_length=8, required=False, help_text="Must match the strategy's timeframe (default)"
    )
    start = TradingDateField()
    end = TradingDateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["must be on or after start"]})
        return super().validate(attrs)  # the config's own checks (end_of_data)


CONFIG_FIELDS = tuple(RunConfigSerializer().fields)


def split_request(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(run fields, config fields) of a validated request."""
    config = {k: v for k, v in data.items() if k in CONFIG_FIELDS}
    return {k: v for k, v in data.items() if k not in CONFIG_FIELDS}, config


class TradeDisplaySerializer(serializers.Serializer):
    entry_price = serializers.CharField(help_text="rounded to the instrument's tick")
    exit_price = serializers.CharField()
    pnl = serializers.CharField(help_text="rupees, to the paisa")
    charges = serializers.CharField()
    return_pct = serializers.CharField(allow_null=True, help_text="2 decimals")


class TradeSerializer(serializers.ModelSerializer):
    """Raw values as stored, and ``display``: the same rounded for people."""

    display = serializers.SerializerMethodField()

    class Meta:
        model = BacktestTrade
        fields = (
            "seq",
            "side",
            "entry_time",
            "exit_time",
            "entry_price",
            "exit_price",
            "quantity",
            "pnl",
            "return_pct",
            "charges",
            "charges_breakdown",
            "exit_reason",
            "bars_held",
            "option",
            "display",
        )
        read_only_fields = fields

    @extend_schema_field(TradeDisplaySerializer)
    def get_display(self, trade: BacktestTrade) -> dict[str, Any]:
        tick = self.context.get("tick_size", "0.05")
        raw = {
            k: getattr(trade, k)
            for k in ("entry_price", "exit_price", "pnl", "charges", "return_pct")
        }
        return presentation.trade_display(raw, tick=tick)


TRADE_DECIMALS = ("entry_price", "exit_price", "quantity", "pnl", "charges")
TRADE_TIMES = ("entry_time", "exit_time")


def trade_rows(rows: list[dict[str, Any]], *, tick: Any) -> list[dict[str, Any]]:
    """What ``TradeSerializer(many=True)`` answers, from rows of ``values(*TRADE_VALUES)``
    (changed in place), without a serializer field a value (a trade page: ~1 ms instead of ~5 ms): decimals with their column's places
    as strings, times in the current zone as DRF writes them (``Z`` for UTC); checked equal
    to TradeSerializer in backtests/tests/test_run_output.py."""
    zone = timezone.get_current_timezone()
    for row in rows:
        raw = {k: row[k] for k in ("entry_price", "exit_price", "pnl", "charges", "return_pct")}
        for key in TRADE_TIMES:
            text = row[key].astimezone(zone).isoformat()
            row[key] = text[:-6] + "Z" if text.endswith("+00:00") else text
        for key in TRADE_DECIMALS:
            row[key] = f"{row[key]:f}"
        row["display"] = presentation.trade_display(raw, tick=tick)
    return rows


TRADE_VALUES = tuple(f for f in TradeSerializer.Meta.fields if f != "display")


class RunListSerializer(serializers.ModelSerializer):
    CONTEXT_FREE = True  # it and RunHeadSerializer: built once (api.pagination.represent)
    strategy_name = serializers.CharField(source="strategy_version.strategy_name", read_only=True)
    version = serializers.IntegerField(source="strategy_version.number", read_only=True)
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    return_pct = serializers.SerializerMethodField()

    class Meta:
        model = BacktestRun
        fields = (
            "id",
            "status",
            "progress",
            "strategy",
            "strategy_name",
            "version",
            "instrument",
            "symbol",
            "timeframe",
            "start",
            "end",
            "return_pct",
            "error",
            "created_at",
            "finished_at",
        )
        read_only_fields = fields

    def get_return_pct(self, run: BacktestRun) -> float | None:
        return (run.stats or {}).get("return_pct")


class OpenPositionDisplaySerializer(serializers.Serializer):
    entry_price = serializers.CharField(help_text="rounded to the instrument's tick")
    mark_price = serializers.CharField(help_text="the last close, rounded to the tick")
    entry_charges = serializers.CharField(help_text="rupees, to the paisa")
    unrealised_pnl = serializers.CharField(help_text="net of the entry charges, to the paisa")


class OpenPositionSerializer(serializers.Serializer):
    """The position still open after the last bar (end_of_data keep_open)."""

    side = serializers.ChoiceField(choices=("long", "short"))
    qty = serializers.FloatField()
    entry_bar = serializers.IntegerField()
    entry_time = serializers.CharField(help_text="ISO 8601 in your time zone")
    entry_price = serializers.FloatField(help_text="average with pyramiding")
    entries = serializers.IntegerField()
    entry_charges = serializers.FloatField()
    mark_price = serializers.FloatField(help_text="the last bar's close")
    unrealised_pnl = serializers.FloatField(help_text="net of the entry charges")
    display = OpenPositionDisplaySerializer()


class RunHeadSerializer(RunListSerializer):
    """A run's answer without its result part (rendered once and kept as bytes)."""

    strategy_version = serializers.SerializerMethodField()
    attempt = serializers.IntegerField(source="attempts", read_only=True)

    class Meta(RunListSerializer.Meta):
        fields = (
            *RunListSerializer.Meta.fields,
            "strategy_version",
            "config",
            "bars",
            "data_hash",
            "engine_version",
            "attempt",
            "duration_ms",
            "started_at",
            "rerun_of",
        )
        read_only_fields = fields

    def get_strategy_version(self, run: BacktestRun) -> dict[str, Any]:
        v = run.strategy_version
        return {"id": v.pk, "number": v.number, "graph_hash": v.graph_hash, "name": v.strategy_name}


class RunDetailSerializer(RunHeadSerializer):
    """GET /api/backtest/{id}: the run, its statistics and curves. Trades are paged from
    GET /api/backtest/{id}/trades (and all of them from /trades.csv)."""

    stats = serializers.SerializerMethodField(help_text="as computed; start/end in your zone")
    stats_display = serializers.SerializerMethodField(
        help_text="stats rounded (money to the paisa, percentages and ratios to 2 decimals)"
    )
    equity_curve = serializers.SerializerMethodField(
        help_text="[[ISO time in your zone, equity], …] downsampled to at most "
        "BACKTESTS_CURVE_POINTS points (first and last bar included)"
    )
    drawdown_curve = serializers.SerializerMethodField(
        help_text="[[ISO time, fraction below the running peak], …] at the same points"
    )
    rejections = serializers.SerializerMethodField(help_text="the first 1,000 refused orders")
    rejected_entries = serializers.SerializerMethodField(
        help_text="Entries the simulator refused, by reason (every one, not only those listed)"
    )
    no_trades_reason = serializers.SerializerMethodField(
        help_text="When a finished run made no trade: why, in a sentence; otherwise null"
    )
    open_position = serializers.SerializerMethodField(
        help_text="end_of_data keep_open: the position still open after the last bar, marked "
        "at its close (equity and return include it; trades lists closed trades only); "
        "otherwise null"
    )

    class Meta(RunHeadSerializer.Meta):
        fields = (*RunHeadSerializer.Meta.fields, *presentation.RESULT_FIELDS)
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_stats(self, run: BacktestRun) -> dict[str, Any] | None:
        return presentation.stats_local(run.stats)

    @extend_schema_field(serializers.DictField())
    def get_stats_display(self, run: BacktestRun) -> dict[str, Any]:
        return presentation.stats_display(run.stats)

    @extend_schema_field(serializers.ListField(child=serializers.ListField(), allow_null=True))
    def get_equity_curve(self, run: BacktestRun) -> list | None:
        return presentation.curve_local(run.equity_curve)

    @extend_schema_field(serializers.ListField(child=serializers.ListField(), allow_null=True))
    def get_drawdown_curve(self, run: BacktestRun) -> list | None:
        return presentation.curve_local(run.drawdown_curve)

    @extend_schema_field(serializers.ListField(child=serializers.DictField(), allow_null=True))
    def get_rejections(self, run: BacktestRun) -> list | None:
        return presentation.result_part(run)["rejections"]

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_rejected_entries(self, run: BacktestRun) -> dict[str, int]:
        return presentation.rejected_entries(run)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_no_trades_reason(self, run: BacktestRun) -> str | None:
        return presentation.result_part(run)["no_trades_reason"]

    @extend_schema_field(OpenPositionSerializer(allow_null=True))
    def get_open_position(self, run: BacktestRun) -> dict[str, Any] | None:
        return presentation.open_position_local(run.open_position, tick=run.instrument.tick_size)


class RunAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    url = serializers.CharField()


# A node id (engine.graph.schema.ID_RE), a dot, a parameter name.
GRID_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}\.[A-Za-z_][A-Za-z0-9_]{0,63}\Z")


class SweepRequestSerializer(RunConfigSerializer):
    strategy = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    instrument = InstrumentRefField()
    start = TradingDateField()
    end = TradingDateField()
    grid = serializers.JSONField(
        help_text='{"ma_fast.timeperiod": {"start": 5, "stop": 53, "step": 2}, '
        '"ma_slow.timeperiod": [10, 20, 50]}'
    )
    constraint = serializers.CharField(
        max_length=200, required=False, help_text="e.g. ma_fast.timeperiod < ma_slow.timeperiod"
    )
    metric = serializers.CharField(max_length=40, default="sharpe")

    def validate_grid(self, grid: Any) -> Any:
        """Keys name ``node.param``; anything else would reach the engine's parser (a 500)."""
        if isinstance(grid, dict):
            for key in grid:
                if not GRID_KEY_RE.match(key):
                    raise serializers.ValidationError(
                        {printable(key): ['must be "node.param", e.g. "ma_fast.timeperiod"']}
                    )
        return grid


def _sweep_params(sweep: BacktestSweep) -> tuple[str, ...]:
    return tuple((sweep.grid or {}).get("params") or ())


class SweepSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True)
    best = serializers.SerializerMethodField(help_text="the best row; start/end in your zone")
    best_display = serializers.SerializerMethodField(
        help_text="best rounded: money to the paisa, percentages and ratios to 2 decimals; "
        "parameters as they are"
    )

    class Meta:
        model = BacktestSweep
        fields = (
            "id",
            "status",
            "progress",
            "strategy",
            "strategy_version",
            "instrument",
            "timeframe",
            "start",
            "end",
            "grid",
            "metric",
            "combinations",
            "chunks_total",
            "chunks_done",
            "error",
            "best",
            "best_display",
            "created_at",
            "finished_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_best(self, sweep: BacktestSweep) -> dict[str, Any] | None:
        return presentation.stats_local(sweep.best)

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_best_display(self, sweep: BacktestSweep) -> dict[str, Any] | None:
        if sweep.best is None:
            return None
        return presentation.stats_display(sweep.best, keep=_sweep_params(sweep))


class SweepDetailSerializer(SweepSerializer):
    results = serializers.SerializerMethodField(
        help_text="one row per combination; start/end in your zone"
    )
    results_display = serializers.SerializerMethodField(help_text="results rounded like best")

    class Meta(SweepSerializer.Meta):
        fields = (
            *SweepSerializer.Meta.fields,
            "config",
            "results",
            "results_display",
            "heatmap",
            "data_hash",
            "engine_version",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField(), allow_null=True))
    def get_results(self, sweep: BacktestSweep) -> list[dict[str, Any]] | None:
        rows = sweep.results
        return None if rows is None else [presentation.stats_local(r) for r in rows]

    @extend_schema_field(serializers.ListField(child=serializers.DictField(), allow_null=True))
    def get_results_display(self, sweep: BacktestSweep) -> list[dict[str, Any]] | None:
        if sweep.results is None:
            return None
        keep = _sweep_params(sweep)
        return [presentation.stats_display(r, keep=keep) for r in sweep.results]
