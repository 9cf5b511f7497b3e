from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "revo.agents"
    label = "agents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the package registers the four agents by name.
        from revo.agents import agents  # noqa: F401
