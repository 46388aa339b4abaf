from django.apps import AppConfig


class MigrationConfig(AppConfig):
    name = "hanse.migration"
    label = "migration"
    default_auto_field = "django.db.models.BigAutoField"
