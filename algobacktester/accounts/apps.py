from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "algobacktester.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from algobacktester.api import schema  # noqa: F401  (registers the OpenAPI scheme)
