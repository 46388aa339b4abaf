from django.urls import path

from hanse.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("records.csv", views.audit_csv, name="csv"),
    path("<int:seq>/", views.audit_detail, name="detail"),
    path("mine.zip", views.my_records, name="mine"),
]
