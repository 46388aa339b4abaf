from django.urls import path

from hanse.partners import views

app_name = "operator"
urlpatterns = [
    path("partners", views.operator_partners, name="partners"),
    path("partners/<uuid:partner_id>/state", views.operator_partner_state, name="partner_state"),
]
