from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "revo.core"
    label = "core"
