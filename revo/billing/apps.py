from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "revo.billing"
    label = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from revo.billing.mailing import billing_emails_register

        # An approved invoice is issued (numbered, PDF) and emailed with its PDF; an approved
        # dunning notice is emailed with the invoice's PDF and applied once sent.
        billing_emails_register()
