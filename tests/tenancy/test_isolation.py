from __future__ import annotations

from django_tenants.utils import schema_context

from revo.accounts.models import User
from tests.conftest import ADMIN_PASSWORD
from tests.factories import UserFactory


def _login(client, email: str, password: str):  # noqa: ANN001, ANN202
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password})


def test_user_of_one_tenant_cannot_log_in_on_another_tenants_host(
    tenant, tenant_client, other_client
):
    UserFactory(email="only-here@example.com", password=ADMIN_PASSWORD)

    assert _login(tenant_client, "only-here@example.com", ADMIN_PASSWORD).status_code == 302
    refused = _login(other_client, "only-here@example.com", ADMIN_PASSWORD)
    assert refused.status_code == 200  # the login form again, with an error
    assert "correct email and password" in refused.content.decode()


def test_same_email_can_exist_in_two_tenants_independently(tenant, in_other_tenant):
    UserFactory(email="shared@example.com", full_name="Mine")
    with in_other_tenant():
        UserFactory(email="shared@example.com", full_name="Theirs")
        assert User.objects.get(email="shared@example.com").full_name == "Theirs"

    assert User.objects.get(email="shared@example.com").full_name == "Mine"
    with schema_context("other"):
        assert User.objects.filter(email="shared@example.com").count() == 1


def test_unknown_host_gets_a_404_page_not_a_crash(db):
    from django.test import Client

    response = Client(HTTP_HOST="nobody.localhost").get("/admin/")

    assert response.status_code == 404
    assert response.has_header("X-Request-ID")


def test_deactivated_tenant_host_gets_a_404(tenant, tenant_client):
    from revo.tenancy.services import tenant_deactivate

    tenant_deactivate(tenant=tenant)

    assert tenant_client.get("/admin/login/").status_code == 404
