"""How a finished run's result is written: trades by COPY from the engine's arrays, and the
result part of its answer rendered once as bytes (docs/adr/0012-results-as-data.md).

Before, the store built one Python dict a trade (``to_dict``), then one model object a trade,
then ``bulk_create``: ~70% of a one-year run's time through a worker. Now each column is
formatted once as a whole (orjson writes a float array in C; ``iso_times`` the times) and
PostgreSQL reads the rows with one COPY; SQLite (embedded mode) takes ``bulk_create``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
from django.db import connection
from django.utils import timezone

from algobacktester.api.timezones import user_zone
from algobacktester.jsonout import dumps
from engine.sim.result import Trades

from . import presentation
from .models import BacktestRun, BacktestTrade
from .options import OPTION_TRADE_KEYS

COPY_COLUMNS = (
    "run_id",
    "seq",
    "side",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "quantity",
    "pnl",
    "return_pct",
    "charges",
    "charges_breakdown",
    "exit_reason",
    "bars_held",
    "option",
)


def commit_without_flush_wait() -> None:
    """This transaction's commit returns without waiting for its WAL to reach the disk
    (PostgreSQL ``synchronous_commit = off``, for this transaction only): ~15 ms a run on a
    busy disk. A database crash in the next ~0.6 s may lose the commit, never half of it:
    the run is then still ``running`` with a lapsing lease, and the reaper runs it again
    (docs/adr/0012-results-as-data.md)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def trades_write(run_id: int, trades: Trades) -> int:
    """Replace the run's trade rows with ``trades`` (closed round trips); return how many."""
    BacktestTrade.objects.filter(run_id=run_id).delete()
    if len(trades) == 0:
        return 0
    columns = trade_columns(trades)
    if connection.vendor == "postgresql":
        _copy(run_id, columns)
    else:
        BacktestTrade.objects.bulk_create(_models(run_id, columns), batch_size=2000)
    return len(trades)


def trade_columns(trades: Trades) -> dict[str, Any]:
    """The trade table's columns from the engine's (UTC times; money rounded by the column)."""
    cols = trades.to_columns("UTC")
    breakdown = {k.removeprefix("charges_"): v for k, v in cols.items() if k.startswith("charges_")}
    return {
        "side": cols["side"],
        "entry_time": cols["entry_time"],
        "exit_time": cols["exit_time"],
        "entry_price": cols["entry_price"],
        "exit_price": cols["exit_price"],
        "quantity": cols["qty"],
        "pnl": cols["pnl"],
        "return_pct": cols["return_pct"],
        "charges": cols["charges"],
        "charges_breakdown": breakdown,
        "exit_reason": cols["exit_reason"],
        "bars_held": np.maximum(cols["exit_bar"] - cols["entry_bar"], 0),
        "option": _option_facts(trades),
    }


def _option_facts(trades: Trades) -> list[dict[str, Any]] | None:
    """An option leg's contract, premiums, lots, source and group a trade (docs/adr/0014);
    None for a run without legs (its trades are the instrument's own)."""
    facts = getattr(trades, "facts", None)
    if not facts:
        return None
    return [{k: fact[k] for k in OPTION_TRADE_KEYS if k in fact} for fact in facts]


def _option_texts(option: list[dict[str, Any]] | None, n: int) -> list[bytes]:
    """The ``option`` column as COPY text: JSON, its backslashes doubled (COPY reads ``\\x``
    as an escape), or ``\\N`` for a run without legs."""
    if option is None:
        return [b"\\N"] * n
    return [orjson.dumps(fact).replace(b"\\", b"\\\\") for fact in option]


def _parts(values: np.ndarray) -> list[bytes]:
    """A number column as JSON text, one ``bytes`` a value (NaN as null): orjson writes the
    whole array in C and one split cuts it."""
    if len(values) == 0:
        return []
    return orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].split(b",")


def _texts(values: np.ndarray, *, null: bytes = b"\\N") -> list[bytes]:
    """A number column as COPY text; a NaN is COPY's ``\\N`` (NULL), or ``null`` when given
    (``0`` for a money column that may not be NULL, as the old store wrote it)."""
    parts = _parts(values)
    return [null if p == b"null" else p for p in parts] if b"null" in parts else parts


def _breakdown_json(breakdown: dict[str, np.ndarray], n: int) -> list[bytes]:
    """``{"brokerage": 20.0, ...}`` a trade, joined column by column (numpy.strings in C)."""
    if not breakdown:
        return [b"{}"] * n
    text = np.full(n, b"{", dtype="S1")
    for k, (name, values) in enumerate(breakdown.items()):
        key = (b"," if k else b"") + orjson.dumps(name) + b":"
        text = np.strings.add(np.strings.add(text, key), np.asarray(_parts(values), dtype=bytes))
    return np.strings.add(text, b"}").tolist()


def _copy(run_id: int, c: dict[str, Any]) -> None:
    n = len(c["side"])
    rows = zip(
        [str(run_id).encode()] * n,
        [str(i).encode() for i in range(1, n + 1)],
        [s.encode() for s in c["side"]],
        [t.encode() for t in c["entry_time"]],
        [t.encode() for t in c["exit_time"]],
        _texts(c["entry_price"], null=b"0"),
        _texts(c["exit_price"], null=b"0"),
        _texts(c["quantity"], null=b"0"),
        _texts(c["pnl"], null=b"0"),
        _texts(c["return_pct"]),
        _texts(c["charges"], null=b"0"),
        _breakdown_json(c["charges_breakdown"], n),
        [r.encode() for r in c["exit_reason"]],
        _texts(c["bars_held"]),
        _option_texts(c["option"], n),
        strict=True,
    )
    payload = b"\n".join(b"\t".join(row) for row in rows) + b"\n"
    sql = f"COPY {BacktestTrade._meta.db_table} ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(payload)


def _models(run_id: int, c: dict[str, Any]) -> list[BacktestTrade]:
    n = len(c["side"])
    breakdown = {k: v.tolist() for k, v in c["charges_breakdown"].items()}
    return [
        BacktestTrade(
            run_id=run_id,
            seq=i + 1,
            side=c["side"][i],
            entry_time=datetime.fromisoformat(c["entry_time"][i]),
            exit_time=datetime.fromisoformat(c["exit_time"][i]),
            entry_price=_dec(c["entry_price"][i], 4),
            exit_price=_dec(c["exit_price"][i], 4),
            quantity=_dec(c["quantity"][i], 4),
            pnl=_dec(c["pnl"][i], 2),
            return_pct=_finite(c["return_pct"][i]),
            charges=_dec(c["charges"][i], 2),
            charges_breakdown={k: _finite(v[i]) for k, v in breakdown.items()},
            exit_reason=c["exit_reason"][i],
            bars_held=int(c["bars_held"][i]),
            option=c["option"][i] if c["option"] is not None else None,
        )
        for i in range(n)
    ]


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _dec(value: Any, places: int) -> Decimal:
    return Decimal(str(round(_finite(value) or 0.0, places)))


# --- the answer's result part ---------------------------------------------------------------


def zone_name(zone: Any) -> str:
    return getattr(zone, "key", None) or str(zone)


def result_render(run: BacktestRun) -> bytes:
    """The result part of the run's answer in the current zone, as JSON bytes."""
    return dumps(presentation.result_part(run))


def result_prepare(run: BacktestRun) -> None:
    """Render the result part in the owner's zone onto the run (the caller saves it)."""
    zone = user_zone(run.owner)
    with timezone.override(zone):
        run.result_body = result_render(run)
    run.result_zone = zone_name(zone)


# A finished run's result part never changes (a re-run is a new run), so a web process keeps
# the latest ones it served: a read then needs neither the bytes from the database (~200 KB)
# nor a render. Keyed by (id, finished_at, zone): an id reused after a rollback (SQLite) or
# another zone is another key. Finished sweeps' answers are kept the same way.
class Kept:
    """A small thread-safe LRU of rendered bytes, one per web process."""

    def __init__(self, size: int) -> None:
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: tuple[Any, ...], body: bytes) -> bytes:
        with self._lock:
            self._items[key] = body
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return body

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_KEPT = Kept(64)
_KEPT_SWEEPS = Kept(16)


def sweep_body(sweep: Any, render: Any) -> bytes:
    """A sweep's whole answer in the current zone: ``render()`` (890 rows of statistics,
    rounded for display: ~100 ms), kept once the sweep is finished. The key holds what can
    still change on a finished sweep (its strategy is null once deleted)."""
    if sweep.status != "done":
        return render()
    zone = zone_name(timezone.get_current_timezone())
    key = (sweep.pk, sweep.finished_at, zone, sweep.strategy_id)
    return _KEPT_SWEEPS.get(key) or _KEPT_SWEEPS.put(key, render())


def result_body(run: BacktestRun) -> bytes:
    """The run's result part in the current zone: kept by this process, else the stored bytes
    (fetched now: the detail selector defers them), else rendered now and stored when the
    run is finished (a run stored before these bytes existed, or an owner who changed zone,
    pays once)."""
    zone = zone_name(timezone.get_current_timezone())
    if run.status != "done":
        return result_render(run)
    key = (run.pk, run.finished_at, zone)
    body = _KEPT.get(key)
    if body is not None:
        return body
    stored = BacktestRun.objects.filter(pk=run.pk, result_zone=zone).values_list(
        "result_body", flat=True
    )
    body = next((bytes(b) for b in stored if b is not None), None)
    if body is None:
        body = result_render(run)
        BacktestRun.objects.filter(pk=run.pk, status="done").update(
            result_body=body, result_zone=zone
        )
    return _KEPT.put(key, body)
