"""Admin: instruments (with a data-health page), runs, tracking, the quarantine and IV samples."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from algobacktester.errors import InvalidInput

from . import selectors
from .models import (
    Candle,
    ImpliedVolatility,
    IngestionRun,
    Instrument,
    QuarantinedCandle,
    TrackedInstrument,
)
from .timeframes import MINUTES


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = (
        "symbol",
        "exchange",
        "segment",
        "kind",
        "underlying",
        "expiry",
        "strike",
        "option_type",
        "lot_size",
        "listed_on",
        "is_active",
        "health_link",
    )
    list_filter = ("exchange", "segment", "kind", "is_active")
    search_fields = ("symbol", "name", "security_id", "underlying")

    @admin.display(description="Data health")
    def health_link(self, obj: Instrument) -> str:
        url = reverse("admin:marketdata_instrument_health", args=[obj.pk])
        return format_html('<a href="{}">report</a>', url)

    def get_urls(self):
        extra = [
            path(
                "<int:instrument_id>/health/",
                self.admin_site.admin_view(self.health_view),
                name="marketdata_instrument_health",
            )
        ]
        return extra + super().get_urls()

    def health_view(self, request: HttpRequest, instrument_id: int) -> HttpResponse:
        instrument = get_object_or_404(Instrument, pk=instrument_id)
        reports, errors = [], []
        for tf in MINUTES:
            if not Candle.objects.filter(instrument=instrument, timeframe=tf).exists():
                continue
            try:
                reports.append(
                    selectors.data_health_report(
                        instrument=instrument, timeframe=tf, include_run_error=True
                    )
                )
            except InvalidInput as exc:
                errors.append(f"{tf}: {exc.detail}")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Data health: {instrument}",
            "instrument": instrument,
            "reports": reports,
            "errors": errors,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/marketdata/health.html", context)


@admin.register(IngestionRun)
class IngestionRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "provider",
        "instrument",
        "timeframe",
        "status",
        "rows_inserted",
        "rows_updated",
        "rows_rejected",
        "created_at",
    )
    list_filter = ("status", "kind", "provider")
    search_fields = ("instrument__symbol", "error")
    readonly_fields = [f.name for f in IngestionRun._meta.fields]
    list_select_related = ("instrument",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TrackedInstrument)
class TrackedInstrumentAdmin(admin.ModelAdmin):
    list_display = ("instrument", "timeframe", "provider", "history_days", "is_active")
    list_filter = ("provider", "timeframe", "is_active")
    autocomplete_fields = ("instrument",)


@admin.register(QuarantinedCandle)
class QuarantinedCandleAdmin(admin.ModelAdmin):
    list_display = ("instrument", "timeframe", "ts", "reason", "detail", "run")
    list_filter = ("reason", "timeframe")
    search_fields = ("instrument__symbol", "detail")
    readonly_fields = [f.name for f in QuarantinedCandle._meta.fields]
    list_select_related = ("instrument",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ImpliedVolatility)
class ImpliedVolatilityAdmin(admin.ModelAdmin):
    list_display = ("underlying", "ts", "expiry", "strike", "iv", "source", "run")
    list_filter = ("underlying", "source")
    readonly_fields = [f.name for f in ImpliedVolatility._meta.fields]
    date_hierarchy = "ts"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
