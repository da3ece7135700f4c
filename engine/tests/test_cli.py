"""The command line: output, options, and exit code 2 with one line for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.cli import main
from engine.graph import example_documents


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    strategy = root / "strategy.json"
    strategy.write_text(json.dumps(example_documents()["sma_cross"]))
    n = 750
    rng = np.random.default_rng(3)
    close = 100 + np.cumsum(rng.normal(0, 0.5, n))
    times = pd.date_range("2024-01-01 09:15", periods=375, freq="min")
    times = times.append(pd.date_range("2024-01-02 09:15", periods=375, freq="min"))
    frame = pd.DataFrame(
        {"datetime": times, "open": close, "high": close + 0.2, "low": close - 0.2, "close": close}
    )
    data = root / "bars.csv"
    frame.to_csv(data, index=False)
    return strategy, data


def test_backtest_prints_the_statistics_table(files, capsys) -> None:
    strategy, data = files
    assert main(["backtest", str(strategy), str(data), "--capital", "50000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Start")
    assert "Sharpe Ratio" in out and "# Trades" in out


def test_backtest_json(files, capsys) -> None:
    strategy, data = files
    args = [
        "backtest",
        str(strategy),
        str(data),
        "--json",
        "--fees",
        "india_equity_intraday",
        "--sizing",
        "fixed",
        "--size",
        "10",
        "--fill",
        "close",
    ]
    assert main(args) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["stats"]["trades"] == len(payload["trades"]) > 0
    assert payload["trades"][0]["charges"] > 0


def test_sweep_table_and_best(files, capsys) -> None:
    strategy, data = files
    args = [
        "sweep",
        str(strategy),
        str(data),
        "--param",
        "ma_fast.timeperiod=5:15:5",
        "--param",
        "ma_slow.timeperiod=10,20",
        "--constraint",
        "ma_fast.timeperiod < ma_slow.timeperiod",
        "--no-progress",
        "--metric",
        "return_pct",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("best by return_pct: {'ma_fast.timeperiod'")
    assert len(out.strip().splitlines()) == 2 + 4  # header line, column line, 4 combinations


def test_sweep_walk_forward_json(files, capsys) -> None:
    strategy, data = files
    args = [
        "sweep",
        str(strategy),
        str(data),
        "--param",
        "ma_fast.timeperiod=5:10:5",
        "--walk-forward",
        "2",
        "--json",
    ]
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2 and "oos_return_pct" in rows[0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fees", "nope"], "unknown fee model 'nope'"),
        (["--fee-param", "oops"], "expected KEY=VALUE"),
        (["--sizing", "fixed", "--size", "0"], "sizing value"),
        (["--long-only", "--short-only"], "exclude each other"),
    ],
)
def test_bad_options_exit_2_with_one_line(files, capsys, extra: list[str], message: str) -> None:
    strategy, data = files
    assert main(["backtest", str(strategy), str(data), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_files_exit_2(files, tmp_path: Path, capsys) -> None:
    strategy, data = files
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"nodes": "x"}))
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("a,b\n1,2\n")
    cases = [
        (["backtest", str(tmp_path / "missing.json"), str(data)], "cannot read strategy"),
        (["backtest", str(broken), str(data)], "not valid JSON"),
        (["backtest", str(invalid), str(data)], "is invalid"),
        (["backtest", str(strategy), str(tmp_path / "missing.csv")], "no such file"),
        (["backtest", str(strategy), str(garbage)], "cannot load bars"),
        (["sweep", str(strategy), str(data), "--param", "ma_fast.timeperiod=x"], "bad --param"),
        (["sweep", str(strategy), str(data), "--param", "nope.timeperiod=1,2"], "not a tunable"),
        (
            [
                "sweep",
                str(strategy),
                str(data),
                "--param",
                "ma_fast.timeperiod=5",
                "--metric",
                "luck",
            ],
            "unknown metric",
        ),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err, (argv, err)
        assert "Traceback" not in err


def test_argparse_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["backtest"])
    assert exc.value.code == 2


def _strategy(tmp_path: Path, timeframe: str) -> Path:
    doc = example_documents()["sma_cross"]
    doc["settings"]["timeframe"] = timeframe
    path = tmp_path / f"sma_{timeframe}.json"
    path.write_text(json.dumps(doc))
    return path


def _five_minute_file(data: Path, tmp_path: Path) -> Path:
    """The one-minute fixture aggregated to 5 minutes by pandas, independently of the engine."""
    frame = pd.read_csv(data, parse_dates=["datetime"]).set_index("datetime")
    agg = frame.resample("5min", origin="start_day", offset="15min").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last"}
    )
    path = tmp_path / "bars_5m.csv"
    agg.dropna().reset_index().to_csv(path, index=False)
    return path


def test_a_coarser_strategy_resamples_the_data_and_says_so(files, tmp_path: Path, capsys) -> None:
    _, data = files
    strategy = _strategy(tmp_path, "5m")
    assert main(["backtest", str(strategy), str(data), "--json"]) == 0
    captured = capsys.readouterr()
    assert "resampled 750 1m bars to 150 5m bars" in captured.err
    from_1m = json.loads(captured.out)
    assert main(["backtest", str(strategy), str(_five_minute_file(data, tmp_path)), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # 5-minute data for a 5-minute strategy: nothing to say
    from_5m = json.loads(captured.out)
    assert from_1m["stats"]["trades"] > 0
    assert from_1m["stats"] == from_5m["stats"] and from_1m["trades"] == from_5m["trades"]


def test_same_timeframe_is_silent(files, capsys) -> None:
    strategy, data = files
    assert main(["backtest", str(strategy), str(data)]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("timeframe", "message"),
    [
        ("1m", "the strategy runs on 1m bars but the data has 5m bars; give data at 1m or finer"),
        ("7m", "the strategy's timeframe 7m is not a multiple of the data's 5m bars"),
    ],
)
def test_finer_or_misaligned_timeframes_are_refused(
    files, tmp_path: Path, capsys, timeframe: str, message: str
) -> None:
    _, data = files
    five = _five_minute_file(data, tmp_path)
    assert main(["backtest", str(_strategy(tmp_path, timeframe)), str(five)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_bar_spacing_ignores_overnight_gaps() -> None:
    from engine.graph.resample import bar_minutes
    from engine.graph.testing import random_walk_bars

    assert bar_minutes(random_walk_bars(750).ts) == 1
    assert bar_minutes(random_walk_bars(150, minutes=5).ts) == 5
    daily = np.datetime64("2024-01-01T03:45", "ns").astype(np.int64) + np.arange(5) * 86_400 * 10**9
    assert bar_minutes(daily) == 1440
    assert bar_minutes(np.arange(5, dtype=np.int64) * 30 * 10**9) is None  # 30-second bars


def test_end_of_data_option(files, capsys) -> None:
    strategy, data = files
    args = ["backtest", str(strategy), str(data), "--json", "--fill", "close"]
    for end in ("close_at_close", "close_at_open", "keep_open"):
        assert main([*args, "--end-of-data", end]) == 0
        payload = json.loads(capsys.readouterr().out)
        assert set(payload["rejection_counts"]) >= {"insufficient_funds", "cooldown"}
        if end == "keep_open":
            assert all(t["exit_reason"] != "end" for t in payload["trades"])


def test_lot_symbol_sizes_by_the_dated_lot(files, capsys) -> None:
    strategy, data = files
    base = ["backtest", str(strategy), str(data), "--json", "--sizing", "lots", "--size", "2"]
    assert main([*base, "--lot-size", "65", "--lot-symbol", "nifty"]) == 0
    trades = json.loads(capsys.readouterr().out)["trades"]
    assert trades and {t["qty"] for t in trades} == {100.0}  # 2 lots of 50 in January 2024
    assert main([*base, "--lot-size", "65"]) == 0
    assert {t["qty"] for t in json.loads(capsys.readouterr().out)["trades"]} == {130.0}


def test_an_unknown_lot_symbol_exits_2_with_one_line(files, capsys) -> None:
    strategy, data = files
    assert main(["backtest", str(strategy), str(data), "--lot-symbol", "NOPE"]) == 2
    err = capsys.readouterr().err
    assert "unknown underlying 'NOPE'" in err and len(err.strip().splitlines()) == 1
