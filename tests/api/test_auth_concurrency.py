from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from revo.accounts.models import User
from revo.api.tokens import token_pair_issue

PARALLEL = 12


def _in_own_connection(func):  # noqa: ANN001, ANN202
    def run(*args):  # noqa: ANN002, ANN202
        try:
            return func(*args)
        finally:
            connection.close()

    return run


@pytest.mark.django_db
def test_parallel_refreshes_of_one_token_rotate_it_exactly_once(committed_tenant):
    domain = committed_tenant.domain.domain

    @_in_own_connection
    def issue() -> str:
        with schema_context(committed_tenant.tenant.schema_name):
            return token_pair_issue(user=User.objects.get(pk=committed_tenant.admin.pk))["refresh"]

    barrier = threading.Barrier(PARALLEL)

    @_in_own_connection
    def refresh(token: str) -> int:
        client = APIClient(HTTP_HOST=domain)
        barrier.wait()
        return client.post("/api/v1/auth/token/refresh", {"refresh": token}).status_code

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        token = pool.submit(issue).result()
        statuses = list(pool.map(refresh, [token] * PARALLEL))

    assert sorted(statuses) == [200] + [401] * (PARALLEL - 1)
