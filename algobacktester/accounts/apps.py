from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "algobacktester.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from algobacktester import bus, events
        from algobacktester.api import schema  # noqa: F401  (registers the OpenAPI scheme)

        # The project's own app owns the user sockets: /ws/ hears every user event.
        bus.subscribe("*", events.ws_deliver)
