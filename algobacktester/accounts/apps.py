from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "algobacktester.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.models.signals import pre_save
        from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

        from algobacktester import bus, events
        from algobacktester.api import schema  # noqa: F401  (registers the OpenAPI scheme)

        from .tokens import outstanding_token_hash

        # Refresh tokens are stored as digests only (docs/adr/0003-revocable-jwt.md).
        pre_save.connect(outstanding_token_hash, sender=OutstandingToken, dispatch_uid="hash")

        # The project's own app owns the user sockets: /ws/ hears every user event.
        bus.subscribe("*", events.ws_deliver)
