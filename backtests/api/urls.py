from django.urls import path

from . import views

urlpatterns = [
    path("backtest", views.BacktestListApi.as_view(), name="backtest-list"),
    path("backtest/sweeps", views.SweepListApi.as_view(), name="sweep-list"),
    path("backtest/sweeps/<id:sweep_id>", views.SweepDetailApi.as_view(), name="sweep-detail"),
    path(
        "backtest/sweeps/<id:sweep_id>/cancel", views.SweepCancelApi.as_view(), name="sweep-cancel"
    ),
    path("backtest/<id:run_id>", views.BacktestDetailApi.as_view(), name="backtest-detail"),
    path("backtest/<id:run_id>/cancel", views.BacktestCancelApi.as_view(), name="backtest-cancel"),
    path("backtest/<id:run_id>/rerun", views.BacktestRerunApi.as_view(), name="backtest-rerun"),
    path("backtest/<id:run_id>/trades", views.BacktestTradesApi.as_view(), name="backtest-trades"),
    path(
        "backtest/<id:run_id>/trades.csv",
        views.BacktestTradesCsvApi.as_view(),
        name="backtest-trades-csv",
    ),
]
