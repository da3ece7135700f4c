"""Every operation of docs/openapi.yaml, fed generated requests (schemathesis), answers no
5xx and only what the schema documents: status codes, content types and bodies.

Each operation runs twice, anonymously and signed in, with a fixed seed and a bounded number
of cases so the suite stays fast; the requests go to the WSGI application in-process, inside
the test's transaction. ``FUZZ_EXAMPLES=60`` raises the count for a longer local hunt, and
``FUZZ_AS=anonymous,signed_in,staff`` adds a staff user for the staff-only operations.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
SEED = 20261129
TALLY: Counter[str] = Counter()

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def wsgi_app() -> Any:
    return get_wsgi_application()


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """As Django's test client does: the handler's signals would close the connection that
    holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


IDENTITIES = os.environ.get("FUZZ_AS", "anonymous,signed_in").split(",")


@pytest.fixture(params=IDENTITIES)
def headers(request: pytest.FixtureRequest, make_user: Any) -> dict[str, str]:
    """No token, or a fresh one of a user with a strategy (``staff`` too, via ``FUZZ_AS``)."""
    if request.param == "anonymous":
        return {}
    from algobacktester.accounts.tokens import token_pair
    from engine.graph import example_documents
    from strategies.services import strategy_create

    user = make_user(is_staff=request.param == "staff")
    strategy_create(owner=user, name="SMA", graph=example_documents()["sma_cross"])
    return {"Authorization": f"Bearer {token_pair(user)['access']}"}


@SCHEMA.parametrize()
@seed(SEED)
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_operation_answers_as_documented(
    case: schemathesis.Case, headers: dict[str, str], wsgi_app: Any
) -> None:
    # A WSGI server always sets REMOTE_ADDR; the test client does not. The test client does not
    # undo a Content-Encoding either (an HTTP client does), so ask for the body as it is.
    sent = {**headers, "Accept-Encoding": "identity"}
    response = case.call(app=wsgi_app, headers=sent, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    TALLY["cases"] += 1
    TALLY[f"{response.status_code // 100}xx"] += 1
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_tally_is_reported() -> None:
    """Prints how many cases ran (with ``-s``); the count is only known after the others."""
    print(f"\nschema fuzz: {dict(TALLY)}")
