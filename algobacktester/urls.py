"""URL map. API paths carry no trailing slash, exactly as the design names them."""

from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .api.converters import IdConverter
from .api.exceptions import json_error_view
from .health import HealthApi
from .views import spa

register_converter(IdConverter, "id")

api = [
    path("auth/", include("algobacktester.accounts.api.urls")),
    path("notifications/", include("notifications.api.urls")),
    path("marketdata/", include("marketdata.api.urls")),
    path("", include("strategies.api.urls")),
    path("", include("backtests.api.urls")),
    path("", include("trades.api.urls")),
    path("live/", include("live.api.urls")),
    path("health", HealthApi.as_view(), name="health"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api)),
    # The web app owns every other path (client-side routes like /strategies/42), except the
    # prefixes the server answers itself; an unknown /api/... stays a JSON 404.
    re_path(r"^(?!api/|api$|admin/|static/|ws/|ws$)(?P<route>.*)$", spa, name="index"),
]

handler400 = json_error_view(400, "Bad request.")
handler403 = json_error_view(403, "You do not have permission to perform this action.")
handler404 = json_error_view(404, "Not found.")
handler500 = json_error_view(500, "Server error: the failure was logged.")
