from django.urls import path

from hanse.catalog import views

app_name = "catalog"
urlpatterns = [path("", views.offer_list, name="list")]
