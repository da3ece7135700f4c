"""The run config's end-of-data option: validated, stored, and passed to the engine."""

from __future__ import annotations

from backtests.api.config import RunConfigSerializer
from backtests.config import normalise, sim_config


def _engine(data: dict) -> str:
    s = RunConfigSerializer(data=data)
    assert s.is_valid(), s.errors
    return sim_config(normalise(s.validated_data, lot_size=1, tick_size=0.05)).end_of_data


def test_end_of_data_defaults_to_closing_at_the_last_close() -> None:
    assert _engine({}) == "close_at_close"


def test_end_of_data_is_passed_through() -> None:
    assert _engine({"end_of_data": "close_at_open"}) == "close_at_open"
    assert _engine({"end_of_data": "keep_open"}) == "keep_open"


def test_close_at_end_false_still_keeps_the_position_open() -> None:
    assert _engine({"close_at_end": False}) == "keep_open"
    # runs stored before end_of_data existed re-run identically
    assert sim_config(
        normalise({"close_at_end": False}, lot_size=1, tick_size=0.05)
    ).end_of_data == ("keep_open")


def test_contradictions_and_unknown_values_are_400s() -> None:
    s = RunConfigSerializer(data={"close_at_end": False, "end_of_data": "close_at_open"})
    assert not s.is_valid()
    assert "contradicts close_at_end" in str(s.errors["end_of_data"][0])
    s = RunConfigSerializer(data={"end_of_data": "close"})
    assert not s.is_valid() and "end_of_data" in s.errors


def test_close_at_end_true_contradicts_keep_open() -> None:
    s = RunConfigSerializer(data={"close_at_end": True, "end_of_data": "keep_open"})
    assert not s.is_valid()
    assert str(s.errors["end_of_data"][0]) == (
        "'keep_open' contradicts close_at_end=true (close the position)"
    )
    agreeing = RunConfigSerializer(data={"close_at_end": True, "end_of_data": "close_at_open"})
    assert agreeing.is_valid(), agreeing.errors


def _stored(data: dict) -> dict:
    s = RunConfigSerializer(data=data)
    assert s.is_valid(), s.errors
    return normalise(s.validated_data, lot_size=1, tick_size=0.05)


def test_the_stored_config_holds_end_of_data_alone() -> None:
    assert _stored({})["end_of_data"] == "close_at_close"
    keep = _stored({"end_of_data": "keep_open"})
    assert keep["end_of_data"] == "keep_open" and "close_at_end" not in keep
    old_spelling = _stored({"close_at_end": False})
    assert old_spelling["end_of_data"] == "keep_open" and "close_at_end" not in old_spelling


def test_old_rows_with_close_at_end_still_read() -> None:
    from backtests.config import end_of_data

    assert end_of_data({"close_at_end": True}) == "close_at_close"
    assert end_of_data({"close_at_end": False}) == "keep_open"
    assert end_of_data({"close_at_end": True, "end_of_data": "close_at_open"}) == "close_at_open"
