"""The command line runs option legs on model or real (EOD file) premiums, and refuses with
one line what it would not carry out: legs without a premium source, leg flags without legs,
sizing flags with legs, legs in a sweep."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from engine.graph import example_documents
from engine.markets.synthetic import synthetic_frame

ROOT = Path(__file__).resolve().parents[2]
EOD = ROOT / "../shared/data/nifty_options_eod_monthly-expiry_2019-01_2019-03_2021-01.csv.gz"
INDEX = ROOT / "../shared/data/nifty50_daily_2000-01_2024-02_niftyindices.csv.gz"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli_options")
    out = {}
    for name in ("short_straddle_0920", "sma_cross"):
        out[name] = root / f"{name}.json"
        out[name].write_text(json.dumps(example_documents()[name]))
    frame = synthetic_frame(start=date(2025, 3, 3), days=3, seed=2)
    frame = frame.tz_convert("Asia/Kolkata").tz_localize(None).rename_axis("datetime")
    out["bars"] = root / "bars.csv"
    frame.reset_index()[["datetime", "open", "high", "low", "close"]].to_csv(
        out["bars"], index=False
    )
    return out


def test_a_straddle_on_model_premiums(files, capsys) -> None:
    args = ["backtest", str(files["short_straddle_0920"]), str(files["bars"]), "--json"]
    args += ["--capital", "1000000", "--fees", "india_options", "--premium-source", "model"]
    args += ["--iv", "0.13", "--underlying", "NIFTY"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["premium_source"] == "model"
    assert len(out["trades"]) == 6  # 3 days x 2 legs
    assert {t["option_type"] for t in out["trades"]} == {"CE", "PE"}
    assert set(out["leg_stats"]) == {"sell_ce", "sell_pe"}


@pytest.mark.parametrize(
    ("strategy", "extra", "message"),
    [
        ("short_straddle_0920", [], "has option legs: give --premium-source"),
        ("sma_cross", ["--premium-source", "model", "--iv", "0.1"], "has no option leg"),
        (
            "short_straddle_0920",
            ["--premium-source", "model", "--iv", "0.1", "--sizing", "lots"],
            "--sizing: option legs are sized by their lots",
        ),
        ("short_straddle_0920", ["--premium-source", "model"], "needs an iv input"),
        ("short_straddle_0920", ["--premium-source", "real"], "needs an option chain"),
    ],
)
def test_refusals_are_one_line(
    files, capsys, strategy: str, extra: list[str], message: str
) -> None:
    assert main(["backtest", str(files[strategy]), str(files["bars"]), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_sweep_refuses_legs(files, capsys) -> None:
    args = ["sweep", str(files["short_straddle_0920"]), str(files["bars"])]
    assert main([*args, "--param", "at_0920.n=5,6", "--no-progress"]) == 2
    assert "not in sweeps" in capsys.readouterr().err


def test_real_premiums_from_an_nse_eod_file(tmp_path: Path, capsys) -> None:
    if not EOD.exists() or not INDEX.exists():
        pytest.skip("real data absent (../shared/data)")
    doc = example_documents()["ema_atm_put"]
    doc["settings"]["timeframe"] = "1d"
    for n in doc["nodes"]:
        if n["id"] in ("ma_fast", "ma_slow"):
            n["params"]["timeperiod"] = 2 if n["id"] == "ma_fast" else 5
        if n["id"] == "sell_put":
            n["params"]["expiry"] = "current_month"
    strategy = tmp_path / "put.json"
    strategy.write_text(json.dumps(doc))
    idx = pd.read_csv(INDEX).set_index("date").loc["2019-01-01":"2019-01-30"]
    data = tmp_path / "nifty.csv"
    idx.reset_index().to_csv(data, index=False)
    args = ["backtest", str(strategy), str(data), "--json", "--capital", "1000000"]
    args += ["--premium-source", "real", "--chain-eod", str(EOD), "--underlying", "NIFTY"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["premium_source"] == "real"
    first = out["trades"][0]
    # EMA 2 over EMA 5 at the close of 2019-01-08 (NIFTY 10,802.15, ATM 10,800): the Jan-31
    # 10800 PE is sold at the 01-09 open, 120.00, and bought back at the 01-14 open, 143.00,
    # after the cross back on 01-11. 75 units: -1,725.00 before charges (zero here).
    assert (first["strike"], first["option_type"], first["expiry"]) == (
        10_800.0,
        "PE",
        "2019-01-31",
    )
    assert (first["premium_in"], first["premium_out"], first["units"]) == (120.0, 143.0, 75)
    assert first["pnl"] == pytest.approx(-1_725.0)
    assert all(t["premium_source"] == "real" for t in out["trades"])
