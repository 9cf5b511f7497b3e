from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "revo.deals"
    label = "deals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from revo.deals.models import DealProposal
        from revo.deals.services import deal_proposal_on_approved
        from revo.reviews.registry import register_artifact

        register_artifact(DealProposal, on_approved=deal_proposal_on_approved)
