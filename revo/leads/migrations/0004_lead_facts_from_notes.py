"""Fill the new industry and company size columns from ``Industry:`` / ``Employees:``
lines of the notes, where those facts were kept before. Only empty columns are filled; the
notes stay as they are."""

from typing import Any

from django.db import migrations
from django.db.models import Q

from revo.leads.facts import normalize_industry, notes_facts

BATCH_SIZE = 1000


def move_note_facts(apps: Any, schema_editor: Any) -> int:
    """Copy note facts into empty columns; returns how many leads changed."""
    lead_model = apps.get_model("leads", "Lead")
    candidates = (
        lead_model._base_manager.filter(Q(industry="") | Q(company_size__isnull=True))
        .exclude(notes="")
        .filter(notes__contains=":")
        .only("pk", "industry", "company_size", "notes")
        .order_by("pk")
    )
    changed: list[Any] = []
    total = 0
    for lead in candidates.iterator(chunk_size=BATCH_SIZE):
        facts = notes_facts(lead.notes)
        dirty = False
        if not lead.industry and facts.industry:
            lead.industry = normalize_industry(facts.industry)
            dirty = True
        if lead.company_size is None and facts.company_size is not None:
            lead.company_size = facts.company_size
            dirty = True
        if dirty:
            changed.append(lead)
        if len(changed) >= BATCH_SIZE:
            lead_model._base_manager.bulk_update(changed, ["industry", "company_size"])
            total += len(changed)
            changed = []
    if changed:
        lead_model._base_manager.bulk_update(changed, ["industry", "company_size"])
        total += len(changed)
    return total


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0003_lead_industry_company_size"),
    ]

    operations = [
        migrations.RunPython(move_note_facts, migrations.RunPython.noop, elidable=True),
    ]
