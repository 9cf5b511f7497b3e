"""Test-only URLconf: the tenant URLs plus views that fail on purpose."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django_fsm import TransitionNotAllowed
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from revo.api.exceptions import Conflict, IllegalTransition
from revo.api.permissions import PUBLIC
from revo.api.serializers import StrictInputSerializer
from revo.api.views import ApiView
from revo.urls_tenant import urlpatterns as tenant_urlpatterns

FAILURES = {
    "crash": lambda: _crash(),
    "conflict": lambda: Conflict("already issued"),
    "illegal-transition": lambda: IllegalTransition("deal is closed", allowed=["reopen"]),
    "fsm": lambda: TransitionNotAllowed("Can't switch from state 'closed' using method 'win'"),
    "django-validation": lambda: DjangoValidationError({"amount": ["must be positive"]}),
}


def _crash() -> Exception:
    return RuntimeError("SELECT secret FROM accounts_user WHERE password = 'hunter2'")


class FailingView(ApiView):
    required_permission = PUBLIC
    authentication_classes: list[type] = []

    def get(self, request: Request, kind: str) -> Response:
        raise FAILURES[kind]()


class EchoInput(StrictInputSerializer):
    name = serializers.CharField()
    id = serializers.IntegerField(read_only=True)


class EchoView(ApiView):
    required_permission = PUBLIC
    authentication_classes: list[type] = []

    def post(self, request: Request) -> Response:
        data = EchoInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


def plain_django_crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("Traceback (most recent call last): psycopg.errors.UndefinedTable")


urlpatterns = [
    *tenant_urlpatterns,
    path("api/v1/_test/fail/<str:kind>", FailingView.as_view()),
    path("api/v1/_test/echo", EchoView.as_view()),
    path("api/v1/_test/django-crash", plain_django_crash),
]

handler404 = "revo.api.errors.not_found"
handler500 = "revo.api.errors.server_error"
