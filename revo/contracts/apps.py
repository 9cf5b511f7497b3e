from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "revo.contracts"
    label = "contracts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from revo.contracts.models import Contract
        from revo.contracts.services import contract_on_approved, contract_on_rejected
        from revo.reviews.registry import register_artifact

        try:
            # Rejection voids the revision whoever decides (queue, API, bulk).
            register_artifact(
                Contract, on_approved=contract_on_approved, on_rejected=contract_on_rejected
            )
        except TypeError:
            # A review registry without rejection hooks: contract_review_decide voids.
            register_artifact(Contract, on_approved=contract_on_approved)
