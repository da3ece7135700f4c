from django.contrib import admin

from .models import Strategy, StrategyVersion


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "version", "updated_at")
    search_fields = ("name", "owner__email")
    list_select_related = ("owner",)


@admin.register(StrategyVersion)
class StrategyVersionAdmin(admin.ModelAdmin):
    list_display = ("strategy_name", "number", "owner", "valid", "created_at")
    list_select_related = ("owner",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # immutable
