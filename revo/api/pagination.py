"""Pagination of list endpoints.

* ``StandardPagination``: ``?page=N&page_size=M`` with a ``count``; every list but the
  review queue.
* ``KeysetPagination``: ``?cursor=...&page_size=M``, ``next``/``previous`` links and no
  count; a page costs the same at any depth (see ``revo.api.keyset``).
* ``CursorOrPagePagination``: keyset by default, page numbers (with the count) when the
  request names a ``page``, so clients written against page numbers keep working.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from revo.api import keyset

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class StandardPagination(PageNumberPagination):
    """``?page=N&page_size=M``: 50 per page by default, at most 200."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


def _invalid_cursor(reason: str) -> ValidationError:
    return ValidationError({"cursor": [f"Invalid cursor: {reason}."]})


class KeysetPagination(BasePagination):
    """``?cursor=``: pages in the queryset's ordering (made total with the primary key),
    read from the position the cursor names. The first page has no cursor."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        """As ``StandardPagination``: a missing or unusable value means the default."""
        try:
            size = int(request.query_params[self.page_size_query_param])
        except (KeyError, ValueError):
            return self.page_size
        return min(size, self.max_page_size) if size > 0 else self.page_size

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.keys = keyset.sort_keys(queryset)
        size = self.get_page_size(request)
        text = request.query_params.get(self.cursor_query_param)
        cursor = None
        if text is not None:
            try:
                cursor = keyset.cursor_decode(self.keys, text)
            except keyset.InvalidCursor as exc:
                raise _invalid_cursor(str(exc)) from None
        self.cursor = cursor
        backwards = cursor is not None and cursor.direction == keyset.PREVIOUS
        keys = [key.reversed() for key in self.keys] if backwards else self.keys
        position = cursor.position if cursor else None
        rows = list(keyset.seek(queryset, keys, position)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
            self.has_previous, self.has_next = more, position is not None
        else:
            self.has_previous, self.has_next = cursor is not None, more
        self.rows = rows
        return rows

    def _link(self, direction: str | None, position: list[Any] | None) -> str:
        url = remove_query_param(self.request.build_absolute_uri(), "page")
        if direction is None:
            return remove_query_param(url, self.cursor_query_param)
        text = keyset.cursor_encode(self.keys, keyset.Cursor(direction, position))
        return replace_query_param(url, self.cursor_query_param, text)

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if self.rows:
            return self._link(keyset.NEXT, keyset.row_position(self.keys, self.rows[-1]))
        # nothing before the position (the rows there went away): the first page
        return self._link(None, None)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if self.rows:
            return self._link(keyset.PREVIOUS, keyset.row_position(self.keys, self.rows[0]))
        # walked past the end (the rows there went away): the last page
        return self._link(keyset.PREVIOUS, None)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            OrderedDict(
                [
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The following page; null on the last."},
                "previous": {**link, "description": "The page before; null on the first."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position from a `next` or `previous` link; omit it "
                "for the first page. An edited cursor, or one from another ordering, is "
                "refused with 400.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page ({self.page_size} unless given, at most "
                f"{self.max_page_size}).",
                "schema": {"type": "integer"},
            },
        ]


class CursorOrPagePagination(BasePagination):
    """Keyset pages (``?cursor=``, no count) by default; ``?page=N`` switches to page
    numbers with a ``count`` for clients written against them. Both at once: 400."""

    page_query_param = "page"

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any] | None:
        by_page = self.page_query_param in request.query_params
        if by_page and KeysetPagination.cursor_query_param in request.query_params:
            raise ValidationError({"non_field_errors": ["Give either cursor or page, not both."]})
        self.active: BasePagination = StandardPagination() if by_page else KeysetPagination()
        return self.active.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        return self.active.get_paginated_response(data)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        body = KeysetPagination().get_paginated_response_schema(schema)
        body["properties"] = {
            "count": {
                "type": "integer",
                "description": "Total rows; only when paging by `page`.",
            },
            **body["properties"],
        }
        return body

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        cursor, page_size = KeysetPagination().get_schema_operation_parameters(view)
        page = {
            "name": self.page_query_param,
            "required": False,
            "in": "query",
            "description": "Page number, for clients that page by number: the response "
            "then carries `count` and page-number links. Not with `cursor`.",
            "schema": {"type": "integer"},
        }
        return [cursor, page, page_size]
