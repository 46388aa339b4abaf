from django.urls import path

from hanse.commerce import views as commerce_views
from hanse.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new", views.customer_new, name="new"),
    path("<uuid:customer_id>/", views.customer_detail, name="detail"),
    path("<uuid:customer_id>/billing", views.customer_billing, name="billing"),
    path("<uuid:customer_id>/cart", commerce_views.cart, name="cart"),
    path(
        "<uuid:customer_id>/subscriptions/<uuid:subscription_id>/",
        commerce_views.subscription_detail,
        name="subscription",
    ),
]
