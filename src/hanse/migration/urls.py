from django.urls import path

from hanse.migration import views

app_name = "migration"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("board", views.board, name="board"),
    path("run", views.run, name="run"),
    path("consent", views.consent, name="consent"),
    path("history", views.history, name="history"),
    path("history.zip", views.history_download, name="history_download"),
    path("<uuid:customer_id>/", views.details, name="details"),
    path("<uuid:customer_id>/retry", views.retry, name="retry"),
    path("<uuid:customer_id>/rollback", views.rollback, name="rollback"),
    path("<uuid:customer_id>/consent", views.attest, name="attest"),
    path("<uuid:customer_id>/consent/withdraw", views.withdraw_attested, name="withdraw"),
]
