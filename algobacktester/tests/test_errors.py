"""The transport-neutral errors services raise, as the one handler answers them over HTTP."""

from __future__ import annotations

import pytest
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from algobacktester import errors
from notifications.errors import ProviderUnavailable, QuotaExceeded


def answer(exc: Exception, *, authenticated_view: bool = True) -> Response:
    class Raising(APIView):
        permission_classes = (AllowAny,)
        if not authenticated_view:
            authentication_classes = ()

        def get(self, request: Request) -> Response:
            raise exc

    return Raising.as_view()(APIRequestFactory().get("/probe"))


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (errors.InvalidInput({"end": ["must be after start"]}), 400, "invalid"),
        (errors.NotFound({"strategy": ["you have no strategy 9"]}), 404, "not_found"),
        (errors.PermissionDenied(), 403, "permission_denied"),
        (errors.Conflict({"start": ["a fetch is active"]}), 409, "conflict"),
        (QuotaExceeded({"channels": ["daily SMS quota reached"]}), 429, "quota_exceeded"),
        (ProviderUnavailable({"phone": ["try again"]}), 503, "provider_unavailable"),
        (errors.Unavailable(), 503, "unavailable"),
    ],
)
def test_each_error_has_its_status_and_the_project_body(exc, status: int, code: str) -> None:
    response = answer(exc)
    assert response.status_code == status
    assert response.data["code"] == code
    first = response.data["errors"][0]
    assert response.data["detail"] and first["message"]
    if isinstance(exc.detail, dict):
        assert first["field"] == next(iter(exc.detail))


def test_the_body_equals_drfs_for_the_same_input() -> None:
    detail = {"grid": {"fast": ["give start <= stop"]}, "metric": ["unknown"]}
    ours = answer(errors.InvalidInput(detail))
    drfs = answer(exceptions.ValidationError(detail))
    assert (ours.status_code, ours.data) == (drfs.status_code, drfs.data)
    assert ours.data["errors"][0]["field"] == "grid.fast"


def test_a_throttle_says_when_to_come_back() -> None:
    response = answer(errors.LimitExceeded("concurrent runs: 5 of 5", retry_after=5))
    drfs = answer(exceptions.Throttled(wait=5, detail="concurrent runs: 5 of 5"))
    assert response.status_code == 429 and response["Retry-After"] == "5"
    assert response.data == drfs.data and response.data["code"] == "throttled"
    assert answer(QuotaExceeded("over", retry_after=60))["Retry-After"] == "60"


def test_structured_errors_name_the_node() -> None:
    problems = [{"field": "strategy", "node": "n3", "message": "unknown indicator"}]
    response = answer(errors.InvalidInput(errors=problems, code="invalid_graph"))
    assert response.status_code == 400 and response.data["code"] == "invalid_graph"
    assert response.data["errors"] == [{"code": "invalid_graph", **problems[0]}]


def test_not_authenticated_is_a_401_with_the_challenge_or_a_403_without_one() -> None:
    exc = errors.NotAuthenticated("Email or password is incorrect.", code="invalid_credentials")
    response = answer(exc)
    assert response.status_code == 401 and response.data["code"] == "invalid_credentials"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert answer(exc, authenticated_view=False).status_code == 403


def test_the_message_reads_on_its_own_outside_http() -> None:
    exc = errors.InvalidInput({"end": ["must be after start"], "start": ["required", "a date"]})
    assert str(exc) == "end: must be after start; start: required a date"
    assert isinstance(exc, errors.ApplicationError) and exc.code == "invalid"
