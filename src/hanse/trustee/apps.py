from django.apps import AppConfig


class TrusteeConfig(AppConfig):
    name = "hanse.trustee"
    label = "trustee"
    default_auto_field = "django.db.models.BigAutoField"
