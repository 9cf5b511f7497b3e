from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "revo.contracts"
    label = "contracts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from revo.contracts.models import Contract
        from revo.contracts.services import contract_on_approved
        from revo.reviews.registry import register_artifact

        register_artifact(Contract, on_approved=contract_on_approved)
