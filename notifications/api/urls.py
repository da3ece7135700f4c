from django.urls import path

from . import views

urlpatterns = [
    path("alerts", views.AlertsApi.as_view(), name="notifications-alerts"),
    path("history", views.HistoryApi.as_view(), name="notifications-history"),
    path("rules", views.RuleListApi.as_view(), name="notifications-rules"),
    path("rules/<id:rule_id>", views.RuleDetailApi.as_view(), name="notifications-rule"),
    path("preferences", views.PreferencesApi.as_view(), name="notifications-preferences"),
    path(
        "preferences/phone/verify",
        views.PhoneVerifyApi.as_view(),
        name="notifications-phone-verify",
    ),
]
