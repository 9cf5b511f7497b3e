from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from revo.leads.models import Lead
from tests.leads.factories import LeadFactory


def run(*args: str) -> int:
    """The exit code ``manage.py import_leads ...`` would end with, its message on stderr
    (``run_from_argv`` is avoided: it closes the test's database connection)."""
    try:
        call_command("import_leads", *args)
    except CommandError as exc:
        sys.stderr.write(f"CommandError: {exc}\n")
        return exc.returncode
    return 0


@pytest.fixture
def leads_csv(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Email,Full Name,Company\n"
        "ada@example.com,Ada Lovelace,AE\n"
        "bad-address,Bob,B\n"
        "grace@example.com,Grace Hopper,Navy\n"
        "ADA@example.com,Ada Again,AE\n",
        encoding="utf-8",
    )
    return path


def test_command_imports_and_prints_the_report(tenant, leads_csv, capsys):
    LeadFactory(email="grace@example.com", company="Old")

    code = run("--tenant", "test", str(leads_csv), "--on-existing", "update", "--source", "expo")

    out = capsys.readouterr().out
    assert code == 0
    assert "4 rows: 1 created, 1 updated, 1 skipped, 1 errors" in out
    assert "skipped row 5 (ada@example.com): duplicate of row 2 in this file" in out
    assert "error row 3 (bad-address): 'bad-address' is not a valid email address" in out
    assert Lead.objects.get(email="ada@example.com").source == "expo"
    assert Lead.objects.get(email="grace@example.com").company == "Navy"


def test_command_skips_existing_leads_by_default(tenant, leads_csv, capsys):
    LeadFactory(email="grace@example.com", company="Old")

    code = run("--tenant", "test", str(leads_csv))

    assert code == 0
    assert "skipped row 4 (grace@example.com): a lead with this email exists" in (
        capsys.readouterr().out
    )
    assert Lead.objects.get(email="grace@example.com").company == "Old"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Name,Company\nAda,AE\n", "no email column found"),
        (b"\x00\x01\x02binary", "not a CSV file"),
    ],
    ids=["no-email-column", "binary"],
)
def test_command_refuses_a_bad_file_with_exit_1_and_writes_nothing(
    tenant, tmp_path, capsys, content, message
):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    code = run("--tenant", "test", str(path))

    err = capsys.readouterr().err
    assert code == 1
    assert message in err
    assert "nothing was imported" in err
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nosuch", "{file}"], "no tenant 'nosuch'"),
        (["--tenant", "test", "/nonexistent/file.csv"], "no file"),
    ],
    ids=["unknown-tenant", "missing-file"],
)
def test_command_refuses_unknown_tenant_or_file(tenant, leads_csv, capsys, args, message):
    code = run(*[a.replace("{file}", str(leads_csv)) for a in args])

    assert code == 1
    assert message in capsys.readouterr().err
    assert not Lead.objects.exists()


def test_command_writes_only_into_the_named_tenant(tenant, in_other_tenant, leads_csv):
    with in_other_tenant():
        code = run("--tenant", "test", str(leads_csv))
        assert not Lead.objects.exists()

    assert code == 0
    assert Lead.objects.count() == 2
