from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from revo.agents.models import AgentRun, PipelineRun


def test_run_pipeline_sync_shows_progress_and_a_summary(tenant, scripted_agent, capsys):
    scripted_agent.default_items = ["a", "b", "boom"]
    call_command("run_pipeline", "--tenant", "test", "--agent", "scripted", "--sync")

    out = capsys.readouterr().out
    bar = next(line for line in out.splitlines() if line.startswith("scripted    ["))
    assert bar == f"scripted    [{'#' * 30}] 3/3  processed 2  skipped 0  failed 1"
    assert "stage" in out
    assert "processed" in out
    summary = next(line for line in out.splitlines() if line.startswith("scripted    s"))
    assert summary.split()[:6] == ["scripted", "succeeded", "2", "0", "1", "2"]
    assert "pipeline succeeded" in out
    assert PipelineRun.objects.get().trigger == "cli"
    assert AgentRun.objects.get().options["sync"] is True


def test_run_pipeline_refuses_unknown_tenant_and_agent(tenant, scripted_agent):
    with pytest.raises(CommandError, match="no active tenant"):
        call_command("run_pipeline", "--tenant", "nope", "--sync")
    with pytest.raises(CommandError, match="unknown agent"):
        call_command("run_pipeline", "--tenant", "test", "--agent", "nope", "--sync")


def test_the_progress_bar_redraws_in_place_on_a_terminal():
    import io
    from types import SimpleNamespace

    from django.core.management.base import OutputWrapper

    from revo.agents.management.commands.run_pipeline import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(OutputWrapper(stream), label="sdr", live=True)

    bar.on_selected(None, 4)
    for outcome in ("processed", "processed", "skipped", "failed"):
        bar.on_item(None, "lead", "1", SimpleNamespace(outcome=outcome))
    bar.finish()

    frames = stream.getvalue().split("\r")[1:]
    assert len(frames) == 6  # selected, four items, finished
    assert frames[0] == f"sdr         [{'-' * 30}] 0/4  processed 0  skipped 0  failed 0"
    assert frames[2].startswith(f"sdr         [{'#' * 15}{'-' * 15}] 2/4")
    assert frames[-1] == f"sdr         [{'#' * 30}] 4/4  processed 2  skipped 1  failed 1\n"
