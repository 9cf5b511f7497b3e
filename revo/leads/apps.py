from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "revo.leads"
    label = "leads"
    default_auto_field = "django.db.models.BigAutoField"
