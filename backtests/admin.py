from django.contrib import admin

from .models import BacktestRun, BacktestSweep


@admin.register(BacktestRun)
class BacktestRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "status",
        "instrument",
        "timeframe",
        "start",
        "end",
        "attempts",
        "created_at",
    )
    list_filter = ("status", "timeframe")
    search_fields = ("owner__email",)
    list_select_related = ("owner", "instrument")
    readonly_fields = ("data_hash", "engine_version", "attempts", "lease_until", "lease_holder")
    exclude = ("equity_curve", "drawdown_curve")


@admin.register(BacktestSweep)
class BacktestSweepAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "status",
        "combinations",
        "chunks_done",
        "chunks_total",
        "created_at",
    )
    list_filter = ("status",)
    exclude = ("results", "heatmap")
