"""/api/marketdata/... (no trailing slashes)."""

from django.urls import path

from . import views

urlpatterns = [
    path("instruments", views.InstrumentListApi.as_view(), name="md-instruments"),
    path("instruments/sync", views.InstrumentSyncApi.as_view(), name="md-instruments-sync"),
    path(
        "instruments/<id:instrument_id>", views.InstrumentDetailApi.as_view(), name="md-instrument"
    ),
    path("instruments/<id:instrument_id>/candles", views.CandlesApi.as_view(), name="md-candles"),
    path("instruments/<id:instrument_id>/health", views.HealthApi.as_view(), name="md-health"),
    path(
        "instruments/<id:instrument_id>/import", views.CandlesImportApi.as_view(), name="md-import"
    ),
    path(
        "instruments/<id:instrument_id>/backfill", views.BackfillApi.as_view(), name="md-backfill"
    ),
    path("ingestion-runs", views.IngestionRunListApi.as_view(), name="md-runs"),
    path("ingestion-runs/<id:run_id>", views.IngestionRunDetailApi.as_view(), name="md-run"),
    path("options/contracts", views.OptionContractListApi.as_view(), name="md-option-contracts"),
    path("options/expiries", views.OptionExpiriesApi.as_view(), name="md-option-expiries"),
    path("options/iv", views.OptionIvApi.as_view(), name="md-option-iv"),
    path("options/import", views.OptionImportApi.as_view(), name="md-option-import"),
    path("options/fetch", views.OptionFetchApi.as_view(), name="md-option-fetch"),
    path("tracked", views.TrackedListApi.as_view(), name="md-tracked"),
    path("tracked/<id:tracked_id>", views.TrackedDetailApi.as_view(), name="md-tracked-detail"),
]
