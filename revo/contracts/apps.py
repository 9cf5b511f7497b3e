from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "revo.contracts"
    label = "contracts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from revo.contracts.mailing import contract_emails_register

        # Approval emails the contract (sent once delivered); rejection voids the revision.
        contract_emails_register()
