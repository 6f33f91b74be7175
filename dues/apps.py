from django.apps import AppConfig


class DuesConfig(AppConfig):
    name = "dues"
    default_auto_field = "django.db.models.BigAutoField"
