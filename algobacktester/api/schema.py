"""OpenAPI extensions (imported by AccountsConfig.ready so they register)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class RevocableJWTScheme(SimpleJWTScheme):
    target_class = "algobacktester.accounts.authentication.JWTAuthentication"
    name = "jwtAuth"
