from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from algobacktester.api.exceptions import json_error_view

from . import views

urlpatterns = [
    path("trades", views.OrderListApi.as_view(), name="trades-orders"),
    path("trades/execute", views.ExecuteApi.as_view(), name="trades-execute"),
    path("trades/accounts", views.AccountListApi.as_view(), name="trades-accounts"),
    path(
        "trades/accounts/<id:account_id>", views.AccountDetailApi.as_view(), name="trades-account"
    ),
    path(
        "trades/accounts/<id:account_id>/halt",
        views.AccountHaltApi.as_view(),
        name="trades-account-halt",
    ),
    path(
        "trades/accounts/<id:account_id>/test",
        views.AccountTestApi.as_view(),
        name="trades-account-test",
    ),
    path(
        "trades/accounts/<id:account_id>/resume",
        views.AccountResumeApi.as_view(),
        name="trades-account-resume",
    ),
    path("trades/positions", views.PositionListApi.as_view(), name="trades-positions"),
    path("trades/positions/square-off", views.SquareOffApi.as_view(), name="trades-square-off"),
    path("trades/analytics", views.AnalyticsApi.as_view(), name="trades-analytics"),
    path("trades/<id:order_id>", views.OrderDetailApi.as_view(), name="trades-order"),
    path("trades/<id:order_id>/cancel", views.OrderCancelApi.as_view(), name="trades-order-cancel"),
    path("trades/<id:order_id>/modify", views.OrderModifyApi.as_view(), name="trades-order-modify"),
    # Anything else under /api/trades/ is the project's JSON 404, even with DEBUG on.
    # csrf_exempt: an unknown path answers its 404 to any method, never a CSRF page.
    re_path(r"^trades/", csrf_exempt(json_error_view(404, "Not found.")), name="trades-not-found"),
]
