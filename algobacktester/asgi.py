"""ASGI entry point: HTTP goes to Django, ``/ws/`` to the events consumer."""

import os

from django.core.asgi import get_asgi_application

from algobacktester.startup import embedded_files_ensure

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "algobacktester.settings.base")
embedded_files_ensure()
django_asgi_app = get_asgi_application()  # set up Django before importing consumers

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from .bodylimit import asgi_body_limit  # noqa: E402
from .consumers import EventsConsumer  # noqa: E402

websocket_urlpatterns = [path("ws/", EventsConsumer.as_asgi())]

application = ProtocolTypeRouter(
    {"http": asgi_body_limit(django_asgi_app), "websocket": URLRouter(websocket_urlpatterns)}
)
