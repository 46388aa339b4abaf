from django.urls import path

from hanse.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("signin", views.signin, name="signin"),
    path("signin/verify", views.signin_verify, name="signin_verify"),
    path("signout", views.signout, name="signout"),
    path("account", views.account, name="account"),
    path("account/password", views.password_change, name="password_change"),
    path("account/mfa", views.mfa_enrol, name="mfa_enrol"),
]
