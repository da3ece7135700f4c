"""Serializers of the market-data API (inputs validate; outputs are read-only shapes)."""

from __future__ import annotations

import zoneinfo

from rest_framework import serializers

from algobacktester.api.fields import InstrumentRefField

from ..models import IngestionRun, Instrument, TrackedInstrument
from ..providers.files import FORMATS, LABELS
from ..timeframes import MINUTES

TIMEFRAMES = list(MINUTES)


class InstrumentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instrument
        fields = (
            "id",
            "exchange",
            "segment",
            "symbol",
            "name",
            "security_id",
            "kind",
            "underlying",
            "expiry",
            "strike",
            "option_type",
            "lot_size",
            "tick_size",
            "strike_step",
            "is_active",
        )
        read_only_fields = fields


class TimeframeSpanSerializer(serializers.Serializer):
    timeframe = serializers.CharField()
    first = serializers.DateTimeField(allow_null=True)
    last = serializers.DateTimeField(allow_null=True)
    count = serializers.IntegerField()


class InstrumentDetailOutputSerializer(InstrumentOutputSerializer):
    stored = TimeframeSpanSerializer(many=True, read_only=True)

    class Meta(InstrumentOutputSerializer.Meta):
        fields = (*InstrumentOutputSerializer.Meta.fields, "stored")
        read_only_fields = fields


class InstrumentListInputSerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=64)
    kind = serializers.ChoiceField(choices=Instrument.Kind.choices, required=False)
    exchange = serializers.ChoiceField(choices=Instrument.Exchange.choices, required=False)
    underlying = serializers.CharField(required=False, allow_blank=True, max_length=32)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class RangeInputSerializer(serializers.Serializer):
    timeframe = serializers.ChoiceField(choices=TIMEFRAMES, default="1m")
    start = serializers.CharField(help_text="ISO date or datetime; naive values are IST.")
    end = serializers.CharField(help_text="Exclusive datetime, or a date (through that day).")


class OptionalRangeInputSerializer(RangeInputSerializer):
    start = serializers.CharField(required=False, allow_blank=True)
    end = serializers.CharField(required=False, allow_blank=True)


class CandlesOutputSerializer(serializers.Serializer):
    instrument = serializers.IntegerField()
    symbol = serializers.CharField()
    timeframe = serializers.CharField()
    source_timeframe = serializers.CharField(help_text="1m when resampled from one-minute bars.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    count = serializers.IntegerField()
    t = serializers.ListField(child=serializers.IntegerField(), help_text="Bar start, epoch s.")
    o = serializers.ListField(child=serializers.FloatField())
    h = serializers.ListField(child=serializers.FloatField())
    l = serializers.ListField(child=serializers.FloatField())  # noqa: E741
    c = serializers.ListField(child=serializers.FloatField())
    v = serializers.ListField(child=serializers.FloatField())


class GapSerializer(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()
    bars = serializers.IntegerField()


class AnomaliesSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    samples = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class RunBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    provider = serializers.CharField()
    finished_at = serializers.CharField(allow_null=True)
    error = serializers.CharField(allow_blank=True, required=False, help_text="Staff only.")


class HealthOutputSerializer(serializers.Serializer):
    instrument = serializers.IntegerField()
    symbol = serializers.CharField()
    timeframe = serializers.CharField()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    bars = serializers.IntegerField()
    expected_bars = serializers.IntegerField()
    present_bars = serializers.IntegerField()
    missing_bars = serializers.IntegerField()
    extra_bars = serializers.IntegerField(help_text="Bars outside regular sessions.")
    coverage = serializers.FloatField()
    missing_days = serializers.ListField(child=serializers.DateField())
    unverified_days = serializers.ListField(
        child=serializers.DateField(),
        help_text="Weekdays without bars in years the holiday calendar does not cover.",
    )
    gaps = GapSerializer(many=True)
    gap_count = serializers.IntegerField()
    anomalies = AnomaliesSerializer()
    quarantined = serializers.DictField(child=serializers.IntegerField())
    stored_first = serializers.DateTimeField(allow_null=True)
    stored_last = serializers.DateTimeField(allow_null=True)
    stale = serializers.BooleanField()
    last_run = RunBriefSerializer(allow_null=True)


class IngestionRunOutputSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = IngestionRun
        fields = (
            "id",
            "kind",
            "provider",
            "instrument",
            "timeframe",
            "start",
            "end",
            "status",
            "requested_by",
            "rows_received",
            "rows_inserted",
            "rows_updated",
            "rows_unchanged",
            "rows_rejected",
            "chunks_done",
            "anomalies",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
        )
        read_only_fields = fields


class RunListInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IngestionRun.Status.choices, required=False)
    instrument = serializers.IntegerField(required=False, min_value=1)


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (optionally gzipped) or Parquet.")
    timeframe = serializers.ChoiceField(choices=TIMEFRAMES, default="1m")
    format = serializers.ChoiceField(choices=FORMATS, required=False)
    mapping = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="target=column pairs, e.g. time=Date,close=Adj Close.",
    )
    timezone = serializers.CharField(default="Asia/Kolkata", max_length=64)
    label = serializers.ChoiceField(choices=LABELS, default="start")
    dayfirst = serializers.BooleanField(default=False)

    def validate_timezone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(f"Unknown time zone '{value}'; e.g. Asia/Kolkata.")
        return value


class BackfillInputSerializer(serializers.Serializer):
    timeframe = serializers.ChoiceField(choices=TIMEFRAMES, default="1m")
    start = serializers.CharField()
    end = serializers.CharField()
    provider = serializers.CharField(default="dhan", max_length=32)


class SyncInputSerializer(serializers.Serializer):
    provider = serializers.CharField(default="dhan", max_length=32)
    underlyings = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=50
    )


class TrackedOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackedInstrument
        fields = ("id", "instrument", "timeframe", "provider", "history_days", "is_active")
        read_only_fields = fields


class TrackedInputSerializer(serializers.Serializer):
    instrument = InstrumentRefField()
    timeframe = serializers.ChoiceField(choices=TIMEFRAMES, default="1m")
    provider = serializers.CharField(default="dhan", max_length=32)
    history_days = serializers.IntegerField(default=365, min_value=1, max_value=5 * 366)
