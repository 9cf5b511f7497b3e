"""factory-boy base factories. Objects with business rules are created through their
services, so a factory never builds a state the application could not reach."""

from __future__ import annotations

import factory

from revo.accounts.models import User
from revo.accounts.roles import Role
from revo.accounts.services import user_create

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class ServiceFactory(factory.Factory):
    """Base for factories whose ``_create`` calls a service instead of ``save()``."""

    class Meta:
        abstract = True


class UserFactory(ServiceFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.VIEWER
    password = DEFAULT_PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], **kwargs: object) -> User:
        return user_create(**kwargs)
