from django.urls import path

from hanse.links import views
from hanse.migration import views as migration_views

app_name = "links"
urlpatterns = [
    path("", views.details, name="details"),
    path("start", views.start, name="start"),
    path("callback", views.callback, name="callback"),
    path("confirm", views.confirm, name="confirm"),
    path("done", views.done, name="done"),
    path("customers", migration_views.dashboard, name="customers"),  # the link's View dashboard
    path("unlink", views.unlink, name="unlink"),
    path("new-account", views.create_account, name="new_account"),
]
