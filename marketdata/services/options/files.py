"""Option file imports: NSE EOD and contract files, option-chain snapshots; one run each."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO

from workers.leases import lease_heartbeat, lease_owned

from ...models import ImpliedVolatility, IngestionRun
from ...providers import FileFormatError
from ...providers.option_files import OptionBars, option_file_read
from ..ingestion.runs import ingestion_run_create, ingestion_run_finish, run_lease
from .ingest import option_bars_ingest

logger = logging.getLogger(__name__)
Status = IngestionRun.Status


def _only(batch: OptionBars, underlyings: tuple[str, ...]) -> OptionBars:
    if not underlyings:
        return batch
    wanted = {u.upper() for u in underlyings}
    bars = batch.bars[batch.bars["underlying"].isin(wanted)]
    iv = batch.iv[batch.iv["underlying"].isin(wanted)] if batch.iv is not None else None
    return OptionBars(batch.timeframe, bars, batch.rejects, batch.skipped, iv, batch.fmt)


def option_file_import(
    *,
    source: str | Path | bytes | IO[bytes],
    fmt: str | None = None,
    underlyings: tuple[str, ...] = (),
    user=None,
    source_name: str = "",
    max_bytes: int = 2**31,
) -> IngestionRun:
    """Import an option file in this process under a run (kind ``option_file``).

    ``fmt`` (nse-eod, nse-contractwise, chain-snapshots) is checked against the header, or
    detected from it; ``underlyings`` keeps only those. A structural problem fails the run
    and raises :class:`FileFormatError`; re-importing a file changes nothing stored.
    """
    run, _ = ingestion_run_create(
        kind=IngestionRun.Kind.OPTION_FILE,
        provider=fmt or "option-file",
        options={"source": source_name[:200], "underlyings": list(underlyings)},
        user=user,
        status=Status.RUNNING,
    )
    try:
        with lease_heartbeat(run_lease(run)):
            batch = _only(option_file_read(source, fmt=fmt, max_bytes=max_bytes), underlyings)
            lease_owned(run_lease(run)).update(provider=batch.fmt, timeframe=batch.timeframe)
            created = option_bars_ingest(
                batch=batch, run=run, source=ImpliedVolatility.Source.CHAIN
            )
            options = {**run.options, "contracts_created": created}
            lease_owned(run_lease(run)).update(options=options)
    except BaseException as exc:  # any failure closes the run, then propagates
        if not isinstance(exc, FileFormatError):
            logger.exception("option file import run %s crashed", run.pk)
        try:
            ingestion_run_finish(run, Status.FAILED, str(exc) or type(exc).__name__)
        except Exception:  # the original error matters more; the reaper closes the run
            logger.exception("could not record the failure of option import run %s", run.pk)
        raise
    return ingestion_run_finish(run, Status.SUCCEEDED)
