from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.tenancy.models import Domain, Tenant
from revo.tenancy.services import ProvisioningError, tenant_provision


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def _provision(slug: str = "globex", domain: str = "globex.localhost", **kwargs):  # noqa: ANN202
    defaults = {
        "name": "Globex",
        "admin_email": "Boss@Globex.example",
        "admin_password": "a-long-enough-password",
    }
    defaults.update(kwargs)
    return tenant_provision(slug=slug, domain=domain, **defaults)


def test_provision_creates_schema_domain_groups_and_admin(db):
    result = _provision()

    assert _schema_exists("globex")
    assert Domain.objects.get(domain="globex.localhost").tenant == result.tenant
    with schema_context("globex"):
        assert set(Group.objects.values_list("name", flat=True)) == set(Role.values)
        admin = User.objects.get()
        assert admin.email == "boss@globex.example"
        assert admin.role == Role.ADMIN
        assert admin.groups.get().name == Role.ADMIN
        assert admin.has_perm("accounts.change_user")


def test_provisioned_admin_can_log_in_to_its_tenant_admin(db):
    _provision()
    client = Client(HTTP_HOST="globex.localhost")

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "BOSS@globex.example", "password": "a-long-enough-password"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_generated_password_is_returned_when_none_given(db):
    result = _provision(admin_password=None)

    assert result.password_generated
    with schema_context("globex"):
        assert User.objects.get().check_password(result.admin_password)


def test_hyphenated_slug_maps_to_underscored_schema(db):
    result = _provision(slug="acme-eu", domain="acme-eu.localhost")

    assert result.tenant.schema_name == "acme_eu"
    assert _schema_exists("acme_eu")


@pytest.mark.parametrize(
    ("slug", "reason"),
    [
        pytest.param("Acme", "invalid slug", id="uppercase"),
        pytest.param("acme_eu", "invalid slug", id="underscore"),
        pytest.param("-acme", "invalid slug", id="leading-hyphen"),
        pytest.param("acme-", "invalid slug", id="trailing-hyphen"),
        pytest.param("", "invalid slug", id="empty"),
        pytest.param("a" * 64, "invalid slug", id="too-long"),
        pytest.param("acme;drop", "invalid slug", id="sql"),
        pytest.param("public", "reserved", id="public"),
        pytest.param("extensions", "reserved", id="extensions"),
        pytest.param("information-schema", "reserved", id="information-schema"),
        pytest.param("pg-catalog", "reserved", id="pg-prefix"),
        pytest.param("tenant-template", "reserved", id="template"),
        pytest.param("test", "already exists", id="existing"),
    ],
)
def test_bad_slugs_are_refused_and_nothing_is_created(db, slug, reason):
    tenants_before = Tenant.objects.count()
    domains_before = Domain.objects.count()

    with pytest.raises(ProvisioningError, match=reason):
        _provision(slug=slug, domain="fresh.localhost")

    assert Tenant.objects.count() == tenants_before
    assert Domain.objects.count() == domains_before


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        pytest.param({"domain": "test.localhost"}, "already in use", id="domain-taken"),
        pytest.param({"domain": "not a host"}, "invalid domain", id="domain-invalid"),
        pytest.param({"admin_email": "nope"}, "invalid admin email", id="bad-email"),
        pytest.param({"timezone": "Mars/Olympus"}, "unknown time zone", id="bad-tz"),
        pytest.param({"currency": "euro"}, "invalid currency", id="bad-currency"),
        pytest.param({"admin_password": "123"}, "password", id="weak-password"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(db, kwargs, reason):
    tenants_before = Tenant.objects.count()

    with pytest.raises(ProvisioningError, match=reason):
        _provision(**kwargs)

    assert Tenant.objects.count() == tenants_before
    assert not _schema_exists("globex")


def _failing_setup_step() -> None:
    raise RuntimeError("setup step failed")


@override_settings(
    REVO_TENANT_SETUP_STEPS=[
        "revo.accounts.services.role_groups_sync",
        "tests.tenancy.test_provisioning._failing_setup_step",
    ]
)
def test_failure_half_way_leaves_no_tenant_domain_or_schema(db):
    with pytest.raises(RuntimeError, match="setup step failed"):
        _provision()

    assert not Tenant.objects.filter(slug="globex").exists()
    assert not Domain.objects.filter(domain="globex.localhost").exists()
    assert not _schema_exists("globex")


def test_tenant_create_command_provisions(db, capsys):
    call_command(
        "tenant_create",
        "--slug=initech",
        "--name=Initech",
        "--domain=initech.localhost",
        "--admin-email=admin@initech.example",
    )

    out = capsys.readouterr().out
    assert "tenant initech created" in out
    assert "password: " in out
    assert _schema_exists("initech")


def test_tenant_create_command_refuses_reserved_slug_with_clear_error(db):
    with pytest.raises(CommandError, match="tenant not created: slug 'public' is reserved"):
        call_command(
            "tenant_create",
            "--slug=public",
            "--name=Nope",
            "--domain=nope.localhost",
            "--admin-email=admin@nope.example",
        )
    assert not Domain.objects.filter(domain="nope.localhost").exists()


def test_pgvector_is_installed_in_the_extensions_schema(tenant):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'vector'"
        )
        assert cursor.fetchone() == ("extensions",)
        # usable from a tenant schema through the search path
        cursor.execute("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector")
        assert cursor.fetchone()[0] == pytest.approx(1.0)


def test_tenant_setup_reapplies_missing_defaults_and_keeps_edits(tenant, capsys):
    from revo.llm.models import PromptTemplate

    PromptTemplate.objects.filter(key="sdr.classify_reply").delete()
    kept = PromptTemplate.objects.filter(key="sdr.score_lead").count()
    connection.set_schema_to_public()

    call_command("tenant_setup", "--tenant", "test")

    assert "test: setup steps applied" in capsys.readouterr().out
    with schema_context("test"):
        assert PromptTemplate.objects.filter(key="sdr.classify_reply", is_active=True).exists()
        assert PromptTemplate.objects.filter(key="sdr.score_lead").count() == kept


def test_tenant_setup_refuses_an_unknown_tenant(db):
    with pytest.raises(CommandError, match="no tenant with slug 'nope'"):
        call_command("tenant_setup", "--tenant", "nope")
