from __future__ import annotations

import pytest

from revo.accounts.models import User
from revo.accounts.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def sdr(tenant) -> User:
    return UserFactory(role=Role.SDR, email="sdr@test.example")


@pytest.fixture
def viewer(tenant) -> User:
    return UserFactory(role=Role.VIEWER, email="viewer@test.example")
