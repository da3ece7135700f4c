"""Options as data: contracts, option candles from files and from Dhan, IV samples."""

from .contracts import ContractFacts, ContractKey, option_contracts_ensure
from .files import option_file_import
from .ingest import iv_samples_store, option_bars_ingest
from .rolling import option_premiums_fetch, option_premiums_fetch_run

__all__ = [
    "ContractFacts",
    "ContractKey",
    "iv_samples_store",
    "option_bars_ingest",
    "option_contracts_ensure",
    "option_file_import",
    "option_premiums_fetch",
    "option_premiums_fetch_run",
]
