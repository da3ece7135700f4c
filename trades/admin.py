"""Operators see accounts, orders and their audit; never the credentials (not even encrypted)."""

from django.contrib import admin

from .models import BrokerAccount, Order, OrderAudit


@admin.register(BrokerAccount)
class BrokerAccountAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "name", "broker", "status", "trading_state", "token_expires_at")
    list_filter = ("broker", "status", "trading_state")
    search_fields = ("owner__email", "name")
    exclude = ("credentials",)
    readonly_fields = (
        "broker_client_hint",
        "token_expires_at",
        "funds",
        "funds_at",
        "reconciled_at",
    )


class OrderAuditInline(admin.TabularInline):
    model = OrderAudit
    extra = 0
    can_delete = False
    readonly_fields = ("action", "actor", "request_id", "data", "at")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "client_id",
        "owner",
        "account",
        "side",
        "quantity",
        "status",
        "created_at",
    )
    list_filter = ("status", "source", "order_type")
    search_fields = ("client_id", "broker_order_id", "owner__email")
    inlines = (OrderAuditInline,)
    readonly_fields = tuple(f.name for f in Order._meta.concrete_fields)

    def has_add_permission(self, request) -> bool:  # orders are placed through the gate only
        return False
