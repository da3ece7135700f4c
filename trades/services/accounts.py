"""Broker accounts: connect (checking the credentials with a funds call), update, delete,
halt and resume (wired to the broker's kill switch), and the token-expiry alert."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from algobacktester.accounts.models import User
from algobacktester.bus import Event, emit
from algobacktester.errors import (
    BadGateway,
    Conflict,
    InvalidInput,
    PermissionDenied,
    Unavailable,
)
from engine.fees import get_fee_model
from engine.risk_gate import RiskLimits
from engine.sim.config import square_off_minute

from ..brokers.base import (
    Broker,
    BrokerAuthError,
    BrokerError,
    BrokerRejected,
    BrokerUnavailable,
    Funds,
    NotSupported,
)
from ..brokers.registry import UnknownBroker, broker_class
from ..crypto import CredentialsUnreadable, credentials_decrypt, credentials_encrypt
from ..models import (
    LIVE_STATUSES,
    UNSETTLED_STATUSES,
    BrokerAccount,
    Order,
    PaperLedger,
    Position,
    TradingState,
)

logger = logging.getLogger(__name__)

PAPER_KEYS = {
    "starting_cash": "decimal",
    "slippage_bps": "number",
    "slippage_ticks": "number",
    "fee_model": "str",
    "margin": "number",
    "quote_max_age_seconds": "number",
    "square_off": "hhmm",
}
RISK_KEYS = (
    "max_lots_per_order",
    "daily_loss_limit",
    "max_open_positions",
    "allowed_instruments",
    "trading_hours",
    "max_orders_per_second",
)


# --- the adapter of an account -------------------------------------------------------------


@sensitive_variables("credentials")
def broker_for(account: BrokerAccount) -> Broker:
    """The account's adapter with its credentials decrypted in memory (never stored or logged)."""
    cls = broker_class(account.broker)
    return cls(account=account, credentials=account_credentials(account))


@sensitive_variables("credentials")
def account_credentials(account: BrokerAccount) -> dict[str, Any]:
    """The account's credentials, decrypted in memory for an adapter or the market feed: never
    stored, logged, returned by the API or passed as a task argument."""
    try:
        return credentials_decrypt(account.credentials)
    except CredentialsUnreadable as exc:
        raise Unavailable(str(exc), code="credentials_unreadable") from exc


def risk_limits(account: BrokerAccount) -> RiskLimits:
    risk = {**settings.TRADES["DEFAULT_RISK"], **(account.risk or {})}
    hours = risk.get("trading_hours")
    start, end = (square_off_minute(h) for h in hours) if hours else (None, None)
    allowed = risk.get("allowed_instruments")
    return RiskLimits(
        max_lots_per_order=risk.get("max_lots_per_order"),
        daily_loss_limit=risk.get("daily_loss_limit"),
        max_open_positions=risk.get("max_open_positions"),
        allowed_instruments=frozenset(s.upper() for s in allowed) if allowed is not None else None,
        trading_start_minute=start,
        trading_end_minute=end,
        max_orders_per_second=risk.get("max_orders_per_second") or 10,
    )


# --- connect, update, delete -----------------------------------------------------------------


@sensitive_variables("credentials")
def account_connect(
    *,
    user: User,
    broker: str,
    name: str,
    credentials: dict[str, Any] | None = None,
    paper: dict[str, Any] | None = None,
    risk: dict[str, Any] | None = None,
) -> BrokerAccount:
    cls = _broker_cls(broker)
    credentials = _credentials_checked(cls, credentials)
    account = BrokerAccount(
        owner=user,
        name=name,
        broker=broker,
        paper=_paper_checked(cls, paper),
        risk=_risk_checked(risk or {}),
    )
    if credentials:
        account.credentials = credentials_encrypt(credentials)
    adapter = cls(account=account, credentials=credentials)
    if cls.capabilities.needs_credentials:
        _funds_check(account, adapter)  # before anything is stored: bad credentials store nothing
    account.token_expires_at = adapter.credentials_expiry()
    account.broker_client_hint = adapter.credentials_hint()
    try:
        with transaction.atomic():
            account.save()
            if broker == "paper":
                _ledger_create(account)
    except IntegrityError as exc:
        raise Conflict({"name": [f"you already have an account named {name!r}"]}) from exc
    if not cls.capabilities.needs_credentials:
        _funds_check(account, adapter, save=True)
    logger.info("broker account %s (%s) connected", account.pk, broker)
    return account


@sensitive_variables("credentials")
def account_update(
    *,
    account: BrokerAccount,
    name: str | None = None,
    credentials: dict[str, Any] | None = None,
    paper: dict[str, Any] | None = None,
    risk: dict[str, Any] | None = None,
) -> BrokerAccount:
    cls = _broker_cls(account.broker)
    if name is not None:
        account.name = name
    if paper is not None:
        if account.broker != "paper":
            raise InvalidInput({"paper": ["only a paper account has paper settings"]})
        checked = _paper_checked(cls, paper)
        if "starting_cash" in checked and Order.objects.filter(account=account).exists():
            raise Conflict({"paper.starting_cash": ["cannot change once the account has orders"]})
        account.paper = {**account.paper, **checked}
    if risk is not None:
        account.risk = _risk_checked({**account.risk, **risk})
    if credentials is not None:
        credentials = _credentials_checked(cls, credentials)
        adapter = cls(account=account, credentials=credentials)
        _funds_check(account, adapter)
        account.credentials = credentials_encrypt(credentials)
        account.status = BrokerAccount.Status.CONNECTED
        account.token_expires_at = adapter.credentials_expiry()
        account.token_alerted_at = None
        account.broker_client_hint = adapter.credentials_hint()
    try:
        with transaction.atomic():
            account.save()
            if paper and "starting_cash" in paper:
                PaperLedger.objects.filter(account=account).update(
                    starting_cash=account.paper["starting_cash"],
                    cash=account.paper["starting_cash"],
                )
    except IntegrityError as exc:
        raise Conflict({"name": [f"you already have an account named {name!r}"]}) from exc
    return account


def account_delete(*, account: BrokerAccount) -> None:
    busy = Order.objects.filter(account=account, status__in=(*LIVE_STATUSES, *UNSETTLED_STATUSES))
    if busy.exists():
        raise Conflict("the account has working or unsettled orders: cancel them first")
    if Position.objects.filter(account=account).exclude(net_quantity=0).exists():
        raise Conflict("the account has open positions: square them off first")
    account.delete()


@sensitive_variables("credentials")
def account_test(*, account: BrokerAccount) -> BrokerAccount:
    """ "Test credentials": the broker's funds call with the stored credentials.

    Success records the funds, the token's expiry and CONNECTED (a reconnected token clears
    an earlier ``token_expired``). A refused token marks the account ``token_expired`` and is a
    409 naming ``credentials``; a broker that fails otherwise leaves the status alone and is a
    502. Messages never carry the token: the broker's text is scrubbed of every credential."""
    cls = _broker_cls(account.broker)  # a live broker the operator switched off: 403
    credentials = account_credentials(account)  # that no key decrypts: 503 "reconnect"
    adapter = cls(account=account, credentials=credentials)
    try:
        funds = adapter.funds()
    except BrokerAuthError as exc:
        message = _scrubbed(str(exc), credentials)
        account_token_failed(account=account, message=message)
        raise Conflict(
            {"credentials": [f"the broker refused them: {message}; reconnect with new ones"]},
            code="credentials_refused",
        ) from None
    except BrokerError as exc:
        raise BadGateway(
            f"the broker's funds call failed: {_scrubbed(str(exc), credentials)}",
            code="broker_error",
        ) from None
    account.funds, account.funds_at = funds.to_dict(), timezone.now()
    expiry = adapter.credentials_expiry()
    fields = {"funds": account.funds, "funds_at": account.funds_at, "token_expires_at": expiry}
    if account.status != BrokerAccount.Status.CONNECTED:
        fields["status"] = BrokerAccount.Status.CONNECTED
    if expiry != account.token_expires_at:
        fields["token_alerted_at"] = None  # a new token earns its own expiry alert
    BrokerAccount.objects.filter(pk=account.pk).update(**fields)
    for name, value in fields.items():
        setattr(account, name, value)
    return account


@sensitive_variables("credentials")
def _scrubbed(text: str, credentials: dict[str, Any]) -> str:
    """``text`` without any credential value in it (a broker may echo what it was sent)."""
    for value in credentials.values():
        if value and len(str(value)) >= 6:
            text = text.replace(str(value), "[redacted]")
    return text[:300]


def account_funds_refresh(*, account: BrokerAccount) -> Funds:
    adapter = broker_for(account)
    return _funds_check(account, adapter, save=True)


def _funds_check(account: BrokerAccount, adapter: Broker, *, save: bool = False) -> Funds:
    try:
        funds = adapter.funds()
    except BrokerAuthError as exc:
        raise InvalidInput({"credentials": [f"the broker refused them: {exc}"]}) from exc
    except (BrokerUnavailable, BrokerRejected) as exc:
        raise Unavailable(f"the broker did not answer the funds check: {exc}") from exc
    account.funds, account.funds_at = funds.to_dict(), timezone.now()
    if save:
        BrokerAccount.objects.filter(pk=account.pk).update(
            funds=account.funds, funds_at=account.funds_at
        )
    return funds


def _broker_cls(broker: str) -> type[Broker]:
    try:
        cls = broker_class(broker)
    except UnknownBroker as exc:
        raise InvalidInput({"broker": [str(exc)]}) from exc
    if cls.capabilities.live and not settings.TRADES["LIVE_BROKERS_ENABLED"]:
        raise PermissionDenied(
            {"broker": [f"live trading through {broker} is off until the operator enables it"]}
        )
    return cls


@sensitive_variables("credentials")
def _credentials_checked(cls: type[Broker], credentials: dict[str, Any] | None) -> dict[str, Any]:
    credentials = credentials or {}
    if not cls.capabilities.needs_credentials:
        if credentials:
            raise InvalidInput({"credentials": [f"a {cls.name} account takes no credentials"]})
        return {}
    fields = cls.credential_fields()
    missing = [f for f in fields if not str(credentials.get(f) or "").strip()]
    if missing:
        raise InvalidInput({"credentials": [f"{cls.name} needs {', '.join(missing)}"]})
    extra = sorted(set(credentials) - set(fields))
    if extra:
        raise InvalidInput({"credentials": [f"unknown fields: {', '.join(extra)}"]})
    return {f: str(credentials[f]).strip() for f in fields}


def _paper_checked(cls: type[Broker], paper: dict[str, Any] | None) -> dict[str, Any]:
    if not paper:
        if cls.name == "paper":
            return {"starting_cash": str(settings.TRADES["PAPER"]["starting_cash"])}
        return {}
    if cls.name != "paper":
        raise InvalidInput({"paper": ["only a paper account has paper settings"]})
    out: dict[str, Any] = {}
    for key, value in paper.items():
        kind = PAPER_KEYS.get(key)
        if kind is None:
            raise InvalidInput(
                {f"paper.{key}": [f"unknown setting; one of {', '.join(PAPER_KEYS)}"]}
            )
        out[key] = _paper_value(key, kind, value)
    out.setdefault("starting_cash", str(settings.TRADES["PAPER"]["starting_cash"]))
    return out


def _paper_value(key: str, kind: str, value: Any) -> Any:
    field = f"paper.{key}"
    try:
        if kind == "decimal":
            amount = Decimal(str(value))
            if not amount.is_finite() or not Decimal("0") < amount < Decimal("1e14"):
                raise ValueError
            return str(amount.quantize(Decimal("0.01")))
        if kind == "number":
            number = float(value)
            if not 0 <= number < 1e9 or (key == "margin" and number <= 0):
                raise ValueError
            return number
        if kind == "hhmm":
            square_off_minute(str(value))
            return str(value)
        get_fee_model(str(value))
        return str(value)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise InvalidInput(
            {field: [f"{value!r} is not a valid {key}: {exc}".rstrip(": ")]}
        ) from None


def _risk_checked(risk: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(risk) - set(RISK_KEYS))
    if unknown:
        raise InvalidInput(
            {f"risk.{unknown[0]}": [f"unknown limit; one of {', '.join(RISK_KEYS)}"]}
        )
    probe = BrokerAccount(risk=risk)
    try:
        risk_limits(probe)
    except (ValueError, TypeError) as exc:
        raise InvalidInput({"risk": [str(exc)]}) from None
    return risk


def _ledger_create(account: BrokerAccount) -> None:
    cash = Decimal(
        str(account.paper.get("starting_cash") or settings.TRADES["PAPER"]["starting_cash"])
    )
    PaperLedger.objects.create(account=account, starting_cash=cash, cash=cash)


# --- halt and resume ----------------------------------------------------------------------------


def account_halt(
    *, account: BrokerAccount, actor: str, reason: str = "", reducing: bool = False
) -> BrokerAccount:
    """HALTED (nothing passes the gate; the broker's kill switch engaged where it has one)
    or REDUCING (exits only)."""
    state = TradingState.REDUCING if reducing else TradingState.HALTED
    reason = (reason or f"set by {actor}")[:300]
    BrokerAccount.objects.filter(pk=account.pk).update(trading_state=state, state_reason=reason)
    account.trading_state, account.state_reason = state, reason
    if state == TradingState.HALTED:
        _kill_switch(account, active=True)
    emit(
        Event(
            "trades.halted",
            user_id=account.owner_id,
            data={
                "account": account.pk,
                "name": account.name,
                "state": state,
                "reason": reason,
                "by": actor,
            },
        )
    )
    return account


def account_resume(*, account: BrokerAccount, actor: str) -> BrokerAccount:
    if account.status == BrokerAccount.Status.TOKEN_EXPIRED:
        raise Conflict("the broker refused this account's token: reconnect it first")
    was_halted = account.trading_state == TradingState.HALTED
    BrokerAccount.objects.filter(pk=account.pk).update(
        trading_state=TradingState.ACTIVE, state_reason=f"resumed by {actor}"
    )
    account.trading_state, account.state_reason = TradingState.ACTIVE, f"resumed by {actor}"
    if was_halted:
        _kill_switch(account, active=False)
    return account


def _kill_switch(account: BrokerAccount, *, active: bool) -> None:
    adapter = broker_for(account)
    if not adapter.capabilities.kill_switch:
        return
    try:
        adapter.kill_switch(active=active)
    except NotSupported:
        return
    except BrokerError as exc:  # the gate refuses anyway; say that the broker's switch failed
        logger.warning("kill switch of account %s not %s: %s", account.pk, active, exc)
        reason = f"{account.state_reason}; broker kill switch failed: {exc}"[:300]
        BrokerAccount.objects.filter(pk=account.pk).update(state_reason=reason)


def account_token_failed(*, account: BrokerAccount, message: str) -> None:
    """The broker refused the token (expired): entries stop until the user reconnects."""
    updated = (
        BrokerAccount.objects.filter(pk=account.pk)
        .exclude(status=BrokerAccount.Status.TOKEN_EXPIRED)
        .update(status=BrokerAccount.Status.TOKEN_EXPIRED)
    )
    if updated:
        emit(
            Event(
                "trades.token_expired",
                user_id=account.owner_id,
                data={"account": account.pk, "name": account.name, "message": message[:300]},
                key=f"token-expired:{account.pk}:{account.token_expires_at}",
            )
        )


def tokens_expiring_alert(*, now: Any = None) -> int:
    """Alert each owner once per token, a few hours before it lapses (Dhan: 24 h)."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.TRADES["TOKEN_ALERT_HOURS"])
    due = BrokerAccount.objects.filter(
        token_expires_at__isnull=False, token_expires_at__lte=horizon, token_alerted_at__isnull=True
    )
    sent = 0
    for account in due:
        with transaction.atomic():
            if not BrokerAccount.objects.filter(
                pk=account.pk, token_alerted_at__isnull=True
            ).update(token_alerted_at=now):
                continue
            emit(
                Event(
                    "trades.token_expiring",
                    user_id=account.owner_id,
                    data={
                        "account": account.pk,
                        "name": account.name,
                        "expires_at": account.token_expires_at.isoformat(),
                    },
                    key=f"token:{account.pk}:{account.token_expires_at.isoformat()}",
                )
            )
            sent += 1
    return sent
