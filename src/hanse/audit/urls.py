from django.urls import path

from hanse.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("mine.zip", views.my_records, name="mine"),
]
