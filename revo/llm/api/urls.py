from django.urls import path

from revo.llm.api import views

urlpatterns = [
    path("logs/agents", views.LLMCallLogView.as_view(), name="llm-call-log"),
    path("metrics/agents", views.AgentMetricsView.as_view(), name="agent-metrics"),
    path("prompts", views.PromptListView.as_view(), name="prompt-list"),
    path("prompts/<str:prompt_key>", views.PromptDetailView.as_view(), name="prompt-detail"),
    path(
        "prompts/<str:prompt_key>/activate",
        views.PromptActivateView.as_view(),
        name="prompt-activate",
    ),
]
