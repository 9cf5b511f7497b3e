"""Create a platform operator: a superuser of the public schema who may provision tenants
through ``POST /api/v1/platform/tenants`` on the public host."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from revo.accounts.roles import Role
from revo.accounts.services import user_create


class Command(BaseCommand):
    help = "Create a platform operator (public-schema superuser)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="generated and printed if omitted")
        parser.add_argument("--full-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options.get("password") or secrets.token_urlsafe(16)
        with schema_context("public"):
            try:
                user = user_create(
                    email=options["email"],
                    password=password,
                    role=Role.ADMIN,
                    full_name=options["full_name"],
                    is_superuser=True,
                )
            except ValidationError as exc:
                messages = "; ".join(
                    f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()
                )
                raise CommandError(f"platform operator not created: {messages}") from None
        self.stdout.write(self.style.SUCCESS(f"platform operator {user.email} created"))
        if not options.get("password"):
            self.stdout.write(f"password: {password}")
