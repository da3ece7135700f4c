"""Bearer JWT authentication that also honours logouts."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from algobacktester.api.timezones import activate_for
from algobacktester.logs import user_bind

from .selectors import token_is_revoked


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token: Token) -> Any:
        user = super().get_user(validated_token)
        if token_is_revoked(user=user, token=validated_token):
            raise AuthenticationFailed("Token has been revoked by a logout.", code="token_revoked")
        activate_for(user)  # answers show times in the user's zone
        user_bind(user.pk)  # every log line of this request names the user
        return user
