from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError

from algobacktester.errors import LimitExceeded, NotAuthenticated

from . import services
from .clientip import client_ip
from .models import LoginSession, RevokedSession, User


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    """/admin/login/ checks passwords through the API's lock-out (same counters, same
    limits): without it the admin form was an unlimited guessing oracle."""

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = services.credentials_check(
                    email=email, password=password, ip=client_ip(self.request)
                )
            except LimitExceeded as exc:
                raise ValidationError(
                    f"{exc.detail} Try again in {exc.retry_after} seconds.", code="locked_out"
                ) from exc
            except NotAuthenticated as exc:
                raise self.get_invalid_login_error() from exc
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = LockoutAdminAuthenticationForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("id",)
    list_display = ("email", "name", "phone", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "phone", "timezone")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined")


@admin.register(RevokedSession)
class RevokedSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "sid", "revoked_at", "expires_at")
    readonly_fields = ("user", "sid", "revoked_at", "expires_at")


@admin.register(LoginSession)
class LoginSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "sid", "created_at", "last_used_at", "ip", "ended_at")
    readonly_fields = (
        "user",
        "sid",
        "created_at",
        "last_used_at",
        "expires_at",
        "ip",
        "user_agent",
        "ended_at",
    )
