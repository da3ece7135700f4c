"""The one pagination of list views (every app's list endpoints answer the same envelope)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M``; the cap keeps one request's cost bounded (OWASP API4)."""

    page_size_query_param = "page_size"
    max_page_size = 200


def paginated_response(
    *, request: Request, view: APIView, queryset: Any, serializer: type[BaseSerializer]
) -> Response:
    """The one way a list view answers: ``{"count", "next", "previous", "results"}``."""
    return Response(
        paginated_data(
            request=request,
            view=view,
            queryset=queryset,
            rows=lambda page: represent_many(serializer, page),
        )
    )


@cache
def _built(serializer: type[BaseSerializer]) -> BaseSerializer:
    made = serializer()
    made.fields  # noqa: B018 - built now, once, rather than by the first request
    return made


def represent(serializer: type[BaseSerializer], instance: Any) -> Any:
    """``serializer(instance).data`` for a serializer marked ``CONTEXT_FREE`` (read-only and
    without ``self.context``): one instance made once per process renders every row. A
    ModelSerializer builds its fields each time it is made (inspecting the model, copying
    the declared fields): ~1 ms for a dozen fields, more than writing a page of rows.
    Others are made per call, as DRF does."""
    if getattr(serializer, "CONTEXT_FREE", False):
        return _built(serializer).to_representation(instance)
    return serializer(instance).data


def represent_many(serializer: type[BaseSerializer], items: Any) -> Any:
    if getattr(serializer, "CONTEXT_FREE", False):
        made = _built(serializer)
        return [made.to_representation(item) for item in items]
    return serializer(items, many=True).data


def paginated_data(
    *,
    request: Request,
    view: APIView,
    queryset: Any,
    rows: Callable[[list[Any]], Any],
    max_page_size: int | None = None,
) -> dict[str, Any]:
    """The same envelope as data, ``rows(page)`` making the results from the page's items:
    for a view that answers ready bytes (a run's trade pages, with an ETag). A view whose
    rows are cheap may allow larger pages (``max_page_size``)."""
    paginator = PageNumberPagination()
    if max_page_size is not None:
        paginator.max_page_size = max_page_size
    if request.query_params.get(paginator.page_query_param, "1") == "1":
        return _first_page(paginator, request, queryset, rows)
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(rows(page)).data


def _first_page(
    paginator: PageNumberPagination,
    request: Request,
    queryset: Any,
    rows: Callable[[list[Any]], Any],
) -> dict[str, Any]:
    """Page 1 read first: when it holds fewer than a page, its length is the count and the
    ``COUNT(*)`` a page otherwise costs is skipped (a user's strategies or runs usually fit
    on one page: one query instead of two). A full page is counted as the paginator would."""
    size = paginator.get_page_size(request) or paginator.max_page_size
    items = list(queryset[:size])
    if len(items) < size:
        return {"count": len(items), "next": None, "previous": None, "results": rows(items)}
    page = paginator.django_paginator_class(queryset, size).page(1)  # counts
    page.object_list = items  # read above: not read again
    paginator.page, paginator.request = page, request
    return paginator.get_paginated_response(rows(items)).data


# What a view built on ``paginated_response`` declares, so the schema shows the envelope
# and the query parameters rather than a bare array.
PAGE_PARAMETERS = [
    OpenApiParameter(
        "page", OpenApiTypes.INT, description="A page number, from 1; past the last is a 404"
    ),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description=f"Results per page (default 50, at most "
        f"{PageNumberPagination.max_page_size}; more is read as the maximum)",
    ),
]


class PageSerializer(serializers.Serializer):
    """The base of every ``paginated()`` envelope: marks a list operation in the schema."""


@cache
def paginated(serializer: type[BaseSerializer]) -> BaseSerializer:
    """The schema of one page of ``serializer``: a component ``Paginated<Name>List``."""
    name = serializer.__name__.removesuffix("Serializer")
    envelope = type(
        f"Paginated{name}List",
        (PageSerializer,),
        {
            "__module__": serializer.__module__,
            "__doc__": f"A page of {name}: `next` and `previous` are links, null at the ends.",
            "count": serializers.IntegerField(min_value=0),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer(many=True),
        },
    )
    return envelope()
