from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "hanse.links"
    label = "links"
    default_auto_field = "django.db.models.BigAutoField"
