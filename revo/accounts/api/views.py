"""Sign-in with JWTs, the signed-in user, and user administration."""

from __future__ import annotations

import django_filters
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from revo.accounts import services
from revo.accounts.api.serializers import (
    LogoutOutputSerializer,
    MeOutputSerializer,
    RefreshInputSerializer,
    TokenObtainInputSerializer,
    TokenPairSerializer,
    UserCreateInputSerializer,
    UserOutputSerializer,
    UserRoleInputSerializer,
)
from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.api import throttling
from revo.api.idempotency import idempotent
from revo.api.permissions import AUTHENTICATED, PUBLIC
from revo.api.tokens import TokenRefused, token_pair_issue, token_pair_rotate, token_revoke
from revo.api.views import ApiView

AUTH_TAG = ["auth"]
USERS_TAG = ["users"]


class TokenObtainView(ApiView):
    """Sign in with email and password. Failures within 15 minutes lock further attempts
    (429 with Retry-After) after 5 for one email from one address, 20 for one email from
    any address, or 50 from one address for any email."""

    required_permission = PUBLIC
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    error_status_codes = (401, 429)

    @extend_schema(
        tags=AUTH_TAG,
        request=TokenObtainInputSerializer,
        responses={200: TokenPairSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"]
        ip = throttling.client_address(request.META)
        wait = throttling.login_retry_after(username=email, ip=ip)
        if wait is not None:
            raise Throttled(wait=wait, detail="Too many failed sign-in attempts.")
        user = authenticate(
            request._request, username=email, password=data.validated_data["password"]
        )
        if user is None:
            throttling.login_failure_record(username=email, ip=ip)
            raise AuthenticationFailed("No active account with these credentials.")
        throttling.login_failures_clear(username=email, ip=ip)
        return Response(token_pair_issue(user=user))


class TokenRefreshView(ApiView):
    """Exchange a refresh token for a new pair; the old refresh token stops working."""

    required_permission = PUBLIC
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    error_status_codes = (401,)

    @extend_schema(
        tags=AUTH_TAG, request=RefreshInputSerializer, responses={200: TokenPairSerializer}, auth=[]
    )
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            pair = token_pair_rotate(refresh=data.validated_data["refresh"])
        except TokenRefused as exc:
            raise AuthenticationFailed(str(exc)) from None
        return Response(pair)


class LogoutView(ApiView):
    """Revoke one of your refresh tokens (access tokens expire within 10 minutes)."""

    required_permission = AUTHENTICATED

    @extend_schema(
        tags=AUTH_TAG, request=RefreshInputSerializer, responses={200: LogoutOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            jti = token_revoke(refresh=data.validated_data["refresh"], user=request.user)
        except TokenRefused as exc:
            raise AuthenticationFailed(str(exc)) from None
        return Response({"jti": jti})


class MeView(ApiView):
    """The signed-in user, their role and tenant."""

    required_permission = AUTHENTICATED

    @extend_schema(tags=AUTH_TAG, responses={200: MeOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user).data)


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = django_filters.BooleanFilter()
    email = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = User
        fields = ("role", "is_active", "email")


class UserListView(ApiView):
    """Users of this tenant (admins): list with filters and ordering; create."""

    required_permission = {"GET": "accounts.view_user", "POST": "accounts.add_user"}
    filterset_class = UserFilter
    ordering_fields = ("email", "date_joined", "role")
    ordering = ("email",)

    def get_queryset(self):  # noqa: ANN201
        return User.objects.only(*UserOutputSerializer.Meta.fields)

    @extend_schema(tags=USERS_TAG, responses={200: UserOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), UserOutputSerializer)

    @extend_schema(
        tags=USERS_TAG, request=UserCreateInputSerializer, responses={201: UserOutputSerializer}
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = UserCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetailView(ApiView):
    """One user of this tenant; admins change roles here."""

    required_permission = {"GET": "accounts.view_user", "PATCH": "accounts.change_user"}

    def get_queryset(self):  # noqa: ANN201
        return User.objects.all()

    @extend_schema(tags=USERS_TAG, responses={200: UserOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(UserOutputSerializer(self.get_object()).data)

    @extend_schema(
        tags=USERS_TAG,
        request=UserRoleInputSerializer,
        responses={200: UserOutputSerializer},
        description="Change a user's role; their existing tokens stop working.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = UserRoleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_set_role(
            user=self.get_object(), role=data.validated_data["role"], by=request.user
        )
        return Response(UserOutputSerializer(user).data)
