from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "hanse.licensing"
    label = "licensing"
    default_auto_field = "django.db.models.BigAutoField"
