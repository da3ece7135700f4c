from __future__ import annotations

from rest_framework import serializers

from ..models import User


class UserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "name", "phone", "timezone", "date_joined", "is_staff")
        read_only_fields = fields


class RegisterInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=16, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False)


class RegisterOutputSerializer(serializers.Serializer):
    user = UserOutputSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class ProfileUpdateSerializer(serializers.Serializer):
    """Only these fields are writable: email, ids and flags are not."""

    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=16, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False)


class SessionOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    access_expires = serializers.DateTimeField(help_text="When the access token expires.")
    user = UserOutputSerializer()


class SessionLogoutInputSerializer(serializers.Serializer):
    everywhere = serializers.BooleanField(
        required=False, default=False, help_text="End every login of the user, not just this one."
    )


class CsrfOutputSerializer(serializers.Serializer):
    csrf_token = serializers.CharField()


class LoginSessionOutputSerializer(serializers.Serializer):
    sid = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(help_text="The last sign-in or token refresh.")
    expires_at = serializers.DateTimeField(help_text="Ends unless refreshed before this.")
    ip = serializers.CharField()
    user_agent = serializers.CharField()
    current = serializers.BooleanField(help_text="The login that made this request.")


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)
