from django.urls import path

from hanse.trustee import services, views

app_name = "trustee"
urlpatterns = [
    path("", views.requests, name="requests"),
    path("new", views.request_new, name="request_new"),
    path("<uuid:request_id>/", views.request_detail, name="request"),
    *[
        path(f"<uuid:request_id>/{verb}", views.request_act, {"verb": verb}, name=verb)
        for verb in services.VERBS
    ],
]
