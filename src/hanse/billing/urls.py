from django.urls import path

from hanse.billing import views

app_name = "billing"

urlpatterns = [
    path("", views.invoice_list, name="invoices"),
    path("invoices/<str:number>", views.invoice_detail, name="invoice"),
    path("invoices/<str:number>/document.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<str:number>/reconciliation.csv", views.invoice_csv, name="invoice_csv"),
    path("unbilled", views.unbilled_view, name="unbilled"),
    path("profile", views.profile, name="profile"),
    path("prices", views.price_lists_view, name="prices"),
    path("prices/<str:country>.csv", views.price_list_csv, name="price_csv"),
]
