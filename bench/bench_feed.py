"""The market feed's hot path: Dhan v2 frames parsed and every tick checked against the
protective levels of 1, 100 and 1,000 sessions watching the instrument (ticks per second).

What one ``live_feed --source dhan`` process does per frame, minus the socket and the
database: ``live.dhan_packets.parse_frame`` then ``live.feed.TickGuard.tick`` per tick (the
vectorised prefilter, then ``engine.live.tick_exit`` for the sessions outside their bounds),
and optionally the tick recorder's in-memory 1-second bars (``--record``). Every session
watches the same instrument (the worst case: NIFTY for everyone); their levels are spread
around the price so a few percent of the ticks cross someone's level. For comparison, the
naive check (``tick_exit`` for every session on every tick) is timed too.

    .venv/bin/python bench/bench_feed.py [--sessions 1 100 1000] [--ticks 50000] [--runs 5]

Reports the median of ``--runs`` runs. No database, no network.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--ticks", type=int, default=50_000)
    parser.add_argument("--per-frame", type=int, default=10, help="packets per WebSocket frame")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--record", action="store_true", help="also fold ticks into 1 s bars")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "algobacktester.settings.base")
    import django

    django.setup()

    frames, prices = _frames(args.ticks, args.per_frame)
    print(f"{args.ticks} ticks in frames of {args.per_frame} quote packets; median of {args.runs}")
    parse = statistics.median(_parse_only(frames) for _ in range(args.runs))
    print(f"parse only: {parse:,.0f} ticks/s")
    print("sessions | parse + check (ticks/s) | naive check (ticks/s) | exits sent")
    for n in args.sessions:
        rows = _levels(n, prices)
        fast = [_run(frames, rows, record=args.record) for _ in range(args.runs)]
        naive = [_naive(prices, rows) for _ in range(max(1, args.runs // 2))]
        rate = statistics.median(r[0] for r in fast)
        print(f"{n:>8} | {rate:>23,.0f} | {statistics.median(naive):>21,.0f} | {fast[0][1]:>10}")


def _frames(n: int, per_frame: int) -> tuple[list[bytes], np.ndarray]:
    from live.dhan_packets import pack_quote

    rng = np.random.default_rng(17)
    prices = np.round((21_500 + np.cumsum(rng.normal(0, 2.0, n))) / 0.05) * 0.05
    ltt0 = 1_704_101_400
    packets = [pack_quote(0, 13, float(p), ltt0 + i // 20, volume=i) for i, p in enumerate(prices)]
    frames = [b"".join(packets[i : i + per_frame]) for i in range(0, n, per_frame)]
    return frames, prices.astype(np.float32).astype(np.float64)


def _levels(n: int, prices: np.ndarray) -> list[tuple[int, int, dict]]:
    """``n`` sessions on instrument 1, long and short, stops and targets 0.5–3% away from
    prices seen in the run (so some cross), half with a daily loss limit."""
    rng = np.random.default_rng(n)
    rows = []
    for sid in range(n):
        side = 1 if sid % 2 == 0 else -1
        avg = float(rng.choice(prices))
        away = avg * float(rng.uniform(0.005, 0.03))
        rows.append(
            (
                sid,
                1,
                {
                    "side": side,
                    "stop": avg - side * away,
                    "stop_reason": "stop",
                    "target": avg + side * 1.5 * away,
                    "quantity": 75.0,
                    "average": avg,
                    "day_loss_limit": 20_000.0 if sid % 4 < 2 else None,
                    "day_pnl": -1_000.0,
                    "position_bar": 1_704_080_000_000_000_000 + sid,
                },
            )
        )
    return rows


def _run(frames: list[bytes], rows: list, *, record: bool) -> tuple[float, int]:
    from live.dhan_packets import ltt_to_ns, parse_frame
    from live.feed import TickGuard
    from live.ticks import TickRecorder

    sent = []
    guard = TickGuard(send=lambda *a: sent.append(a))
    guard.load(rows)
    recorder = TickRecorder() if record else None
    ticks = 0
    t0 = time.perf_counter()
    for frame in frames:
        for t in parse_frame(frame).ticks:
            if recorder is not None:
                recorder.tick(1, ltt_to_ns(t.ltt), t.ltp, t.volume)
            guard.tick(1, t.ltp)
            ticks += 1
    return ticks / (time.perf_counter() - t0), len(sent)


def _parse_only(frames: list[bytes]) -> float:
    from live.dhan_packets import parse_frame

    t0 = time.perf_counter()
    n = sum(len(parse_frame(f).ticks) for f in frames)
    return n / (time.perf_counter() - t0)


def _naive(prices: np.ndarray, rows: list) -> float:
    from engine.live import tick_exit

    sample = prices[: max(200, 200_000 // max(1, len(rows)))]
    t0 = time.perf_counter()
    for p in sample:
        for _, _, levels in rows:
            tick_exit(levels, float(p))
    return len(sample) / (time.perf_counter() - t0)


if __name__ == "__main__":
    main()
