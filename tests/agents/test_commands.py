from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from revo.agents.models import AgentRun, PipelineRun


def test_run_pipeline_sync_shows_progress_and_a_summary(tenant, scripted_agent, capsys):
    scripted_agent.default_items = ["a", "b", "boom"]
    call_command("run_pipeline", "--tenant", "test", "--agent", "scripted", "--sync")

    out = capsys.readouterr().out
    assert "scripted:" in out
    assert "..x 3 item(s)" in out
    assert "stage" in out
    assert "processed" in out
    summary = next(line for line in out.splitlines() if line.startswith("scripted    "))
    assert summary.split()[:6] == ["scripted", "succeeded", "2", "0", "1", "2"]
    assert "pipeline succeeded" in out
    assert PipelineRun.objects.get().trigger == "cli"
    assert AgentRun.objects.get().options["sync"] is True


def test_run_pipeline_refuses_unknown_tenant_and_agent(tenant, scripted_agent):
    with pytest.raises(CommandError, match="no active tenant"):
        call_command("run_pipeline", "--tenant", "nope", "--sync")
    with pytest.raises(CommandError, match="unknown agent"):
        call_command("run_pipeline", "--tenant", "test", "--agent", "nope", "--sync")
