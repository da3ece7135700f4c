"""The paper broker: a simulated broker over stored market data, with its own order book.

Fills follow the engine's own rules and fee models, the code a backtest uses
(``engine.sim.kernel._slip`` for slippage, ``engine.fees`` for charges):

- a market order fills at the ask (buy) or bid (sell) when the quote has them, else at the
  last price plus the configured slippage, against the order;
- a limit order fills when the price reaches it, at that price or better (a limit is not
  slipped, as in the backtest); a stop triggers when the last price crosses it, and then
  fills as a market order (stop-loss market) or works as a limit (stop-loss);
- nothing fills on a stale quote: older than ``quote_max_age_seconds`` or outside the day's
  range. The order waits (PENDING) for a fresh one.

Quotes come from stored candles (``marketdata.selectors.candles_load``): the last price is the
close of the latest one-minute bar of the IST day, its time the bar's close. The account's
ledger (cash, margin blocked, realised P&L, charges) changes with every fill; positions are
folded from the broker-side trades. Intraday positions are squared off by the trades service
at the configured time (trades/services/paper.py), through ordinary orders.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any, ClassVar

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from engine.fees import get_fee_model
from engine.markets.calendar import IST
from engine.sim.config import SimConfig, Slippage, build_params
from engine.sim.kernel import _slip
from marketdata import selectors as md

from ..models import BrokerAccount, PaperBrokerOrder, PaperBrokerTrade, PaperLedger
from ..positions import fold
from .base import (
    Broker,
    BrokerFill,
    BrokerOrder,
    BrokerPosition,
    BrokerRejected,
    Capabilities,
    Funds,
    OrderRequest,
    Quote,
)

CENT = Decimal("0.01")
TICK = Decimal("0.0001")
WORKING = ("TRANSIT", "PENDING", "PART_TRADED")


def now() -> datetime:
    """The paper broker's clock (tests move it)."""
    return timezone.now()


def account_clock(account: BrokerAccount) -> datetime:
    """A paper account's clock: the replay clock a live replay session set (``paper.clock``,
    ISO time of the bar it stepped; live/services.py), else :func:`now`."""
    clock = (account.paper or {}).get("clock") if account.broker == "paper" else None
    return datetime.fromisoformat(clock) if clock else now()


class PaperBroker(Broker):
    name: ClassVar[str] = "paper"
    label: ClassVar[str] = "Paper (simulated fills on stored market data)"
    capabilities: ClassVar[Capabilities] = Capabilities(
        modify=True,
        cancel_all=True,
        quotes=True,
        kill_switch=True,
        slicing=True,  # a simulated exchange has no freeze quantity to split around
        needs_credentials=False,
        live=False,
    )

    def __init__(self, *, account: BrokerAccount, credentials: dict[str, Any]) -> None:
        super().__init__(account=account, credentials=credentials)
        self.conf = paper_conf(account)
        # broker order id -> the trades this adapter just wrote for it (fills() answers them)
        self._just_filled: dict[str, list[BrokerFill]] = {}

    # --- orders ----------------------------------------------------------------------------
    def place(self, request: OrderRequest) -> BrokerOrder:
        with transaction.atomic():
            if self._lock_account():
                raise BrokerRejected(
                    "the paper account's kill switch is active", code="KILL_SWITCH"
                )
            # Worked before it is stored: an order that fills at once is one INSERT, not an
            # INSERT and an UPDATE.
            row = PaperBrokerOrder(
                account_id=self.account.pk,
                broker_order_id=f"P{uuid.uuid4().hex[:19]}",
                correlation_id=request.client_id,
                instrument_id=request.instrument_id,
                side=request.side,
                quantity=request.quantity,
                order_type=request.order_type,
                product=request.product,
                price=request.price,
                trigger_price=request.trigger_price,
                status="PENDING",
            )
            self._work(row)
            if row.pk is None:
                row.save()
        return _broker_order(row)

    def order_by_client_id(self, client_id: str) -> BrokerOrder | None:
        row = self._orders().filter(correlation_id=client_id).order_by("id").first()
        return _broker_order(row) if row else None

    def orders(self) -> list[BrokerOrder]:
        return [_broker_order(r) for r in self._orders()]

    def fills(self, broker_order_id: str | None = None) -> list[BrokerFill]:
        if broker_order_id in self._just_filled:  # this adapter's own fills: no need to read
            return list(self._just_filled[broker_order_id])
        rows = PaperBrokerTrade.objects.filter(order__account_id=self.account.pk)
        if broker_order_id:
            rows = rows.filter(order__broker_order_id=broker_order_id)
        return [_broker_fill(t) for t in rows.select_related("order")]

    def positions(self) -> list[BrokerPosition]:
        out = []
        for (instrument_id, product), (net, average, realised) in self._folded().items():
            out.append(
                BrokerPosition(
                    security_id=str(instrument_id),
                    segment="PAPER",
                    product=product,
                    net_quantity=net,
                    average_price=average,
                    realised_pnl=realised,
                )
            )
        return out

    def funds(self) -> Funds:
        ledger = ledger_of(self.account)
        return Funds(
            available=(ledger.cash - ledger.margin_blocked).quantize(CENT),
            used_margin=ledger.margin_blocked,
            realised_pnl=ledger.realised_pnl,
        )

    def cancel(self, broker_order_id: str) -> BrokerOrder:
        with transaction.atomic():
            row = self._orders().select_for_update().get(broker_order_id=broker_order_id)
            if row.status not in WORKING:
                raise BrokerRejected(f"order {broker_order_id} is {row.status}", code="NOT_OPEN")
            row.status = "CANCELLED"
            row.save(update_fields=["status", "updated_at"])
        return _broker_order(row)

    def modify(
        self,
        broker_order_id: str,
        *,
        quantity: int,
        order_type: str,
        price: Decimal | None,
        trigger_price: Decimal | None,
    ) -> BrokerOrder:
        with transaction.atomic():
            self._lock_account()
            row = self._orders().select_for_update().get(broker_order_id=broker_order_id)
            if row.status not in WORKING:
                raise BrokerRejected(f"order {broker_order_id} is {row.status}", code="NOT_OPEN")
            if quantity < row.filled_quantity:
                raise BrokerRejected("quantity is below what already filled", code="QUANTITY")
            row.quantity, row.order_type = quantity, order_type
            row.price, row.trigger_price = price, trigger_price
            row.save()
            self._work(row)
        return _broker_order(row)

    def cancel_all(self) -> int:
        return self._orders().filter(status__in=WORKING).update(status="CANCELLED")

    def kill_switch(self, *, active: bool) -> None:
        BrokerAccount.objects.filter(pk=self.account.pk).update(
            paper={**self.account.paper, "kill_switch": active}
        )
        self.account.paper = {**self.account.paper, "kill_switch": active}

    def quote(self, request: OrderRequest) -> Quote | None:
        return account_quote(self.account, request.instrument_id, at=account_clock(self.account))

    def instrument_id_for(self, *, security_id: str, segment: str) -> int | None:
        return int(security_id) if security_id.isdigit() else None

    def work_open_orders(self) -> int:
        """Try every working order against the current quote; returns how many filled."""
        filled = 0
        for pk in self._orders().filter(status__in=WORKING).values_list("pk", flat=True):
            with transaction.atomic():
                self._lock_account()
                row = PaperBrokerOrder.objects.select_for_update().get(pk=pk)
                if row.status in WORKING:
                    filled += self._work(row)
        return filled

    # --- the simulated exchange -------------------------------------------------------------
    def _orders(self) -> Any:
        return PaperBrokerOrder.objects.filter(account_id=self.account.pk)

    def _lock_account(self) -> bool:
        """Lock the account's row until the caller's transaction ends; True if its kill switch
        is on. Fills of one account are worked one at a time under this lock, so each one
        folds the position and moves the ledger the one before it left."""
        return bool(
            BrokerAccount.objects.select_for_update()
            .filter(pk=self.account.pk)
            .values_list("paper__kill_switch", flat=True)
            .first()
        )

    def _work(self, row: PaperBrokerOrder) -> int:
        """Fill ``row`` (inside the caller's transaction) if the quote allows; 1 if it did."""
        at = account_clock(self.account)
        quote = account_quote(self.account, row.instrument_id, at=at)
        reason = stale_reason(quote, at=at, max_age=self.conf["quote_max_age_seconds"])
        if reason:
            _note(row, f"waiting: {reason}")
            return 0
        assert quote is not None
        window = bar_window(self.account, row, at)
        price = (
            bar_fill_price(row, window, self.conf) if window else fill_price(row, quote, self.conf)
        )
        if price is None:
            _note(row, "waiting: the price has not reached the order")
            return 0
        return self._execute(row, price, quote.ts)

    def _execute(self, row: PaperBrokerOrder, price: float, ts: datetime) -> int:
        qty = row.quantity - row.filled_quantity
        px = Decimal(str(price)).quantize(TICK, rounding=ROUND_HALF_UP)
        signed = qty if row.side == "BUY" else -qty
        net, average, _ = self._folded(row.instrument_id, row.product).get(
            (row.instrument_id, row.product), (0, Decimal(0), 0)
        )
        after = fold(net, average, signed, px)
        margin = Decimal(str(self.conf["margin"]))
        blocked_now = paisa(abs(net) * average * margin)
        blocked_after = paisa(abs(after.net) * after.average * margin)
        value = paisa(signed * px)  # cash moves in paise: the ledger adds up exactly
        charges = self._charges(px, qty, row.side, ts)
        ledger = PaperLedger.objects.filter(account_id=self.account.pk)
        if blocked_after > blocked_now:  # more margin: the cash left must cover it
            need = value + charges.total - blocked_now + blocked_after
            ledger = ledger.filter(cash__gte=F("margin_blocked") + need)
        # One conditional UPDATE checks the funds and moves the ledger; the caller holds the
        # account's lock (_lock_account), so nothing moved it since the fold above.
        moved = ledger.update(
            cash=F("cash") - value - charges.total,
            margin_blocked=F("margin_blocked") - blocked_now + blocked_after,
            realised_pnl=F("realised_pnl") + paisa(after.realised),
            charges=F("charges") + charges.total,
            updated_at=timezone.now(),
        )
        if not moved:
            ledger_of(self.account)  # no ledger at all is its own error
            row.status, row.reason = (
                "REJECTED",
                "insufficient funds for the margin this order needs",
            )
            _store(row, ["status", "reason", "updated_at"])
            return 0
        row.average_price = px if not row.filled_quantity else _avg(row, qty, px)
        row.filled_quantity, row.status, row.reason = row.quantity, "TRADED", ""
        _store(row, ["average_price", "filled_quantity", "status", "reason", "updated_at"])
        trade = PaperBrokerTrade.objects.create(
            order=row,
            trade_id=f"T{uuid.uuid4().hex[:19]}",
            quantity=qty,
            price=px,
            charges=charges.total,
            charges_breakdown=charges.breakdown,
            ts=ts,
        )
        self._just_filled.setdefault(row.broker_order_id, []).append(_broker_fill(trade))
        return 1

    def _charges(self, price: Decimal, qty: int, side: str, ts: datetime) -> Any:
        model = fee_model(self.conf["fee_model"])
        found = model.charges(
            price=float(price),
            qty=float(qty),
            side="buy" if side == "BUY" else "sell",
            on=ts.astimezone(IST_ZONE),
        )
        return _Charges(Decimal(str(found.total)).quantize(CENT), found.to_dict())

    def _folded(
        self, instrument_id: int | None = None, product: str | None = None
    ) -> dict[tuple[int, str], tuple[int, Decimal, Decimal]]:
        """Broker-side positions: every trade of the account (or of one instrument and product)
        folded in time order."""
        out: dict[tuple[int, str], tuple[int, Decimal, Decimal]] = {}
        trades = PaperBrokerTrade.objects.filter(order__account_id=self.account.pk)
        if instrument_id is not None:
            trades = trades.filter(order__instrument_id=instrument_id, order__product=product)
        trades = trades.order_by("ts", "id").values_list(
            "order__instrument_id", "order__product", "order__side", "quantity", "price"
        )
        for instrument_id, product, side, qty, price in trades:
            net, average, realised = out.get((instrument_id, product), (0, Decimal(0), Decimal(0)))
            after = fold(net, average, qty if side == "BUY" else -qty, price)
            out[(instrument_id, product)] = (after.net, after.average, realised + after.realised)
        return out


def paisa(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class _Charges:
    __slots__ = ("breakdown", "total")

    def __init__(self, total: Decimal, breakdown: dict[str, float]) -> None:
        self.total, self.breakdown = total, breakdown


def _avg(row: PaperBrokerOrder, qty: int, px: Decimal) -> Decimal:
    done = row.filled_quantity
    return ((row.average_price or px) * done + px * qty) / (done + qty)


def _note(row: PaperBrokerOrder, reason: str) -> None:
    if row.reason != reason:
        row.reason = reason
        _store(row, ["reason", "updated_at"])


def _store(row: PaperBrokerOrder, fields: list[str]) -> None:
    """Save the changed ``fields``; a row not yet stored (being placed) is inserted whole."""
    if row.pk is None:
        row.save()
    else:
        row.save(update_fields=fields)


# --- quotes and fill rules ---------------------------------------------------------------

IST_ZONE = IST  # Asia/Kolkata, a ZoneInfo


def quote_from_candles(instrument_id: int, *, at: datetime) -> Quote | None:
    """The latest one-minute bar of ``at``'s IST day, closed by ``at``: last = its close."""
    day = at.astimezone(IST_ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    bars = md.candles_load(instrument=instrument_id, timeframe="1m", start=day, end=at)
    closed = np.flatnonzero(bars.ts + 60 * 10**9 <= int(at.timestamp() * 10**9))
    if not len(closed):
        return None
    last = int(closed[-1])
    return Quote(
        ts=datetime.fromtimestamp((int(bars.ts[last]) + 60 * 10**9) / 1e9, tz=IST_ZONE),
        last=float(bars.close[last]),
        day_high=float(bars.high[: last + 1].max()),
        day_low=float(bars.low[: last + 1].min()),
    )


def stale_reason(quote: Quote | None, *, at: datetime, max_age: float) -> str:
    if quote is None:
        return "no quote for today"
    age = (at - quote.ts).total_seconds()
    if age > max_age:
        return f"the quote is {age:.0f}s old (more than {max_age:.0f}s)"
    high, low = quote.day_high, quote.day_low
    if high is not None and low is not None and not low <= quote.last <= high:
        return "the last price is outside the day's range"
    return ""


def fill_price(row: Any, quote: Quote, conf: dict[str, Any]) -> float | None:
    """The price ``row`` fills at on ``quote``, or None while it waits."""
    buy = row.side == "BUY"
    touch = (quote.ask if buy else quote.bid) or quote.last  # what a buyer pays, a seller gets
    market = touch if (quote.ask if buy else quote.bid) else slipped(quote.last, buy, conf)
    kind = row.order_type
    if kind == "MARKET":
        return market
    if kind in ("STOP_LOSS", "STOP_LOSS_MARKET"):
        trigger = float(row.trigger_price)
        if (quote.last < trigger) if buy else (quote.last > trigger):
            return None  # not triggered
        if kind == "STOP_LOSS_MARKET":
            return market
    limit = float(row.price)
    if (touch <= limit) if buy else (touch >= limit):
        return touch  # at the limit or better, not slipped (the backtest's limit rule)
    return None


RESTING = ("LIMIT", "STOP_LOSS", "STOP_LOSS_MARKET")


@dataclass(frozen=True, slots=True)
class BarRange:
    open: float
    high: float
    low: float


def published(account: BrokerAccount, instrument_id: int, at: datetime) -> list[float] | None:
    """The premium bar (open, high, low, close) a live replay session published for an option
    contract at the replay clock ``at``: the premium its engine priced the bar at, from the
    session's premium source (model, or the stored candles). Option contracts of a model
    run have no stored candles, and a real run's are read the same way by both."""
    paper = (account.paper or {}) if account.broker == "paper" else {}
    quotes = paper.get("quotes") or {}
    if quotes.get("at") != at.isoformat():
        return None
    return quotes.get("bars", {}).get(str(instrument_id))


def account_quote(account: BrokerAccount, instrument_id: int, *, at: datetime) -> Quote | None:
    """The quote of ``instrument_id`` at ``at``: a published premium bar, else the candles."""
    bar = published(account, instrument_id, at)
    if bar is None:
        return quote_from_candles(instrument_id, at=at)
    return Quote(ts=at, last=bar[3], day_high=bar[1], day_low=bar[2])


def bar_window(account: BrokerAccount, row: Any, at: datetime) -> BarRange | None:
    """The range of the replay bar a live replay session just stepped (``paper.bar_from`` to
    the clock), for a stop or limit order: it rested at the broker through that bar, as the
    engine's stop and target did. None outside a replay, or for a market order."""
    start = (account.paper or {}).get("bar_from") if account.broker == "paper" else None
    if not start or row.order_type not in RESTING:
        return None
    bar = published(account, row.instrument_id, at)
    if bar is not None:
        return BarRange(bar[0], bar[1], bar[2])
    bars = md.candles_load(
        instrument=row.instrument_id,
        timeframe="1m",
        start=datetime.fromisoformat(start),
        end=at,
    )
    inside = np.flatnonzero(bars.ts + 60 * 10**9 <= int(at.timestamp() * 10**9))
    if not len(inside):
        return None
    first, last = int(inside[0]), int(inside[-1]) + 1
    return BarRange(
        float(bars.open[first]),
        float(bars.high[first:last].max()),
        float(bars.low[first:last].min()),
    )


def bar_fill_price(row: Any, bar: BarRange, conf: dict[str, Any]) -> float | None:
    """A resting stop or limit order against a bar's range, by the backtest's rules
    (``engine.sim.kernel._protect``): a stop fills at its trigger, slipped, or at the open
    when the bar opened through it; a limit at its price, or at the open when that is
    better; neither when the range did not reach it."""
    buy = row.side == "BUY"
    if row.order_type in ("STOP_LOSS", "STOP_LOSS_MARKET"):
        trigger = float(row.trigger_price)
        if not ((bar.high >= trigger) if buy else (bar.low <= trigger)):
            return None
        at = bar.open if ((bar.open >= trigger) if buy else (bar.open <= trigger)) else trigger
        if row.order_type == "STOP_LOSS_MARKET":
            return slipped(at, buy, conf)
        limit = float(row.price)
        return at if ((at <= limit) if buy else (at >= limit)) else None
    limit = float(row.price)
    if (bar.open <= limit) if buy else (bar.open >= limit):
        return bar.open
    return limit if ((bar.low <= limit) if buy else (bar.high >= limit)) else None


def slipped(price: float, is_buy: bool, conf: dict[str, Any]) -> float:
    """The backtest's slippage (``engine.sim.kernel._slip``) with this account's settings."""
    return float(
        _slip(
            _slip_params(conf["slippage_ticks"], conf["tick_size"], conf["slippage_bps"]),
            price,
            is_buy,
        )
    )


@cache
def _slip_params(ticks: float, tick_size: float, bps: float) -> np.ndarray:
    config = SimConfig(slippage=Slippage(ticks=ticks, tick_size=tick_size, bps=bps))
    return build_params(config)


@cache
def fee_model(name: str) -> Any:
    return get_fee_model(name)


def paper_conf(account: BrokerAccount) -> dict[str, Any]:
    from django.conf import settings

    return {"tick_size": 0.05, **settings.TRADES["PAPER"], **(account.paper or {})}


def ledger_of(account: BrokerAccount) -> PaperLedger:
    ledger = PaperLedger.objects.filter(account_id=account.pk).first()
    if ledger is None:
        raise BrokerRejected("this paper account has no ledger", code="NO_LEDGER")
    return ledger


def _broker_order(row: PaperBrokerOrder) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=row.broker_order_id,
        client_id=row.correlation_id,
        status=row.status,
        side=row.side,
        quantity=row.quantity,
        filled_quantity=row.filled_quantity,
        average_price=row.average_price,
        price=row.price,
        trigger_price=row.trigger_price,
        order_type=row.order_type,
        product=row.product,
        security_id=str(row.instrument_id),
        segment="PAPER",
        reason=row.reason,
    )


def _broker_fill(trade: PaperBrokerTrade) -> BrokerFill:
    return BrokerFill(
        broker_order_id=trade.order.broker_order_id,
        trade_id=trade.trade_id,
        client_id=trade.order.correlation_id,
        quantity=trade.quantity,
        price=trade.price,
        ts=trade.ts,
        charges=trade.charges,
        charges_breakdown=trade.charges_breakdown,
    )


__all__ = ["PaperBroker", "fill_price", "quote_from_candles", "slipped", "stale_reason"]
