"""Command line: ``python -m engine backtest|sweep STRATEGY.json DATA.csv [options]``.

Bad files and options print one clear line and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.bars import Bars, load_csv
from engine.signals import Level
from engine.sim import SimConfig, Sizing, Slippage

EXIT_USAGE = 2
SUMMARY = ("return_pct", "sharpe", "max_drawdown_pct", "trades", "win_rate_pct")


class UsageError(Exception):
    """A problem with the user's input; reported without a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    bt = sub.add_parser("backtest", help="backtest a strategy and print its statistics")
    _common(bt)
    bt.add_argument("--trades", action="store_true", help="also print the trade list")
    bt.set_defaults(run=cmd_backtest)
    sw = sub.add_parser("sweep", help="backtest a grid of parameter values")
    _common(sw)
    sw.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="NODE.PARAM=A:B:STEP",
        help="a swept parameter (stop included), or NODE.PARAM=1,2,5; repeatable",
    )
    sw.add_argument(
        "--constraint", help="keep combinations where e.g. 'fast.timeperiod < slow.timeperiod'"
    )
    sw.add_argument("--metric", default="sharpe", help="statistic to rank by (default sharpe)")
    sw.add_argument("--minimize", action="store_true", help="smaller metric is better")
    sw.add_argument("--top", type=int, default=10, help="rows of the table to print")
    sw.add_argument(
        "--walk-forward",
        type=int,
        default=0,
        metavar="FOLDS",
        help="walk-forward analysis with this many folds instead of one sweep",
    )
    sw.add_argument("--in-sample", type=float, default=0.75, help="in-sample share of each fold")
    sw.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    sw.set_defaults(run=cmd_sweep)
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("strategy", type=Path, help="strategy graph document (JSON)")
    p.add_argument("data", type=Path, help="bars: CSV(.gz) with time,open,high,low,close[,volume]")
    p.add_argument("--capital", type=float, default=100_000.0, help="initial cash (default 100000)")
    p.add_argument(
        "--fees",
        default="zero",
        help="fee model name (zero, percent, flat, "
        "min_flat_percent, india_equity_intraday, india_futures, india_options)",
    )
    p.add_argument(
        "--fee-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fee model parameter, e.g. percent=0.05 or exchange=BSE; repeatable",
    )
    p.add_argument("--sizing", default="all_in", choices=["fixed", "lots", "percent", "all_in"])
    p.add_argument("--size", type=float, default=1.0, help="units, lots or percent (by --sizing)")
    p.add_argument("--lot-size", type=float, default=1.0)
    p.add_argument(
        "--lot-symbol",
        help="underlying (NIFTY, BANKNIFTY, SENSEX ...): lots sized by the lot in force on "
        "each bar's date instead of --lot-size",
    )
    p.add_argument("--margin", type=float, default=1.0, help="blocked fraction of notional")
    p.add_argument("--fill", default="next_open", choices=["next_open", "close"])
    p.add_argument("--order", default="market", choices=["market", "limit", "stop"])
    p.add_argument("--order-offset", type=float, default=0.0, help="limit/stop distance (points)")
    p.add_argument("--order-offset-percent", action="store_true", help="the offset is a percent")
    p.add_argument("--valid-bars", type=int, default=1, help="bars a limit/stop order works")
    p.add_argument("--slippage-ticks", type=float, default=0.0)
    p.add_argument("--tick-size", type=float, default=0.05)
    p.add_argument("--slippage-bps", type=float, default=0.0)
    p.add_argument("--target-first", action="store_true", help="target wins when a bar hits both")
    p.add_argument("--pyramiding", type=int, default=1)
    p.add_argument(
        "--end-of-data",
        default="close_at_close",
        choices=["close_at_close", "close_at_open", "keep_open"],
        help="a position open on the last bar: close at its close (default) or open, or keep it",
    )
    p.add_argument(
        "--keep-open",
        action="store_const",
        dest="end_of_data",
        const="keep_open",
        help="same as --end-of-data keep_open (the last of the two given wins)",
    )
    p.add_argument("--long-only", action="store_true")
    p.add_argument("--short-only", action="store_true")
    p.add_argument(
        "--timezone",
        default="Asia/Kolkata",
        help="zone of naive CSV times and of the trading day (default Asia/Kolkata)",
    )
    p.add_argument("--risk-free", type=float, default=0.0, help="annual rate for Sharpe/Sortino")
    legs = p.add_argument_group("option legs (strategies with option_leg actions)")
    legs.add_argument(
        "--premium-source",
        choices=["model", "real", "real_then_model"],
        help="model: Black-76 from the data's prices with --iv; real: candles from --chain-eod "
        "(a missing bar is an error); real_then_model: real where they exist",
    )
    legs.add_argument("--iv", type=float, help="annualised implied volatility, e.g. 0.14")
    legs.add_argument(
        "--iv-csv", type=Path, help="an IV series instead: CSV of time,iv (fractions, IST times)"
    )
    legs.add_argument("--rate", type=float, default=0.065, help="annual rate (default 0.065)")
    legs.add_argument(
        "--short-margin-pct",
        type=float,
        default=15.0,
        help="percent of the underlying's notional a short leg blocks (default 15)",
    )
    legs.add_argument(
        "--underlying", help="what the data is (NIFTY, BANKNIFTY ...) for legs that name none"
    )
    legs.add_argument(
        "--chain-eod",
        type=Path,
        help="NSE contract-wise EOD option file (daily candles) for real premiums",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def cmd_backtest(args: argparse.Namespace) -> int:
    from engine.backtest import run_backtest

    graph, bars, config = _inputs(args)
    result = run_backtest(bars, graph, config, risk_free_rate=args.risk_free)
    if args.json:
        print(json.dumps(result.to_dict(), allow_nan=False, default=str))
        return 0
    print(result.stats.format())
    counts = {k: v for k, v in result.sim.rejection_counts.items() if v}
    if counts:
        print(f"Entries not taken: {sum(counts.values())} ({counts})")
    if result.sim.open_position is not None:
        print(f"Open position: {result.sim.open_position.to_dict(args.timezone)}")
    if args.trades:
        with __import__("pandas").option_context("display.width", 250):
            print(result.trades.to_frame(args.timezone).to_string())
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from engine.sweep import ParamRange, run_sweep, walk_forward

    graph, bars, config = _inputs(args)
    ranges = [ParamRange.parse(text) for text in args.param]
    options: dict[str, Any] = {
        "metric": args.metric,
        "maximize": not args.minimize,
        "constraint": args.constraint,
    }
    with _Progress(args) as progress:
        if args.walk_forward:
            wf = walk_forward(
                bars,
                graph,
                ranges,
                config,
                folds=args.walk_forward,
                in_sample=args.in_sample,
                progress=progress,
                **options,
            )
            return _print_table(wf.windows, args)
        result = run_sweep(bars, graph, ranges, config, progress=progress, **options)
    table = result.table.sort_values(args.metric, ascending=args.minimize, na_position="last")
    if args.json:
        return _print_table(table, args)
    print(f"best by {args.metric}: {result.best_params}")
    columns = [*result.params, *dict.fromkeys([*SUMMARY, args.metric])]
    return _print_table(table.head(args.top)[columns], args)


def _print_table(table: Any, args: argparse.Namespace) -> int:
    if args.json:
        print(table.to_json(orient="records", date_format="iso"))
    else:
        with __import__("pandas").option_context("display.width", 200, "display.max_columns", 12):
            print(table.to_string(index=False))
    return 0


class _Progress:
    """A tqdm bar fed by the sweep's ``progress(done, total)`` callback."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.enabled = not (args.no_progress or args.json)
        self.bar: Any = None

    def __enter__(self) -> Any:
        return self.update if self.enabled else None

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="combo", file=sys.stderr)
        self.bar.update(done - self.bar.n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def _inputs(args: argparse.Namespace) -> tuple[Any, Bars, SimConfig]:
    config = _config(args)
    graph = _load_graph(args.strategy)
    _check_executable(graph, sweep=args.command == "sweep")
    config = _with_legs(args, graph, config)
    return graph, to_timeframe(_load_bars(args.data, args.timezone), graph.timeframe), config


def _check_executable(graph: Any, *, sweep: bool) -> None:
    from engine.graph import unexecutable_actions

    problems = unexecutable_actions(graph.document, legs=not sweep)
    if problems:
        p = problems[0]
        where = f"node '{p['node']}'" if p["node"] else p["field"]
        raise UsageError(f"the strategy cannot run as written: {where}: {p['message']}")


_SIZING_DEFAULTS = {"sizing": "all_in", "size": 1.0, "lot_size": 1.0, "lot_symbol": None}


def _with_legs(args: argparse.Namespace, graph: Any, config: SimConfig) -> SimConfig:
    """``config`` with ``options`` when the strategy has option legs (refusing flags that
    would be ignored: leg flags without legs, sizing flags with them)."""
    from dataclasses import replace

    from engine.options.config import OptionsConfig
    from engine.options.run import has_option_legs

    flags = ("premium_source", "iv", "iv_csv", "chain_eod", "underlying")
    given = [f"--{f.replace('_', '-')}" for f in flags if getattr(args, f) is not None]
    if not has_option_legs(graph.plan):
        if given:
            raise UsageError(f"{', '.join(given)}: the strategy has no option leg")
        return config
    if args.premium_source is None:
        raise UsageError(
            "the strategy has option legs: give --premium-source model (with --iv or --iv-csv), "
            "real or real_then_model (with --chain-eod)"
        )
    odd = [f"--{k.replace('_', '-')}" for k, v in _SIZING_DEFAULTS.items() if getattr(args, k) != v]
    if odd or args.margin != 1.0:
        raise UsageError(
            f"{', '.join([*odd, *(['--margin'] if args.margin != 1.0 else [])])}: option legs are "
            "sized by their lots and margined by --short-margin-pct"
        )
    if args.iv is not None and args.iv_csv is not None:
        raise UsageError("give --iv or --iv-csv, not both")
    chain = None
    if args.chain_eod is not None:
        from engine.options.frames import FrameChain

        if not args.chain_eod.is_file():
            raise UsageError(f"cannot read {args.chain_eod}: no such file")
        chain = FrameChain.from_nse_eod(args.chain_eod)
    iv: Any = args.iv
    if args.iv_csv is not None:
        iv = _iv_series(args.iv_csv, args.timezone)
    options = OptionsConfig(
        premium_source=args.premium_source,
        iv=iv,
        rate=args.rate,
        chain=chain,
        underlying=args.underlying.upper() if args.underlying else None,
        short_margin_pct=args.short_margin_pct,
    )
    return replace(config, options=options)


def _iv_series(path: Path, tz: str) -> Any:
    import pandas as pd

    if not path.is_file():
        raise UsageError(f"cannot read {path}: no such file")
    frame = pd.read_csv(path)
    if list(frame.columns[:2]) != ["time", "iv"]:
        raise UsageError(f"{path}: expected the columns time,iv")
    index = pd.DatetimeIndex(pd.to_datetime(frame["time"]))
    index = index.tz_localize(tz) if index.tz is None else index
    return pd.Series(frame["iv"].to_numpy(dtype=float), index=index)


def to_timeframe(bars: Bars, timeframe: str) -> Bars:
    """Bars at the strategy's timeframe: resampled up from finer data (as the backtest
    service does, buckets from 09:15 IST), saying so on stderr; finer or misaligned
    timeframes are refused rather than run on the wrong bars."""
    from engine.graph.resample import bar_seconds, resample
    from engine.graph.schema import timeframe_seconds

    want = timeframe_seconds(timeframe)
    have = bar_seconds(bars.ts)
    assert want is not None  # a compiled graph's timeframe is valid
    if have is None:
        raise UsageError("the data's bar spacing is not a whole number of seconds")
    if have == want:
        return bars
    if want < have:
        raise UsageError(
            f"the strategy runs on {timeframe} bars but the data has {_label(have)} bars; "
            f"give data at {timeframe} or finer"
        )
    if want % have:
        raise UsageError(
            f"the strategy's timeframe {timeframe} is not a multiple of the data's "
            f"{_label(have)} bars, so they cannot be resampled to it"
        )
    out = resample(bars, want, have).bars
    print(
        f"note: resampled {len(bars)} {_label(have)} bars to {len(out)} {timeframe} bars "
        "(buckets from 09:15 IST) for the strategy's timeframe",
        file=sys.stderr,
    )
    return out


def _label(seconds: int) -> str:
    if seconds == 86_400:
        return "1d"
    if seconds % 60:
        return f"{seconds}s"
    minutes = seconds // 60
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def _config(args: argparse.Namespace) -> SimConfig:
    if args.long_only and args.short_only:
        raise UsageError("--long-only and --short-only exclude each other")
    fees: Any = args.fees
    if args.fee_param:
        from engine.fees import get_fee_model

        fees = get_fee_model(args.fees, **dict(_kv(x) for x in args.fee_param))
    unit = "percent" if args.order_offset_percent else "points"
    return SimConfig(
        initial_cash=args.capital,
        fill=args.fill,
        entry_order=args.order,
        entry_offset=Level(value=args.order_offset, unit=unit),
        order_valid_bars=args.valid_bars,
        sizing=_sizing(args),
        fees=_check_fees(fees),
        margin=args.margin,
        stop_first=not args.target_first,
        slippage=Slippage(
            ticks=args.slippage_ticks, tick_size=args.tick_size, bps=args.slippage_bps
        ),
        pyramiding=args.pyramiding,
        end_of_data=args.end_of_data,
        allow_long=not args.short_only,
        allow_short=not args.long_only,
        timezone=args.timezone,
    )


def _sizing(args: argparse.Namespace) -> Sizing:
    if args.lot_symbol:
        from engine.markets.calendar import exchange_of

        exchange_of(args.lot_symbol)  # an unknown underlying is a usage error now, not mid-run
    return Sizing(
        mode=args.sizing, value=args.size, lot_size=args.lot_size, lot_symbol=args.lot_symbol
    )


def _check_fees(fees: Any) -> Any:
    from engine.fees import get_fee_model

    return get_fee_model(fees) if isinstance(fees, str) else fees


def _kv(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise UsageError(f"bad --fee-param {text!r}: expected KEY=VALUE")
    try:
        return key, float(value)
    except ValueError:
        return key, value


def _load_graph(path: Path) -> Any:
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise UsageError(f"cannot read strategy {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"strategy {path} is not valid JSON: {exc}") from None
    from engine.graph import GraphValidationError, compile_graph

    try:
        return compile_graph(doc)
    except GraphValidationError as exc:
        raise UsageError(f"strategy {path} is invalid: {exc}") from None


def _load_bars(path: Path, tz: str) -> Bars:
    if not path.is_file():
        raise UsageError(f"cannot read data {path}: no such file")
    try:
        bars = load_csv(path, tz=tz)
    except Exception as exc:  # pandas raises many types for a malformed file; all are user input
        raise UsageError(f"cannot load bars from {path}: {exc}") from None
    if len(bars) == 0:
        raise UsageError(f"{path} has no bars")
    return bars
