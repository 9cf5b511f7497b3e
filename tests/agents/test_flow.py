"""The whole lead-to-cash flow, stage by stage in-process, with a person's review decision
between the stages (template backend: no model server needed)."""

from __future__ import annotations

from tests.agents.flow import lead_to_dunning
from tests.agents.helpers import run_agent


def test_lead_to_dunning_with_approvals_between_the_stages(agent_world, template_model):
    walk = lead_to_dunning(run_agent)

    assert walk.first_touch.llm_backend == "template"
    assert walk.invoice.contract.deal_id == walk.deal.pk
