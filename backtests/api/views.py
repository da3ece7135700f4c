"""Backtests API: thin views over backtests.services, .sweeps and .selectors."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from algobacktester.api.pagination import (
    PAGE_PARAMETERS,
    paginated,
    paginated_data,
    paginated_response,
    represent,
)
from algobacktester.api.params import id_param
from algobacktester.api.renderers import json_bytes_response
from algobacktester.api.timezones import local_iso
from algobacktester.jsonout import dumps

from .. import presentation, selectors, services, storage, sweeps
from ..models import BacktestRun, RunStatus
from . import serializers as s


def _accepted(run_id: int, path: str, state: str) -> Response:
    return Response({"id": run_id, "status": state, "url": path}, status=status.HTTP_202_ACCEPTED)


class BacktestListApi(APIView):
    @extend_schema(
        tags=["backtests"],
        responses={200: paginated(s.RunListSerializer)},
        parameters=[
            OpenApiParameter("strategy", int),
            OpenApiParameter("status", str, enum=RunStatus.values),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request) -> Response:
        state = request.query_params.get("status")
        if state and state not in RunStatus.values:
            raise ValidationError({"status": [f"must be one of {', '.join(RunStatus.values)}"]})
        qs = selectors.backtest_list(
            user=request.user, strategy_id=id_param(request, "strategy", lowest=0), status=state
        )
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=s.RunListSerializer
        )

    @extend_schema(
        tags=["backtests"],
        request=s.BacktestRequestSerializer,
        responses={202: s.RunAcceptedSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.BacktestRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields, config = s.split_request(data.validated_data)
        run = services.backtest_request(
            user=request.user,
            strategy_id=fields["strategy"],
            version=fields.get("version"),
            instrument_ref=fields["instrument"],
            timeframe=fields.get("timeframe"),
            start=fields["start"],
            end=fields["end"],
            config=config,
        )
        run.refresh_from_db(fields=["status"])  # eager mode may already have finished it
        return _accepted(run.pk, f"/api/backtest/{run.pk}", run.status)


MOVED_TRADES = ("trades_page", "trades_page_size")


class BacktestDetailApi(APIView):
    @extend_schema(
        tags=["backtests"],
        responses={
            200: s.RunDetailSerializer,
            304: OpenApiResponse(description="If-None-Match named the current ETag"),
        },
        description="The run, its statistics and curves. Trades: GET "
        "/api/backtest/{id}/trades (paginated) or /trades.csv. Answers carry an ETag (a "
        "matching If-None-Match is a 304) and are gzipped when the client accepts it.",
    )
    def get(self, request: Request, run_id: int) -> HttpResponse:
        for name in MOVED_TRADES:
            if name in request.query_params:
                raise ValidationError(
                    {name: ["trades are paged at GET /api/backtest/{id}/trades?page=&page_size="]}
                )
        run = selectors.backtest_detail(user=request.user, run_id=run_id)
        head = dumps(represent(s.RunHeadSerializer, run))
        # The head's closing brace and the result's opening one go: one JSON object.
        body = head[:-1] + b"," + storage.result_body(run)[1:]
        return json_bytes_response(request, body, keep_gzip=run.status == RunStatus.DONE)

    @extend_schema(tags=["backtests"], responses={204: None})
    def delete(self, request: Request, run_id: int) -> Response:
        services.backtest_delete(run=selectors.backtest_get(user=request.user, run_id=run_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# A trade row is formatted from values() (~1 ms for 200), so a chart that draws every trade
# reads them in pages of 1,000 rather than 200.
TRADES_MAX_PAGE = 1000
TRADES_PAGE_PARAMETERS = [
    PAGE_PARAMETERS[0],
    OpenApiParameter(
        "page_size",
        int,
        description=f"Trades per page (default 50, at most {TRADES_MAX_PAGE}; more is read "
        "as the maximum)",
    ),
]


class BacktestTradesApi(APIView):
    @extend_schema(
        tags=["backtests"],
        parameters=TRADES_PAGE_PARAMETERS,
        responses={
            200: paginated(s.TradeSerializer),
            304: OpenApiResponse(description="If-None-Match named the current ETag"),
        },
        description="The run's closed trades in order (seq), a page at a time; the same "
        "fields the trade list always had. A position still open (end_of_data keep_open) is "
        "the run's open_position, not a trade. ETag and gzip as the run's answer.",
    )
    def get(self, request: Request, run_id: int) -> HttpResponse:
        run = selectors.backtest_get(user=request.user, run_id=run_id)
        data = paginated_data(
            request=request,
            view=self,
            queryset=selectors.backtest_trades(run=run).values(*s.TRADE_VALUES),
            rows=lambda page: s.trade_rows(page, tick=run.instrument.tick_size),
            max_page_size=TRADES_MAX_PAGE,
        )
        return json_bytes_response(request, dumps(data))


class BacktestCancelApi(APIView):
    @extend_schema(tags=["backtests"], request=None, responses={200: s.RunListSerializer})
    def post(self, request: Request, run_id: int) -> Response:
        run = services.backtest_cancel(run=selectors.backtest_get(user=request.user, run_id=run_id))
        return Response(s.RunListSerializer(run).data)


class BacktestRerunApi(APIView):
    @extend_schema(tags=["backtests"], request=None, responses={202: s.RunAcceptedSerializer})
    def post(self, request: Request, run_id: int) -> Response:
        run = services.backtest_rerun(
            user=request.user, run=selectors.backtest_get(user=request.user, run_id=run_id)
        )
        run.refresh_from_db(fields=["status"])
        return _accepted(run.pk, f"/api/backtest/{run.pk}", run.status)


CSV_COLUMNS = (
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
    "exit_reason",
    "bars_held",
)
OPTION_CSV_COLUMNS = (
    "contract",
    "expiry",
    "strike",
    "option_type",
    "position",
    "lots",
    "units",
    "premium_source",
    "group",
    "leg",
)


class BacktestTradesCsvApi(APIView):
    @extend_schema(
        tags=["backtests"],
        responses={(200, "text/csv"): OpenApiResponse(description="CSV")},
        parameters=[OpenApiParameter("raw", bool, description="1: values unrounded, as stored")],
        description="Times in your time zone (ISO 8601 with offset); prices rounded to the "
        "instrument's tick, money to the paisa, percentages to 2 decimals, unless "
        "raw=1. A position still open (end_of_data keep_open) is the last row, exit_reason "
        "open, exit_price its mark and pnl its unrealised P&L.",
    )
    def get(self, request: Request, run_id: int) -> HttpResponse:
        run = selectors.backtest_get(user=request.user, run_id=run_id)
        raw = request.query_params.get("raw") in ("1", "true")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # An option run's rows name their contract too (docs/backtests.md, "Option legs").
        legs = OPTION_CSV_COLUMNS if run.config.get("options") else ()
        writer.writerow((*CSV_COLUMNS, *legs))
        for row in selectors.backtest_trades(run=run).values(*CSV_COLUMNS, "option"):
            option = row.pop("option") or {}
            cells = _csv_row(row, tick=run.instrument.tick_size, raw=raw)
            writer.writerow([*cells, *(option.get(k, "") for k in legs)])
        if run.open_position:
            writer.writerow(_csv_open_row(run, raw=raw))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="backtest-{run.pk}-trades.csv"'
        return response


def _csv_row(row: dict[str, Any], *, tick: Any, raw: bool) -> list[Any]:
    row = {
        **row,
        "entry_time": local_iso(row["entry_time"]),
        "exit_time": local_iso(row["exit_time"]),
    }
    if not raw:
        row.update(presentation.trade_display(row, tick=tick))
    return [row[c] for c in CSV_COLUMNS]


def _csv_open_row(run: BacktestRun, *, raw: bool) -> list[Any]:
    """The keep_open position as the last row (docs/backtests.md): exit_reason ``open``, no
    seq or exit time, exit_price the mark (last close), pnl unrealised net of entry charges."""
    pos = run.open_position or {}
    row = {
        "seq": "",
        "side": pos.get("side"),
        "entry_time": local_iso(pos.get("entry_time")),
        "exit_time": "",
        "entry_price": pos.get("entry_price"),
        "exit_price": pos.get("mark_price"),
        "quantity": pos.get("qty"),
        "pnl": pos.get("unrealised_pnl"),
        "return_pct": None,
        "charges": pos.get("entry_charges"),
        "exit_reason": "open",
        "bars_held": max(0, run.bars - 1 - int(pos.get("entry_bar") or 0)),
    }
    if not raw:
        row.update(presentation.trade_display(row, tick=run.instrument.tick_size))
    return [row[c] for c in CSV_COLUMNS]


class SweepListApi(APIView):
    @extend_schema(
        tags=["backtests"],
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(s.SweepSerializer)},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.sweep_list(user=request.user)
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=s.SweepSerializer
        )

    @extend_schema(
        tags=["backtests"],
        request=s.SweepRequestSerializer,
        responses={202: s.RunAcceptedSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.SweepRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields, config = s.split_request(data.validated_data)
        sweep = sweeps.sweep_request(
            user=request.user,
            strategy_id=fields["strategy"],
            version=fields.get("version"),
            instrument_ref=fields["instrument"],
            start=fields["start"],
            end=fields["end"],
            grid_spec=fields["grid"],
            constraint=fields.get("constraint"),
            metric=fields["metric"],
            config=config,
        )
        sweep.refresh_from_db(fields=["status"])
        return _accepted(sweep.pk, f"/api/backtest/sweeps/{sweep.pk}", sweep.status)


class SweepDetailApi(APIView):
    @extend_schema(
        tags=["backtests"],
        responses={
            200: s.SweepDetailSerializer,
            304: OpenApiResponse(description="If-None-Match named the current ETag"),
        },
        description="The sweep with one row per combination. ETag and gzip as a run's answer.",
    )
    def get(self, request: Request, sweep_id: int) -> HttpResponse:
        sweep = selectors.sweep_get(user=request.user, sweep_id=sweep_id)
        body = storage.sweep_body(sweep, lambda: dumps(s.SweepDetailSerializer(sweep).data))
        return json_bytes_response(request, body, keep_gzip=sweep.status == RunStatus.DONE)


class SweepCancelApi(APIView):
    @extend_schema(tags=["backtests"], request=None, responses={200: s.SweepSerializer})
    def post(self, request: Request, sweep_id: int) -> Response:
        sweep = sweeps.sweep_cancel(sweep=selectors.sweep_get(user=request.user, sweep_id=sweep_id))
        return Response(s.SweepSerializer(sweep).data)
