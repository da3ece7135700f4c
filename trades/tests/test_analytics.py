"""Trade analytics: round trips from fills, and the summary numbers by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trades.analytics import (
    FillRow,
    Trip,
    analytics,
    max_drawdown,
    streaks,
    summary,
    trips_from_fills,
)

T0 = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 09:30 IST, a Monday


def fill(
    minutes: int, qty: int, price: str, charges: str = "0", book=("a", 1, "INTRADAY")
) -> FillRow:
    return FillRow(
        book=book,
        quantity=qty,
        price=Decimal(price),
        charges=Decimal(charges),
        ts=T0 + timedelta(minutes=minutes),
        instrument="NIFTY",
        strategy="",
    )


def test_a_round_trip_is_flat_to_flat_net_of_charges() -> None:
    trips = trips_from_fills([fill(0, 10, "100", "2"), fill(5, 5, "102"), fill(9, -15, "103", "3")])
    assert len(trips) == 1
    # average 100.6667 x 15 -> exit 103: 35 gross, less 5 of charges
    assert trips[0].pnl == pytest.approx(30.0, abs=0.01)
    assert trips[0].entry_time == T0 and trips[0].exit_time == T0 + timedelta(minutes=9)


def test_a_flip_closes_one_trip_and_opens_the_next() -> None:
    trips = trips_from_fills([fill(0, 10, "100"), fill(1, -15, "110"), fill(2, 5, "100")])
    assert [t.pnl for t in trips] == [100.0, 50.0]


def test_books_are_kept_apart() -> None:
    other = ("b", 1, "INTRADAY")
    trips = trips_from_fills([fill(0, 1, "100"), fill(1, 1, "50", book=other), fill(2, -1, "90")])
    assert [t.pnl for t in trips] == [-10.0]


def test_summary_by_hand() -> None:
    pnls = [100.0, -50.0, -30.0, 200.0, 10.0]
    out = summary([Trip(T0, T0, p, "NIFTY", "") for p in pnls])
    assert out["trades"] == 5 and out["wins"] == 3 and out["losses"] == 2
    assert out["win_rate"] == 60.0
    assert out["profit_factor"] == pytest.approx(310 / 80, abs=1e-4)
    assert out["expectancy"] == 46.0
    assert out["max_drawdown"] == 80.0
    assert (out["longest_win_streak"], out["longest_loss_streak"], out["current_streak"]) == (
        2,
        2,
        2,
    )


def test_edges() -> None:
    assert summary([])["win_rate"] is None and summary([])["max_drawdown"] == 0.0
    assert max_drawdown([-5.0, -5.0]) == 10.0
    assert streaks([1.0, 0.0, -1.0])["current_streak"] == -1


def test_groups_use_ist() -> None:
    late = Trip(T0, datetime(2026, 6, 1, 19, 0, tzinfo=UTC), 5.0, "NIFTY", "S")  # 00:30 IST Tue
    out = analytics([late])
    assert out["by_day"][0]["key"] == "2026-06-02"
    assert out["by_weekday"][0]["key"] == "Tue" and out["by_hour"][0]["key"] == "00"
    assert out["by_strategy"][0]["key"] == "S"


@pytest.mark.django_db
def test_another_users_backtest_is_404(auth_client) -> None:
    response = auth_client.get("/api/trades/analytics?backtest=424242")
    assert response.status_code == 404 and response.json()["errors"][0]["field"] == "backtest"
    both = auth_client.get("/api/trades/analytics?backtest=1&account=1")
    assert both.status_code == 400
