from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "revo.leads"
    label = "leads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from revo.leads.mailing import outreach_emails_register

        # Approval queues the outreach email; the outbox reports back to the lead.
        outreach_emails_register()
