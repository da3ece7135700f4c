"""The one pagination of list views (every app's list endpoints answer the same envelope)."""

from __future__ import annotations

from typing import Any

from rest_framework import pagination
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
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)
