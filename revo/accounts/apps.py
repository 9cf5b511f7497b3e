from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "revo.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from revo.accounts.services import role_groups_sync_after_migrate

        # New models bring new permissions: re-materialise the role groups of the schema
        # that was just migrated, so the groups always match the role table in code.
        post_migrate.connect(
            role_groups_sync_after_migrate, dispatch_uid="revo.accounts.role_groups_sync"
        )
