from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "revo.billing"
    label = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from revo.billing.models import DunningNotice, Invoice
        from revo.billing.services import invoice_on_approved
        from revo.reviews.registry import register_artifact

        # An approved invoice is issued (numbered) in the decision's transaction. Approved
        # dunning notices wait for the sending step.
        register_artifact(Invoice, on_approved=invoice_on_approved)
        register_artifact(DunningNotice)
