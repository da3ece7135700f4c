from django.urls import path

from . import views

urlpatterns = [
    path("register", views.RegisterApi.as_view(), name="auth-register"),
    path("login", views.LoginApi.as_view(), name="auth-login"),
    path("refresh", views.RefreshApi.as_view(), name="auth-refresh"),
    path("logout", views.LogoutApi.as_view(), name="auth-logout"),
    path("me", views.MeApi.as_view(), name="auth-me"),
]
