"""Base views of the API and the OpenAPI views.

Subclass ``ApiView`` and declare ``required_permission`` (see ``revo.api.permissions``);
use ``StrictInputSerializer`` for bodies, ``@idempotent`` on POST handlers that create
something, and ``extend_schema(request=..., responses=...)`` so the schema is complete.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.pagination import StandardPagination
from revo.api.permissions import PUBLIC, UNDECLARED, HasRequiredPermission, Requirement


class ApiView(GenericAPIView):
    # Base of every Revo API view: JWT auth, role permission, pagination. (A comment, not a
    # docstring: docstrings become operation descriptions in the schema.)

    required_permission: Requirement = UNDECLARED
    permission_classes = [HasRequiredPermission]
    pagination_class = StandardPagination

    def get_authenticate_header(self, request: Request) -> str:
        # Public views authenticate nobody but still answer bad credentials with 401.
        return super().get_authenticate_header(request) or 'Bearer realm="api"'

    def paginated(self, queryset: Any, serializer_class: type) -> Response:
        """Filter, order and paginate ``queryset``; serialize one page."""
        page = self.paginate_queryset(self.filter_queryset(queryset))
        return self.get_paginated_response(serializer_class(page, many=True).data)


@extend_schema(exclude=True)
class SchemaView(SpectacularAPIView):
    """The OpenAPI document of the host it is asked on (tenant or platform URLs)."""

    required_permission = PUBLIC
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.urlconf = getattr(request._request, "urlconf", None) or settings.ROOT_URLCONF
        return super().get(request, *args, **kwargs)


@extend_schema(exclude=True)
class DocsView(SpectacularSwaggerView):
    required_permission = PUBLIC
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
