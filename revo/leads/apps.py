from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "revo.leads"
    label = "leads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from revo.leads.models import OutreachMessage
        from revo.reviews.registry import register_artifact

        # Approval sends nothing yet: the mail service hooks sending in here.
        register_artifact(OutreachMessage, on_approved=None)
