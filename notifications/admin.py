from django.contrib import admin

from .models import AlertRule, Delivery, NotificationPreference, PhoneVerification, QuotaUsage


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "owner", "kind", "event_type", "instrument", "is_active")
    list_filter = ("kind", "event_type", "is_active")
    search_fields = ("name", "owner__email", "instrument")
    exclude = ("webhook_secret",)
    readonly_fields = ("last_fired_at", "last_bar_at", "last_error")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "channel", "event_type", "status", "attempts", "created_at")
    list_filter = ("channel", "status", "event_type")
    search_fields = ("owner__email", "dedupe_key")
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email", "phone", "phone_verified_at", "webhook_url")
    exclude = ("webhook_secret",)


@admin.register(PhoneVerification)
class PhoneVerificationAdmin(admin.ModelAdmin):
    list_display = ("user", "phone", "attempts", "expires_at", "confirmed_at")
    exclude = ("code_hash",)


@admin.register(QuotaUsage)
class QuotaUsageAdmin(admin.ModelAdmin):
    list_display = ("user", "channel", "day", "count")
