"""The instance's admin center: its own area, look and API (Graph-shaped) under /admin-center/."""

from django.urls import path

from hanse.admincenter import views
from hanse.admincenter.api import api
from hanse.admincenter.shells import ADMIN_CENTER, patterns

app_name = "admincenter"
urlpatterns = [
    path("api/v1.0/", api.urls),
    path("", views.home, {"shell": ADMIN_CENTER}, name="home"),
    *patterns(ADMIN_CENTER),
]
