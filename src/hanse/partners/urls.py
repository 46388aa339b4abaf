from django.urls import path

from hanse.partners import views

app_name = "partners"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("agreement", views.agreement_page, name="agreement"),
]
