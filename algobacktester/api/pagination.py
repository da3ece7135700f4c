from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M``; the cap keeps one request's cost bounded (OWASP API4)."""

    page_size_query_param = "page_size"
    max_page_size = 200
