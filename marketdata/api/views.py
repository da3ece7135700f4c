"""Market-data API under /api/marketdata: thin views over selectors and services.

Reads are open to any authenticated user (shared data); writes that change shared data are
staff-only (docs/adr/0005-marketdata-shared.md).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from algobacktester.api.converters import MAX_ID
from algobacktester.api.inputs import FormParser, MultiPartParser
from algobacktester.api.pagination import PAGE_PARAMETERS, paginated, paginated_response

from .. import options, selectors, services
from ..conf import md_setting
from ..models import TrackedInstrument
from ..providers import FileFormatError
from ..providers.files import FileProvider, mapping_parse
from ..ranges import time_range
from ..services.options import option_file_import, option_premiums_fetch
from ..timeframes import SECONDS
from . import serializers as s

TAG = ["marketdata"]


def _query(serializer_class, request: Request) -> dict:
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


class InstrumentListApi(APIView):
    permission_classes = (IsAuthenticated,)
    InputSerializer = s.InstrumentListInputSerializer
    OutputSerializer = s.InstrumentOutputSerializer

    @extend_schema(
        parameters=[InputSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(OutputSerializer)},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        qs = selectors.instrument_list(**_query(self.InputSerializer, request))
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=self.OutputSerializer
        )


class InstrumentDetailApi(APIView):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = s.InstrumentDetailOutputSerializer

    @extend_schema(responses={200: OutputSerializer}, tags=TAG)
    def get(self, request: Request, instrument_id: int) -> Response:
        instrument = selectors.instrument_get(instrument_id=instrument_id)
        instrument.stored = [
            {"timeframe": tf, **span}
            for tf in SECONDS
            if (span := selectors.candles_span(instrument=instrument, timeframe=tf))["count"]
        ]
        return Response(self.OutputSerializer(instrument).data)


class CandlesApi(APIView):
    permission_classes = (IsAuthenticated,)
    InputSerializer = s.RangeInputSerializer
    OutputSerializer = s.CandlesOutputSerializer

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer},
        tags=TAG,
        description="Columnar candles; 3m-1d are resampled from 1m bars when not stored. "
        "A range over the bar cap answers 400 naming `end`.",
    )
    def get(self, request: Request, instrument_id: int) -> Response:
        instrument = selectors.instrument_get(instrument_id=instrument_id)
        q = _query(self.InputSerializer, request)
        body = selectors.candles_columnar(instrument=instrument, **q)
        return Response(body)


class HealthApi(APIView):
    permission_classes = (IsAuthenticated,)
    InputSerializer = s.OptionalRangeInputSerializer
    OutputSerializer = s.HealthOutputSerializer

    @extend_schema(parameters=[InputSerializer], responses={200: OutputSerializer}, tags=TAG)
    def get(self, request: Request, instrument_id: int) -> Response:
        instrument = selectors.instrument_get(instrument_id=instrument_id)
        q = _query(self.InputSerializer, request)
        report = selectors.data_health_report(
            instrument=instrument, include_run_error=request.user.is_staff, **q
        )
        return Response(report)


class CandlesImportApi(APIView):
    permission_classes = (IsAdminUser,)
    parser_classes = (MultiPartParser, FormParser)
    InputSerializer = s.ImportInputSerializer
    OutputSerializer = s.IngestionRunOutputSerializer

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: OutputSerializer},
        tags=TAG,
        description="Staff only. Imports a CSV/Parquet file synchronously (size-capped); "
        "rows failing hard checks are quarantined and counted on the run.",
    )
    def post(self, request: Request, instrument_id: int) -> Response:
        instrument = selectors.instrument_get(instrument_id=instrument_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        q = data.validated_data
        upload = q["file"]
        cap = md_setting("UPLOAD_MAX_BYTES")
        if upload.size > cap:
            raise ValidationError(
                {"file": [f"The file is {upload.size:,} bytes; the cap is {cap:,}."]}
            )
        try:
            provider = FileProvider(
                source=upload.read(),
                timeframe=q["timeframe"],
                fmt=q.get("format"),
                mapping=mapping_parse(q.get("mapping")),
                tz=q["timezone"],
                label=q["label"],
                filename=upload.name or "",
                dayfirst=q["dayfirst"],
                max_bytes=md_setting("UPLOAD_MAX_UNPACKED_BYTES"),
            )
            run = services.candles_import(
                instrument=instrument,
                timeframe=q["timeframe"],
                provider=provider,
                user=request.user,
                source_name=upload.name or "",
            )
        except FileFormatError as exc:
            raise ValidationError(exc.errors) from exc
        return Response(self.OutputSerializer(run).data, status=status.HTTP_201_CREATED)


class BackfillApi(APIView):
    permission_classes = (IsAdminUser,)
    InputSerializer = s.BackfillInputSerializer
    OutputSerializer = s.IngestionRunOutputSerializer

    @extend_schema(
        request=InputSerializer,
        responses={202: OutputSerializer, 409: OpenApiResponse(description="Conflict")},
        tags=TAG,
        description="Staff only. Queues a fetch of [start, end) from a provider; an active "
        "fetch of the same instrument, timeframe and range is returned (and queued again) "
        "instead of a second one. An active fetch of another range answers 409 naming `start`.",
    )
    def post(self, request: Request, instrument_id: int) -> Response:
        instrument = selectors.instrument_get(instrument_id=instrument_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        q = data.validated_data
        start, end = time_range(q["start"], q["end"])
        run = services.candles_backfill(
            instrument=instrument,
            timeframe=q["timeframe"],
            start=start,
            end=end,
            provider=q["provider"],
            user=request.user,
        )
        return Response(self.OutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class InstrumentSyncApi(APIView):
    permission_classes = (IsAdminUser,)
    InputSerializer = s.SyncInputSerializer
    OutputSerializer = s.IngestionRunOutputSerializer

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer}, tags=TAG)
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.instruments_sync(
            provider=data.validated_data["provider"],
            underlyings=tuple(data.validated_data["underlyings"]),
            user=request.user,
        )
        return Response(self.OutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class IngestionRunListApi(APIView):
    permission_classes = (IsAdminUser,)
    InputSerializer = s.RunListInputSerializer
    OutputSerializer = s.IngestionRunOutputSerializer

    @extend_schema(
        parameters=[InputSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(OutputSerializer)},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        q = _query(self.InputSerializer, request)
        qs = selectors.ingestion_run_list(
            status=q.get("status", ""), instrument_id=q.get("instrument")
        )
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=self.OutputSerializer
        )


class IngestionRunDetailApi(APIView):
    permission_classes = (IsAdminUser,)
    OutputSerializer = s.IngestionRunOutputSerializer

    @extend_schema(responses={200: OutputSerializer}, tags=TAG)
    def get(self, request: Request, run_id: int) -> Response:
        return Response(self.OutputSerializer(selectors.ingestion_run_get(run_id=run_id)).data)


class TrackedListApi(APIView):
    permission_classes = (IsAdminUser,)
    InputSerializer = s.TrackedInputSerializer
    OutputSerializer = s.TrackedOutputSerializer

    @extend_schema(
        parameters=PAGE_PARAMETERS, responses={200: paginated(OutputSerializer)}, tags=TAG
    )
    def get(self, request: Request) -> Response:
        qs = TrackedInstrument.objects.order_by("id")
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=self.OutputSerializer
        )

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer}, tags=TAG)
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        q = dict(data.validated_data)
        instrument = selectors.instrument_by_ref(ref=q.pop("instrument"))
        tracked = services.tracked_instrument_add(instrument=instrument, **q)
        return Response(self.OutputSerializer(tracked).data, status=status.HTTP_201_CREATED)


class TrackedDetailApi(APIView):
    permission_classes = (IsAdminUser,)

    @extend_schema(
        responses={
            204: OpenApiResponse(description="No longer tracked."),
            404: OpenApiResponse(description="Not found"),
        },
        tags=TAG,
    )
    def delete(self, request: Request, tracked_id: int) -> Response:
        deleted = 0
        if 0 < tracked_id <= MAX_ID:
            deleted, _ = TrackedInstrument.objects.filter(pk=tracked_id).delete()
        if not deleted:
            raise NotFound(f"Tracked instrument {tracked_id} not found.")
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- options -----------------------------------------------------------------------------
class OptionContractListApi(APIView):
    permission_classes = (IsAuthenticated,)
    InputSerializer = s.OptionContractListInputSerializer
    OutputSerializer = s.OptionContractOutputSerializer

    @extend_schema(
        parameters=[InputSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(OutputSerializer)},
        tags=TAG,
        description="Option contracts of an underlying (the option-leg picker): with `on`, "
        "those listed and not expired that day; by expiry, strike, CE before PE.",
    )
    def get(self, request: Request) -> Response:
        qs = options.option_contract_list(**_query(self.InputSerializer, request))
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=self.OutputSerializer
        )


class OptionExpiriesApi(APIView):
    permission_classes = (IsAuthenticated,)
    InputSerializer = s.OptionExpiriesInputSerializer
    OutputSerializer = s.OptionExpiriesOutputSerializer

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer},
        tags=TAG,
        description="Expiries from `on`: the calendar's weekly/monthly schedule "
        "(holiday-adjusted) and the stored contracts of each.",
    )
    def get(self, request: Request) -> Response:
        body = options.option_expiries(**_query(self.InputSerializer, request))
        return Response(self.OutputSerializer(body).data)


class OptionIvApi(APIView):
    permission_classes = (IsAuthenticated,)
    InputSerializer = s.IvInputSerializer
    OutputSerializer = s.IvOutputSerializer

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer},
        tags=TAG,
        description="The implied-volatility input of an underlying: stored ATM IV "
        "(option-chain snapshots, Dhan rolling data) or India VIX; `source` null when none.",
    )
    def get(self, request: Request) -> Response:
        return Response(options.iv_columnar(**_query(self.InputSerializer, request)))


class OptionImportApi(APIView):
    permission_classes = (IsAdminUser,)
    parser_classes = (MultiPartParser, FormParser)
    InputSerializer = s.OptionImportInputSerializer
    OutputSerializer = s.IngestionRunOutputSerializer

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: OutputSerializer},
        tags=TAG,
        description="Staff only. Imports an NSE contract-wise EOD file, an NSE F&O contract "
        "file or option-chain snapshots synchronously (size-capped): contracts are created "
        "as needed, bad rows quarantined, re-imports change nothing.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        q = data.validated_data
        upload = q["file"]
        cap = md_setting("UPLOAD_MAX_BYTES")
        if upload.size > cap:
            raise ValidationError(
                {"file": [f"The file is {upload.size:,} bytes; the cap is {cap:,}."]}
            )
        try:
            run = option_file_import(
                source=upload.read(),
                fmt=q.get("format"),
                underlyings=tuple(u.strip().upper() for u in q["underlyings"]),
                user=request.user,
                source_name=upload.name or "",
                max_bytes=md_setting("UPLOAD_MAX_UNPACKED_BYTES"),
            )
        except FileFormatError as exc:
            raise ValidationError(exc.errors) from exc
        return Response(self.OutputSerializer(run).data, status=status.HTTP_201_CREATED)


class OptionFetchApi(APIView):
    permission_classes = (IsAdminUser,)
    InputSerializer = s.OptionFetchInputSerializer
    OutputSerializer = s.IngestionRunOutputSerializer

    @extend_schema(
        request=InputSerializer,
        responses={202: OutputSerializer},
        tags=TAG,
        description="Staff only. Queues a fetch of expired option premiums (Dhan rolling "
        "data: ATM±strikes of the chosen expiries, 30 days a call, under the account's rate "
        "limit). Bars are stored as candles of the contracts they belong to.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        q = dict(data.validated_data)
        run = option_premiums_fetch(
            **q | {"expiry_codes": tuple(q["expiry_codes"]), "rights": tuple(q["rights"])},
            user=request.user,
        )
        return Response(self.OutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)
