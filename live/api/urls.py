from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from algobacktester.api.exceptions import json_error_view

from . import views

urlpatterns = [
    path("sessions", views.SessionListApi.as_view(), name="live-sessions"),
    path("sessions/<id:session_id>", views.SessionDetailApi.as_view(), name="live-session"),
    path(
        "sessions/<id:session_id>/start", views.SessionStartApi.as_view(), name="live-session-start"
    ),
    path(
        "sessions/<id:session_id>/pause", views.SessionPauseApi.as_view(), name="live-session-pause"
    ),
    path("sessions/<id:session_id>/stop", views.SessionStopApi.as_view(), name="live-session-stop"),
    path(
        "sessions/<id:session_id>/square-off",
        views.SessionSquareOffApi.as_view(),
        name="live-session-square-off",
    ),
    path(
        "sessions/<id:session_id>/events",
        views.SessionEventsApi.as_view(),
        name="live-session-events",
    ),
    path(
        "sessions/<id:session_id>/orders",
        views.SessionOrdersApi.as_view(),
        name="live-session-orders",
    ),
    path(
        "sessions/<id:session_id>/drift",
        views.SessionDriftApi.as_view(),
        name="live-session-drift",
    ),
    # Anything else under /api/live/ is the JSON 404 (exempt from CSRF: it changes nothing, and
    # a POST to a malformed id must not get Django's HTML 403 instead).
    re_path(r"^", csrf_exempt(json_error_view(404, "Not found.")), name="live-not-found"),
]
