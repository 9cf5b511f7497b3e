from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "revo.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from revo.api import (
            checks,  # noqa: F401 - registers the permission check
            schema,  # noqa: F401 - registers OpenAPI extensions
        )
