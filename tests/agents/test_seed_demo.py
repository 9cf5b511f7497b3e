from __future__ import annotations

from django.core.management import call_command

from revo.agents.models import AgentSettings
from revo.billing.models import Invoice
from revo.contracts.models import Contract, NegotiationRound, PriceListItem
from revo.deals.models import Deal
from revo.leads.models import Lead, Reply
from revo.llm.models import AutoApprovalRule


def _counts() -> dict[str, int]:
    return {
        "leads": Lead.all_objects.count(),
        "replies": Reply.objects.count(),
        "deals": Deal.all_objects.count(),
        "contracts": Contract.objects.count(),
        "rounds": NegotiationRound.objects.count(),
        "invoices": Invoice.objects.count(),
        "prices": PriceListItem.objects.count(),
        "rules": AutoApprovalRule.objects.count(),
        "settings": AgentSettings.objects.count(),
    }


def test_seed_demo_gives_every_agent_work_and_runs_twice_without_duplicates(tenant, capsys):
    call_command("seed_demo", "--tenant", "test")
    first = _counts()
    out = capsys.readouterr().out

    call_command("seed_demo", "--tenant", "test")
    second = _counts()

    assert "demo data seeded" in out
    assert "nothing created" in capsys.readouterr().out
    assert first == second
    assert Lead.objects.filter(status="new").count() >= 20
    assert Lead.objects.filter(status="engaged").count() == 2
    assert Reply.objects.filter(handled=False).count() == 5
    assert Deal.objects.filter(stage="negotiation").count() == 2
    assert NegotiationRound.objects.filter(party="customer").count() == 1
    assert Contract.objects.filter(status="signed", invoices__isnull=True).count() == 1
    overdue = [i for i in Invoice.objects.filter(status="issued") if i.is_overdue]
    assert len(overdue) == 2
    assert Invoice.objects.filter(status="paid").count() == 1
    assert AutoApprovalRule.objects.get(action_type="dunning.level_1").enabled
    assert AgentSettings.objects.get().offer_package


def test_the_whole_pipeline_runs_over_the_demo_data_with_the_template_backend(
    tenant, template_model, capsys
):
    from revo.agents.models import AgentRun, AgentRunItem
    from revo.reviews.models import ReviewItem

    call_command("seed_demo", "--tenant", "test")

    call_command("run_pipeline", "--tenant", "test", "--sync")

    out = capsys.readouterr().out
    runs = {run.agent: run for run in AgentRun.objects.all()}
    failures = list(AgentRunItem.objects.filter(outcome="failed").values("item_id", "error"))
    assert "pipeline succeeded" in out
    assert set(runs) == {"sdr", "sales", "negotiation", "finance"}
    assert failures == []
    assert all(run.processed > 0 for run in runs.values())
    kinds = set(
        ReviewItem.objects.filter(status="pending_review").values_list("entity_type", flat=True)
    )
    assert {"outreach", "deal_proposal", "contract", "invoice", "dunning"} <= kinds
