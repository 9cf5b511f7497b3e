from __future__ import annotations

import pytest

from revo.accounts.models import User
from revo.accounts.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def sales(tenant) -> User:
    return UserFactory(role=Role.SALES, email="sales@test.example")


@pytest.fixture
def sales2(tenant) -> User:
    return UserFactory(role=Role.SALES, email="sales2@test.example")


@pytest.fixture
def admin_user(tenant) -> User:
    return User.objects.get(email="admin@test.example")


@pytest.fixture
def viewer(tenant) -> User:
    return UserFactory(role=Role.VIEWER, email="viewer@test.example")


@pytest.fixture
def finance(tenant) -> User:
    return UserFactory(role=Role.FINANCE, email="finance@test.example")
