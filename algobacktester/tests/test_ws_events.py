"""``/ws/``: authentication, origins, and each user hearing only their own events."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections, transaction
from rest_framework_simplejwt.tokens import AccessToken

from algobacktester import consumers
from algobacktester.accounts.models import User
from algobacktester.accounts.services import auth_logout_all
from algobacktester.accounts.tokens import token_pair
from algobacktester.asgi import application
from algobacktester.bus import Event, emit
from algobacktester.events import event_send

pytestmark = pytest.mark.django_db(transaction=True)
pair = sync_to_async(token_pair)  # issuing a refresh token writes a row


def socket(
    *, protocols: list[str] | None = None, origin: str | None = None, host: str | None = None
) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode())] if origin else []
    headers += [(b"host", host.encode())] if host else []
    return WebsocketCommunicator(application, "/ws/", headers=headers, subprotocols=protocols)


async def open_with_subprotocol(access: str) -> WebsocketCommunicator:
    comm = socket(protocols=["bearer", access])
    connected, subprotocol = await comm.connect()
    assert connected and subprotocol == "bearer"
    hello = await comm.receive_json_from()
    assert hello["type"] == "auth.ok"
    return comm


async def expect_refused(comm: WebsocketCommunicator, text: str) -> None:
    error = await comm.receive_json_from()
    assert error["type"] == "error" and text in error["detail"]
    assert (await comm.receive_output())["code"] == consumers.CLOSE_UNAUTHORIZED


@pytest.fixture(autouse=True)
async def _close_thread_connections():
    """Database work of the consumer runs in asgiref's thread: close its connection."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
def alice(make_user) -> User:
    return make_user(email="alice@example.com")


@pytest.fixture
def bob(make_user) -> User:
    return make_user(email="bob@example.com")


async def test_subprotocol_auth_then_own_events(alice: User) -> None:
    comm = await open_with_subprotocol((await pair(alice))["access"])
    await sync_to_async(event_send)(
        user_id=alice.pk, event={"type": "backtest.done", "data": {"id": 7}}
    )
    message = await comm.receive_json_from()
    assert message == {"type": "event", "event": {"type": "backtest.done", "data": {"id": 7}}}
    await comm.disconnect()


async def test_first_message_auth(alice: User) -> None:
    comm = socket()
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"type": "auth", "token": (await pair(alice))["access"]})
    assert (await comm.receive_json_from())["user"] == alice.pk
    await comm.send_json_to({"type": "ping"})
    assert (await comm.receive_json_from())["type"] == "pong"
    await comm.disconnect()


async def test_other_users_events_are_not_delivered(alice: User, bob: User) -> None:
    alice_socket = await open_with_subprotocol((await pair(alice))["access"])
    bob_socket = await open_with_subprotocol((await pair(bob))["access"])
    await sync_to_async(event_send)(user_id=bob.pk, event={"type": "order.filled", "data": {}})
    assert (await bob_socket.receive_json_from())["event"]["type"] == "order.filled"
    assert await alice_socket.receive_nothing(timeout=0.2)
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_bad_token_is_refused() -> None:
    comm = socket(protocols=["bearer", "not-a-token"])
    connected, _ = await comm.connect()
    assert connected
    await expect_refused(comm, "token:")


async def test_expired_token_is_refused(alice: User) -> None:
    token = AccessToken.for_user(alice)
    token["ver"] = 0
    token.set_exp(lifetime=-timedelta(seconds=5))
    comm = socket()
    await comm.connect()
    await comm.send_json_to({"type": "auth", "token": str(token)})
    await expect_refused(comm, "expired")


async def test_token_revoked_by_logout_is_refused(alice: User) -> None:
    access = (await pair(alice))["access"]
    await sync_to_async(auth_logout_all)(user=alice)
    comm = socket(protocols=["bearer", access])
    await comm.connect()
    await expect_refused(comm, "revoked")


async def test_token_that_expires_while_connected_stops_delivery(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = AccessToken.for_user(alice)
    token["ver"] = 0
    token.set_exp(lifetime=timedelta(minutes=5))  # "exp" is whole seconds: no race at connect
    comm = await open_with_subprotocol(str(token))
    # The socket's clock moves past "exp" instead of the test sleeping until it does.
    monkeypatch.setattr(consumers, "time", SimpleNamespace(time=lambda: token["exp"] + 1.0))
    await sync_to_async(event_send)(user_id=alice.pk, event={"type": "x", "data": {}})
    await expect_refused(comm, "expired")


async def test_messages_before_auth_are_refused() -> None:
    comm = socket()
    await comm.connect()
    await comm.send_json_to({"type": "ping"})
    await expect_refused(comm, "auth")


async def test_silent_socket_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumers, "AUTH_TIMEOUT", 0.1)
    comm = socket()
    await comm.connect()
    await expect_refused(comm, "timed out")


async def test_foreign_origin_is_rejected(alice: User) -> None:
    comm = socket(
        protocols=["bearer", (await pair(alice))["access"]], origin="https://evil.example"
    )
    connected, code = await comm.connect()
    assert not connected and code == consumers.CLOSE_FORBIDDEN_ORIGIN


async def test_allowed_origin_is_accepted(alice: User) -> None:
    comm = socket(
        protocols=["bearer", (await pair(alice))["access"]], origin="http://127.0.0.1:8000"
    )
    connected, _ = await comm.connect()
    assert connected
    await comm.disconnect()


async def test_same_origin_page_is_accepted(alice: User) -> None:
    access = (await pair(alice))["access"]
    comm = socket(
        protocols=["bearer", access], origin="http://127.0.0.1:8766", host="127.0.0.1:8766"
    )
    connected, _ = await comm.connect()
    assert connected
    await comm.disconnect()


async def test_foreign_origin_with_a_spoofed_looking_host_is_rejected(alice: User) -> None:
    access = (await pair(alice))["access"]
    comm = socket(
        protocols=["bearer", access], origin="https://evil.example", host="127.0.0.1:8766"
    )
    connected, code = await comm.connect()
    assert not connected
    assert code == consumers.CLOSE_FORBIDDEN_ORIGIN


async def test_non_json_message_gets_an_error(alice: User) -> None:
    comm = await open_with_subprotocol((await pair(alice))["access"])
    await comm.send_to(text_data="hello")
    assert (await comm.receive_json_from())["type"] == "error"
    await comm.disconnect()


def _emit_in_transaction(user_id: int, *, commit: bool) -> None:
    try:
        with transaction.atomic():
            emit(Event(type="backtest.progress", user_id=user_id, data={"pct": 50}))
            if not commit:
                raise RuntimeError("roll back")
    except RuntimeError:
        pass


async def test_events_are_sent_only_after_commit(alice: User) -> None:
    comm = await open_with_subprotocol((await pair(alice))["access"])
    await sync_to_async(_emit_in_transaction)(alice.pk, commit=False)
    assert await comm.receive_nothing(timeout=0.2)
    await sync_to_async(_emit_in_transaction)(alice.pk, commit=True)
    event = (await comm.receive_json_from())["event"]
    assert event["type"] == "backtest.progress" and event["data"] == {"pct": 50}
    assert event["id"] and event["ts"].endswith("+05:30")  # in the user's zone (IST default)
    await comm.disconnect()


def _logout(user: User, refresh: str | None) -> None:
    from algobacktester.accounts.services import auth_logout

    with transaction.atomic():
        if refresh is None:
            auth_logout_all(user=user)
        else:
            auth_logout(user=user, refresh=refresh)


async def test_logout_closes_that_sessions_open_socket_only(alice: User) -> None:
    first, second = await pair(alice), await pair(alice)
    ended = await open_with_subprotocol(first["access"])
    kept = await open_with_subprotocol(second["access"])
    await sync_to_async(_logout)(alice, first["refresh"])
    await expect_refused(ended, "revoked")
    assert await kept.receive_nothing(timeout=0.2)
    await kept.disconnect()


async def test_logout_everywhere_closes_every_socket(alice: User) -> None:
    sockets = [await open_with_subprotocol((await pair(alice))["access"]) for _ in range(2)]
    await sync_to_async(_logout)(alice, None)
    for comm in sockets:
        await expect_refused(comm, "revoked")
