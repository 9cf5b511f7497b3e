from django.urls import path

from revo.agents.api import settings, views

urlpatterns = [
    path("agents/<str:agent_name>/run", views.AgentRunCreateView.as_view(), name="agent-run"),
    path("pipeline/run", views.PipelineRunCreateView.as_view(), name="pipeline-run"),
    path("agent-settings", settings.AgentSettingsView.as_view(), name="agent-settings"),
    path("runs", views.RunListView.as_view(), name="run-list"),
    path("runs/<str:run_id>", views.RunDetailView.as_view(), name="run-detail"),
    path("runs/<str:run_id>/retry", views.RunRetryView.as_view(), name="run-retry"),
    path(
        "runs/<str:run_id>/manual-override",
        views.RunOverrideView.as_view(),
        name="run-override",
    ),
]
