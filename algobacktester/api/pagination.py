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
            rows=lambda page: serializer(page, many=True).data,
        )
    )


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
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(rows(page)).data


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
