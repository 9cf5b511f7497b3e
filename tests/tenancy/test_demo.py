from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.tenancy.models import Tenant

DEMO_PASSWORD = "demo-password-for-tests"


@pytest.fixture
def demo_home(tmp_path, monkeypatch):  # noqa: ANN201
    monkeypatch.setenv("REVO_HOME", str(tmp_path))
    return tmp_path


@override_settings(REVO_DEMO_PASSWORD=DEMO_PASSWORD)
def test_setup_demo_is_rerunnable_and_every_role_can_log_in(db, demo_home, capsys):
    call_command("setup_demo")
    first = capsys.readouterr().out
    call_command("setup_demo")
    second = capsys.readouterr().out

    assert "tenant acme created at acme.localhost" in first
    assert "already there; reused" in second
    assert Tenant.objects.filter(slug="acme").count() == 1
    with schema_context("acme"):
        assert User.objects.count() == len(Role.values)
    for role in Role.values:
        client = Client(HTTP_HOST="acme.localhost")
        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": f"{role}@acme.example", "password": DEMO_PASSWORD},
        )
        assert response.status_code == 302, f"{role} could not log in"
        assert client.get("/admin/").status_code == 200


def test_setup_demo_generates_a_password_once_and_reuses_it(db, demo_home, capsys, settings):
    settings.REVO_DEMO_PASSWORD = ""

    call_command("setup_demo")
    first = capsys.readouterr().out
    call_command("setup_demo")
    second = capsys.readouterr().out

    stored = (demo_home / "demo-password").read_text().strip()
    assert f"password: {stored}" in first
    assert f"password: {stored}" in second
    with schema_context("acme"):
        assert User.objects.get(email="viewer@acme.example").check_password(stored)
