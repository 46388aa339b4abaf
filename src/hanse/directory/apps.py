from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "hanse.directory"
    label = "directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models import CharField

        from hanse.db import CaseInsensitiveEqual

        CharField.register_lookup(CaseInsensitiveEqual)

        from hanse.directory import revocation

        revocation.connect()
