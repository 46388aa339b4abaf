from django.apps import AppConfig


class AdmincenterConfig(AppConfig):
    name = "hanse.admincenter"
    label = "admincenter"
    default_auto_field = "django.db.models.BigAutoField"
