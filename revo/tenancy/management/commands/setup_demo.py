from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from revo.tenancy.demo import DEMO_DOMAIN, demo_setup
from revo.tenancy.services import ProvisioningError


class Command(BaseCommand):
    help = "Create (or refresh) the demo tenant acme with one user per role."

    def handle(self, *args: object, **options: object) -> None:
        try:
            setup = demo_setup()
        except ProvisioningError as exc:
            raise CommandError(f"demo tenant not set up: {exc}") from None
        verb = "created" if setup.created else "already there; reused"
        self.stdout.write(self.style.SUCCESS(f"tenant acme {verb} at {DEMO_DOMAIN}"))
        self.stdout.write("users (one per role):")
        for role, email in setup.users.items():
            self.stdout.write(f"  {role:<8} {email}")
        self.stdout.write(f"password: {setup.password}   (from {setup.password_source})")
