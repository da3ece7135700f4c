"""POST /api/trades/execute with an option leg spec instead of an instrument."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from engine.markets import calendar
from engine.markets.calendar import IST
from trades.models import Order, OrderAudit

from .conftest import candles_until_now

pytestmark = pytest.mark.django_db

STRIKES = (23800, 23850, 23900, 23950, 24000, 24050, 24100, 24150, 24200)


def _today() -> date:
    return timezone.now().astimezone(IST).date()


def _weekly() -> date:
    return calendar.next_expiry("NIFTY", _today(), "weekly")


@pytest.fixture
def nifty(db):
    """The NIFTY index with fresh one-minute closes at 24,012 (ATM 24,000)."""
    from marketdata.models import Instrument

    index = Instrument.objects.create(
        exchange="NSE", segment="IDX_I", symbol="NIFTY", security_id="13", kind="index"
    )
    candles_until_now(index, price=24012.0)
    return index


@pytest.fixture
def chain(db):
    """A small stored chain of this week's expiry: CE and PE at 50-point strikes."""
    from marketdata.models import Instrument

    expiry = _weekly()
    rows = {}
    for strike in STRIKES:
        for right in ("CE", "PE"):
            rows[(strike, right)] = Instrument.objects.create(
                exchange="NSE",
                segment="NSE_FNO",
                symbol=f"NIFTY {expiry:%d %b} {strike} {right}".upper(),
                security_id=f"9{strike}{0 if right == 'CE' else 1}",
                kind="option",
                option_type=right,
                underlying="NIFTY",
                expiry=expiry,
                strike=strike,
                lot_size=75,
                tick_size="0.05",
            )
    return rows


def execute(client, account, leg=None, /, **extra):
    body = {"account": account.pk, "side": "BUY", "lots": 1, **extra}
    if leg is not None:
        body["option_leg"] = leg
    headers = body.pop("headers", {})
    return client.post("/api/trades/execute", body, format="json", **headers)


@pytest.mark.parametrize(
    ("leg", "strike", "right"),
    [
        ({"strike": "ATM"}, 24000, "CE"),
        ({"strike": "ATM", "offset": 2}, 24100, "CE"),
        ({"strike": "ATM", "offset": -1, "position": "buy"}, 23950, "CE"),
        ({"strike": "OTM", "offset": 2, "option_type": "PE"}, 23900, "PE"),
        ({"strike": "ITM", "offset": 1, "option_type": "PE"}, 24050, "PE"),
    ],
)
def test_a_leg_resolves_to_the_listed_contract_and_is_ordered(
    auth_client, paper_account, nifty, chain, leg, strike, right
) -> None:
    contract = chain[(strike, right)]
    candles_until_now(contract, price=88.0)  # the paper broker fills at the contract's quote
    spec = {"underlying": "NIFTY", "option_type": "CE", "expiry": "current_week", **leg}
    response = execute(auth_client, paper_account, spec)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["instrument"] == contract.pk and body["symbol"] == contract.symbol
    assert body["quantity"] == 75 and body["status"] == "filled"
    resolved = body["option_leg"]
    assert resolved["strike"] == strike and resolved["option_type"] == right
    assert resolved["expiry"] == _weekly().isoformat() and resolved["spot"] == 24012.0
    assert resolved["instrument"] == contract.pk
    actions = list(OrderAudit.objects.filter(order_id=body["id"]).values_list("action", flat=True))
    assert actions[0] == "created" and "leg_resolved" in actions  # the gate passed, audited


def test_the_same_idempotency_key_returns_the_same_order(
    auth_client, paper_account, nifty, chain
) -> None:
    candles_until_now(chain[(24000, "CE")], price=90.0)
    leg = {"underlying": "NIFTY", "option_type": "CE"}
    headers = {"HTTP_IDEMPOTENCY_KEY": "leg-7"}
    first = execute(auth_client, paper_account, leg, headers=headers)
    assert first.status_code == 201, first.content
    candles_until_now(nifty, price=24160.0)  # the spot moved: ATM now 24,150
    again = execute(auth_client, paper_account, leg, headers=headers)
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["option_leg"]["strike"] == 24000  # resolved when first placed
    assert Order.objects.filter(owner=paper_account.owner).count() == 1
    other = execute(auth_client, paper_account, {**leg, "option_type": "PE"}, headers=headers)
    assert other.status_code == 409 and "Idempotency-Key" in str(other.json())
    plain = execute(auth_client, paper_account, None, instrument=nifty.pk, headers=headers)
    assert plain.status_code == 409


def _errors(response) -> str:
    return str(response.json())


def _fields(response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def test_no_recent_quote_of_the_underlying_is_a_400_naming_it(
    auth_client, paper_account, nifty, chain
) -> None:
    from marketdata.models import Candle

    Candle.objects.filter(instrument=nifty).delete()
    response = execute(auth_client, paper_account, {"underlying": "NIFTY", "option_type": "CE"})
    assert response.status_code == 400
    assert _fields(response) == {"option_leg.underlying"}
    assert "no recent quote" in _errors(response)
    assert not Order.objects.exists()


def test_no_listed_contract_is_a_400_naming_the_expiry(auth_client, paper_account, nifty) -> None:
    response = execute(auth_client, paper_account, {"underlying": "NIFTY", "option_type": "PE"})
    assert response.status_code == 400
    assert _fields(response) == {"option_leg.expiry"}
    assert "no NIFTY PE contracts" in _errors(response)
    assert not Order.objects.exists()


def test_a_strike_beyond_the_chain_is_a_400_naming_the_strike(
    auth_client, paper_account, nifty, chain
) -> None:
    leg = {"underlying": "NIFTY", "option_type": "CE", "strike": "ATM", "offset": 9}
    response = execute(auth_client, paper_account, leg)
    assert response.status_code == 400
    assert _fields(response) == {"option_leg.strike"}
    assert "no listed strike" in _errors(response)


def test_premium_strikes_need_fresh_quotes_of_the_chain(
    auth_client, paper_account, nifty, chain
) -> None:
    leg = {"underlying": "NIFTY", "option_type": "PE", "strike": "premium_closest", "premium": 50}
    refused = execute(auth_client, paper_account, leg)
    assert refused.status_code == 400 and _fields(refused) == {"option_leg.strike"}
    assert "stored one-minute closes" in _errors(refused)
    for strike, premium in ((23900, 31.0), (23950, 48.0), (24000, 70.0)):
        candles_until_now(chain[(strike, "PE")], price=premium)
    response = execute(auth_client, paper_account, leg)
    assert response.status_code == 201, response.content
    assert response.json()["option_leg"]["strike"] == 23950


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"instrument": "NIFTY", "option_leg": {"underlying": "NIFTY", "option_type": "CE"}},
            "option_leg",
        ),
        ({}, "instrument"),
        ({"option_leg": "NIFTY 24000 CE"}, "option_leg"),
        ({"option_leg": {"option_type": "CE"}}, "option_leg.underlying"),
        ({"option_leg": {"underlying": "NIFTY", "option_type": "XX"}}, "option_leg.option_type"),
        (
            {"option_leg": {"underlying": "NIFTY", "option_type": "CE", "lots": 2}},
            "option_leg.lots",
        ),
        (
            {"option_leg": {"underlying": "NIFTY", "option_type": "CE", "stop": {"value": 5}}},
            "option_leg.stop",
        ),
        (
            {"option_leg": {"underlying": "NIFTY", "option_type": "CE", "position": "sell"}},
            "option_leg.position",
        ),
        (
            {
                "option_leg": {
                    "underlying": "NIFTY",
                    "option_type": "CE",
                    "strike": "delta_closest",
                    "delta": 0.3,
                }
            },
            "option_leg.strike",
        ),
        (
            {"option_leg": {"underlying": "NIFTY", "option_type": "CE", "expiry": "someday"}},
            "option_leg.expiry",
        ),
    ],
)
def test_a_bad_leg_or_both_or_neither_is_a_400_naming_the_field(
    auth_client, paper_account, nifty, chain, body, field
) -> None:
    response = execute(auth_client, paper_account, None, **body)
    assert response.status_code == 400, response.content
    assert field in _fields(response)
    assert not Order.objects.exists()


def test_another_users_account_and_orders_do_not_leak(
    auth_client, paper_account, nifty, chain, make_user
) -> None:
    from rest_framework.test import APIClient

    from algobacktester.accounts.tokens import token_pair
    from trades.services.accounts import account_connect

    candles_until_now(chain[(24000, "CE")], price=90.0)
    leg = {"underlying": "NIFTY", "option_type": "CE"}
    mine = execute(auth_client, paper_account, leg, headers={"HTTP_IDEMPOTENCY_KEY": "k1"})
    assert mine.status_code == 201
    other = make_user()
    intruder = APIClient()
    intruder.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair(other)['access']}")
    on_mine = execute(intruder, paper_account, leg)
    assert on_mine.status_code == 404
    assert not Order.objects.filter(owner=other).exists()
    # Idempotency keys are per user: the same key places their own order, never replays mine.
    theirs = account_connect(
        user=other, broker="paper", name="Theirs", paper={"starting_cash": "100000"}
    )
    own = execute(intruder, theirs, leg, headers={"HTTP_IDEMPOTENCY_KEY": "k1"})
    assert own.status_code == 201, own.content
    assert own.json()["id"] != mine.json()["id"]
    assert "k1" not in str(own.json()) and str(paper_account.pk) != str(own.json()["account"])
    assert intruder.get(f"/api/trades/{mine.json()['id']}").status_code == 404
