from __future__ import annotations

from django.db.models import QuerySet

from revo.agents.models import AgentRun, AgentSettings, PipelineRun


def agent_run_for_update(run_id: str) -> QuerySet[AgentRun]:
    return AgentRun.objects.select_for_update().filter(run_id=run_id)


def pipeline_run_for_update(run_id: str) -> QuerySet[PipelineRun]:
    return PipelineRun.objects.select_for_update().filter(run_id=run_id)


def agent_settings_for_update() -> AgentSettings:
    """The tenant's agent settings row, created with defaults if missing, locked until the
    transaction ends."""
    AgentSettings.objects.get_or_create(singleton=True)
    return AgentSettings.objects.select_for_update().get(singleton=True)
