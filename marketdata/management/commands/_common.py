"""Helpers shared by the market-data commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from algobacktester.errors import ApplicationError, message_text
from marketdata.models import Instrument
from marketdata.services import instrument_index_get_or_create


def instrument_from_options(options: dict, *, create: bool = False) -> Instrument:
    if options.get("instrument_id"):
        found = Instrument.objects.filter(pk=options["instrument_id"]).first()
        if found is None:
            raise CommandError(f"instrument {options['instrument_id']} not found")
        return found
    symbol = (options.get("symbol") or "").strip().upper()
    if not symbol:
        raise CommandError("give --symbol or --instrument-id")
    found = Instrument.objects.filter(symbol=symbol).order_by("id").first()
    if found:
        return found
    if create:
        return instrument_index_get_or_create(symbol=symbol)
    raise CommandError(f"no instrument with symbol {symbol}")


def add_instrument_arguments(parser) -> None:
    parser.add_argument("--symbol", help="instrument symbol, e.g. NIFTY")
    parser.add_argument("--instrument-id", type=int)


def validation_message(exc: ApplicationError) -> str:
    return message_text(exc.detail)
