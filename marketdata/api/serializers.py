"""Serializers of the market-data API (inputs validate; outputs are read-only shapes)."""

from __future__ import annotations

import zoneinfo

from rest_framework import serializers

from algobacktester.api.fields import InstrumentRefField

from ..models import IngestionRun, Instrument, TrackedInstrument
from ..options import IV_SOURCES
from ..providers.dhan import ROLLING_INTERVALS
from ..providers.files import FORMATS, LABELS
from ..providers.option_files import FORMATS as OPTION_FORMATS
from ..timeframes import SECONDS

TIMEFRAMES = list(SECONDS)


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
    source_timeframe = serializers.CharField(
        help_text="1m (1s) when resampled from one-minute (one-second) bars."
    )
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


# --- options ---------------------------------------------------------------------------------
class OptionContractOutputSerializer(InstrumentOutputSerializer):
    class Meta(InstrumentOutputSerializer.Meta):
        fields = (*InstrumentOutputSerializer.Meta.fields, "listed_on")
        read_only_fields = fields


class OptionContractListInputSerializer(serializers.Serializer):
    underlying = serializers.CharField(max_length=32, help_text="NIFTY, BANKNIFTY, ...")
    on = serializers.DateField(
        required=False, help_text="Only contracts listed and not yet expired on this day."
    )
    expiry = serializers.DateField(required=False)
    right = serializers.ChoiceField(choices=Instrument.OptionType.choices, required=False)
    strike_min = serializers.FloatField(required=False, min_value=0)
    strike_max = serializers.FloatField(required=False, min_value=0)

    def validate(self, attrs: dict) -> dict:
        lo, hi = attrs.get("strike_min"), attrs.get("strike_max")
        if lo is not None and hi is not None and lo > hi:
            raise serializers.ValidationError({"strike_max": ["Must be at least strike_min."]})
        return attrs


class OptionExpiriesInputSerializer(serializers.Serializer):
    underlying = serializers.CharField(max_length=32)
    on = serializers.DateField(help_text="From this day on.")
    days = serializers.IntegerField(default=120, min_value=1, max_value=800)


class OptionExpirySerializer(serializers.Serializer):
    expiry = serializers.DateField()
    weekly = serializers.BooleanField(help_text="The calendar schedules a weekly expiry here.")
    monthly = serializers.BooleanField(help_text="The calendar schedules the monthly here.")
    scheduled = serializers.BooleanField(help_text="False: stored contracts only.")
    contracts = serializers.IntegerField(help_text="Stored contracts of this expiry.")


class OptionExpiriesOutputSerializer(serializers.Serializer):
    underlying = serializers.CharField()
    on = serializers.DateField()
    calendar_known = serializers.BooleanField(
        help_text="False when the calendar has no expiry rules for the underlying or day."
    )
    expiries = OptionExpirySerializer(many=True)


class IvInputSerializer(serializers.Serializer):
    underlying = serializers.CharField(max_length=32)
    start = serializers.CharField(help_text="ISO date or datetime; naive values are IST.")
    end = serializers.CharField(help_text="A date includes that day.")
    source = serializers.ChoiceField(choices=IV_SOURCES, default="auto")


class IvOutputSerializer(serializers.Serializer):
    underlying = serializers.CharField()
    source = serializers.CharField(allow_null=True, help_text="atm_iv, india_vix or null.")
    count = serializers.IntegerField()
    t = serializers.ListField(child=serializers.IntegerField(), help_text="Epoch seconds.")
    iv = serializers.ListField(
        child=serializers.FloatField(), help_text="Annualised, a fraction (0.13 = 13 %)."
    )


class OptionImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV, optionally gzipped.")
    format = serializers.ChoiceField(
        choices=OPTION_FORMATS, required=False, help_text="Checked against the header."
    )
    underlyings = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        default=list,
        max_length=20,
        help_text="Keep only these underlyings (all when empty).",
    )


class OptionFetchInputSerializer(serializers.Serializer):
    underlying = serializers.CharField(max_length=32)
    start = serializers.CharField()
    end = serializers.CharField(help_text="A date includes that day.")
    expiry_flag = serializers.ChoiceField(choices=("WEEK", "MONTH"), default="WEEK")
    expiry_codes = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=2),
        default=[0],
        min_length=1,
        max_length=3,
        help_text="0 the nearest expiry, 1 the next, 2 the one after.",
    )
    strikes = serializers.IntegerField(
        default=3, min_value=0, max_value=10, help_text="ATM and this many strikes each side."
    )
    rights = serializers.ListField(
        child=serializers.ChoiceField(choices=("CE", "PE")),
        default=["CE", "PE"],
        min_length=1,
        max_length=2,
    )
    timeframe = serializers.CharField(
        default="1m", max_length=4, help_text=f"One of {', '.join(ROLLING_INTERVALS)}."
    )
    provider = serializers.CharField(default="dhan", max_length=32)
