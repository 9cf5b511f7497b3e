from __future__ import annotations

import pytest

from revo.accounts.models import User
from tests.billing.factories import finance_user


@pytest.fixture
def finance(tenant) -> User:
    return finance_user()
