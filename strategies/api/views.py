"""Strategies API: thin views over strategies.services and strategies.selectors."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from algobacktester.api.pagination import (
    PAGE_PARAMETERS,
    paginated,
    paginated_data,
    paginated_response,
    represent_many,
)
from algobacktester.api.renderers import json_bytes_response
from algobacktester.jsonout import dumps

from .. import graph_edit, selectors, services
from ..models import Strategy
from ..templates import template_get, template_list
from . import serializers as s

EXPORT_FORMAT = "algobacktester.strategy"


class StrategyListApi(APIView):
    @extend_schema(
        tags=["strategies"],
        responses={200: paginated(s.StrategyListSerializer)},
        parameters=[
            OpenApiParameter("search", str, description="Name contains"),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request) -> HttpResponse:
        qs = selectors.strategy_list(user=request.user, search=request.query_params.get("search"))
        # The list's columns only: not each strategy's graph (the largest column).
        qs = qs.only(*s.StrategyListSerializer.Meta.fields)
        data = paginated_data(
            request=request,
            view=self,
            queryset=qs,
            rows=lambda page: represent_many(s.StrategyListSerializer, page),
        )
        return json_bytes_response(request, dumps(data))  # ETag: an unchanged list is a 304

    @extend_schema(
        tags=["strategies"],
        request=s.StrategyInputSerializer,
        responses={201: s.StrategyOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.StrategyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        strategy = services.strategy_create(owner=request.user, **data.validated_data)
        return Response(s.StrategyOutputSerializer(strategy).data, status=status.HTTP_201_CREATED)


class StrategyDetailApi(APIView):
    def _get(self, request: Request, strategy_id: int) -> Strategy:
        return selectors.strategy_get(user=request.user, strategy_id=strategy_id)

    @extend_schema(tags=["strategies"], responses={200: s.StrategyOutputSerializer})
    def get(self, request: Request, strategy_id: int) -> Response:
        return Response(s.StrategyOutputSerializer(self._get(request, strategy_id)).data)

    @extend_schema(
        tags=["strategies"],
        request=s.StrategyInputSerializer,
        responses={200: s.StrategyOutputSerializer},
    )
    def put(self, request: Request, strategy_id: int) -> Response:
        return self._update(request, strategy_id, partial=False)

    @extend_schema(
        tags=["strategies"],
        request=s.StrategyInputSerializer,
        responses={200: s.StrategyOutputSerializer},
        description="`graph` is a JSON Merge Patch (RFC 7386) of the stored graph: "
        "objects merge, null deletes a key. A `nodes` or `edges` list "
        "replaces the stored one, so one that leaves out stored nodes or "
        "edges is a 400 naming them; remove them with DELETE, or PUT the "
        "whole graph.",
    )
    def patch(self, request: Request, strategy_id: int) -> Response:
        return self._update(request, strategy_id, partial=True)

    def _update(self, request: Request, strategy_id: int, *, partial: bool) -> Response:
        strategy = self._get(request, strategy_id)
        data = s.StrategyInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        strategy = services.strategy_update(
            strategy=strategy, data=data.validated_data, merge_graph=partial
        )
        return Response(s.StrategyOutputSerializer(strategy).data)

    @extend_schema(
        tags=["strategies"],
        responses={
            204: OpenApiResponse(
                description="Deleted; its versions stay readable for the runs that pinned them."
            )
        },
    )
    def delete(self, request: Request, strategy_id: int) -> Response:
        services.strategy_delete(strategy=self._get(request, strategy_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StrategyVersionListApi(APIView):
    @extend_schema(
        tags=["strategies"],
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(s.VersionOutputSerializer)},
    )
    def get(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        qs = selectors.strategy_version_list(user=request.user, strategy=strategy)
        return paginated_response(
            request=request, view=self, queryset=qs, serializer=s.VersionOutputSerializer
        )


class StrategyVersionDetailApi(APIView):
    @extend_schema(tags=["strategies"], responses={200: s.VersionOutputSerializer})
    def get(self, request: Request, strategy_id: int, number: int) -> Response:
        version = selectors.strategy_version_get(
            user=request.user, strategy_id=strategy_id, number=number
        )
        return Response(s.VersionOutputSerializer(version).data)


class StrategyValidateApi(APIView):
    @extend_schema(
        tags=["strategies"],
        request=None,
        responses={200: s.ValidateOutputSerializer, 400: s.ValidateErrorSerializer},
    )
    def post(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        verdict = services.strategy_verdict(strategy=strategy)
        if verdict["valid"]:
            return Response(verdict)
        # The project's 400 shape, with the warnings an editor shows beside the errors.
        errors = [{"code": "invalid_graph", **e} for e in verdict["errors"]]
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        body = {
            "detail": f"{first['field']}: {first['message']}{more}",
            "code": "invalid_graph",
            **verdict,
            "errors": errors,
        }
        return Response(body, status=status.HTTP_400_BAD_REQUEST)


class StrategyRiskApi(APIView):
    def _body(self, strategy: Strategy) -> dict[str, Any]:
        settings = strategy.graph.get("settings")
        risk = settings.get("risk") if isinstance(settings, dict) else None
        risk = risk if isinstance(risk, dict) else {}  # a draft may hold anything here
        return {
            **{name: risk.get(name) for name in s.RiskSerializer().fields},
            "version": strategy.version,
        }

    @extend_schema(tags=["strategies"], responses={200: s.RiskOutputSerializer})
    def get(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        return Response(self._body(strategy))

    @extend_schema(
        tags=["strategies"],
        request=s.RiskSerializer,
        responses={200: s.RiskOutputSerializer},
        description="Replace the risk settings (a new version); omitted settings are off.",
    )
    def put(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        data = s.RiskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        risk = {k: v for k, v in data.validated_data.items() if v is not None}
        strategy = services.strategy_risk_replace(strategy=strategy, risk=risk)
        return Response(self._body(strategy))


class _NodeCreateApi(APIView):
    input_serializer: type

    def post(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        strategy, node, edges = services.node_add(
            strategy=strategy, build=lambda doc: self.build(doc, dict(data.validated_data))
        )
        body = {"id": node["id"], "node": node, "edges": edges, "version": strategy.version}
        return Response(body, status=status.HTTP_201_CREATED)

    def build(self, doc: dict[str, Any], v: dict[str, Any]) -> tuple[dict, list]:
        raise NotImplementedError


class StrategyIndicatorCreateApi(_NodeCreateApi):
    input_serializer = s.IndicatorNodeInputSerializer

    @extend_schema(
        tags=["strategies"],
        request=s.IndicatorNodeInputSerializer,
        responses={201: s.NodeCreatedSerializer},
    )
    def post(self, request: Request, strategy_id: int) -> Response:
        return super().post(request, strategy_id)

    def build(self, doc: dict[str, Any], v: dict[str, Any]) -> tuple[dict, list]:
        return graph_edit.indicator_node(
            doc,
            type=v["type"],
            params=v["params"],
            timeframe=v.get("timeframe"),
            node_id=v.get("id"),
            inputs=v.get("inputs"),
        )


class StrategyConditionCreateApi(_NodeCreateApi):
    input_serializer = s.ConditionNodeInputSerializer

    @extend_schema(
        tags=["strategies"],
        request=s.ConditionNodeInputSerializer,
        responses={201: s.NodeCreatedSerializer},
    )
    def post(self, request: Request, strategy_id: int) -> Response:
        return super().post(request, strategy_id)

    def build(self, doc: dict[str, Any], v: dict[str, Any]) -> tuple[dict, list]:
        operands = {k: v[k] for k in ("a", "b", "low", "high") if k in v}
        return graph_edit.condition_node(
            doc, op=v["op"], operands=operands, n=v.get("n"), node_id=v.get("id")
        )


class StrategyActionCreateApi(_NodeCreateApi):
    input_serializer = s.ActionNodeInputSerializer

    @extend_schema(
        tags=["strategies"],
        request=s.ActionNodeInputSerializer,
        responses={201: s.NodeCreatedSerializer},
    )
    def post(self, request: Request, strategy_id: int) -> Response:
        return super().post(request, strategy_id)

    def build(self, doc: dict[str, Any], v: dict[str, Any]) -> tuple[dict, list]:
        return graph_edit.action_node(
            doc,
            type=v["type"],
            params=v["params"],
            when=v.get("when"),
            after=v.get("after"),
            side=v.get("side"),
            gate=v.get("gate"),
            node_id=v.get("id"),
        )


class StrategyNodeDetailApi(APIView):
    @extend_schema(tags=["strategies"], responses={200: s.NodeOutputSerializer})
    def get(self, request: Request, strategy_id: int, node_id: str) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        node = graph_edit.find_node(strategy.graph, node_id)
        if node is None:
            raise NotFound(f"No node '{node_id}' in this strategy.")
        edges = strategy.graph["edges"]
        return Response(
            {
                "node": node,
                "incoming": [e for e in edges if e["to"].split(".")[0] == node_id],
                "outgoing": [e for e in edges if e["from"].split(".")[0] == node_id],
            }
        )

    @extend_schema(tags=["strategies"], responses={204: None})
    def delete(self, request: Request, strategy_id: int, node_id: str) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        if graph_edit.find_node(strategy.graph, node_id) is None:
            raise NotFound(f"No node '{node_id}' in this strategy.")
        services.node_remove(strategy=strategy, node_id=node_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StrategyEdgeListApi(APIView):
    @extend_schema(tags=["strategies"], responses={200: s.EdgeInputSerializer(many=True)})
    def get(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        return Response([{"id": f"{e['from']}->{e['to']}", **e} for e in strategy.graph["edges"]])

    @extend_schema(
        tags=["strategies"],
        request=s.EdgeInputSerializer,
        responses={201: s.StrategyOutputSerializer},
    )
    def post(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        data = s.EdgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        strategy = services.edge_add(strategy=strategy, **data.validated_data)
        return Response(s.StrategyOutputSerializer(strategy).data, status=status.HTTP_201_CREATED)


class StrategyEdgeDetailApi(APIView):
    @extend_schema(
        tags=["strategies"],
        responses={204: None},
        description="The edge id is 'from->to', e.g. 'ema_20.out->cross.a'.",
    )
    def delete(self, request: Request, strategy_id: int, edge_id: str) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        source, sep, target = edge_id.partition("->")
        if not sep or services.edge_remove(strategy=strategy, source=source, target=target) is None:
            raise NotFound(f"No edge '{edge_id}' in this strategy (ids look like 'a.out->b.in').")
        return Response(status=status.HTTP_204_NO_CONTENT)


class StrategyExportApi(APIView):
    @extend_schema(tags=["strategies"], responses={200: s.ExportSerializer})
    def get(self, request: Request, strategy_id: int) -> Response:
        strategy = selectors.strategy_get(user=request.user, strategy_id=strategy_id)
        body = {
            "format": EXPORT_FORMAT,
            "format_version": 1,
            "name": strategy.name,
            "description": strategy.description,
            "graph": strategy.graph,
        }
        filename = f"strategy-{strategy.pk}.json"
        return Response(body, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class StrategyImportApi(APIView):
    @extend_schema(
        tags=["strategies"],
        request=s.StrategyImportSerializer,
        responses={201: s.StrategyOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.StrategyImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        strategy = services.strategy_create(
            owner=request.user,
            name=v["name"],
            description=v.get("description", ""),
            graph=v["graph"],
        )
        return Response(s.StrategyOutputSerializer(strategy).data, status=status.HTTP_201_CREATED)


class TemplateListApi(APIView):
    @extend_schema(tags=["strategies"], responses={200: s.TemplateOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response([_template_dict(t) for t in template_list()])


def _template_dict(t: Any) -> dict[str, Any]:
    return {"key": t.key, "name": t.name, "description": t.description, "graph": t.graph}


class TemplateCloneApi(APIView):
    @extend_schema(
        tags=["strategies"],
        request=s.CloneInputSerializer,
        responses={201: s.StrategyOutputSerializer},
    )
    def post(self, request: Request, key: str) -> Response:
        template = template_get(key)
        if template is None:
            raise NotFound(f"No template '{key}' (see GET /api/strategies/templates).")
        data = s.CloneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        name = data.validated_data.get("name") or template.name
        strategy = services.strategy_clone(
            owner=request.user, name=name, description=template.description, graph=template.graph
        )
        return Response(s.StrategyOutputSerializer(strategy).data, status=status.HTTP_201_CREATED)


@cache
def _catalogue() -> tuple[list[dict[str, Any]], list[str]]:
    from engine.indicators import catalogue

    entries = catalogue()
    return entries, sorted({e["group"] for e in entries})


@cache
def _catalogue_body() -> bytes:
    entries, groups = _catalogue()
    return dumps({"count": len(entries), "groups": groups, "results": entries})


class IndicatorCatalogueApi(APIView):
    @extend_schema(
        tags=["indicators"],
        responses={200: s.IndicatorCatalogueSerializer},
        parameters=[OpenApiParameter("group", str), OpenApiParameter("search", str)],
    )
    def get(self, request: Request) -> HttpResponse:
        entries, groups = _catalogue()
        group, search = request.query_params.get("group"), request.query_params.get("search")
        if not group and not search:  # the whole catalogue: the same bytes for everyone
            return json_bytes_response(request, _catalogue_body(), keep_gzip=True)
        if group:
            entries = [e for e in entries if e["group"] == group]
        if search:
            needle = search.lower()
            entries = [
                e
                for e in entries
                if needle in e["name"].lower() or needle in e["display_name"].lower()
            ]
        return json_bytes_response(
            request, dumps({"count": len(entries), "groups": groups, "results": entries})
        )
