import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hanse.settings")
application = get_wsgi_application()


def _warm() -> None:
    """Build what the first request would otherwise build in each worker: the table of declared
    query parameters comes from the OpenAPI documents (0.4 s). ``hanse serve`` imports this module
    before gunicorn forks its workers, so that they inherit it."""
    from hanse.api.api import query_parameters

    query_parameters()


_warm()
