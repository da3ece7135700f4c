from django.urls import path

from . import cookie, views

urlpatterns = [
    path("register", views.RegisterApi.as_view(), name="auth-register"),
    path("login", views.LoginApi.as_view(), name="auth-login"),
    path("refresh", views.RefreshApi.as_view(), name="auth-refresh"),
    path("logout", views.LogoutApi.as_view(), name="auth-logout"),
    path("session", cookie.SessionLoginApi.as_view(), name="auth-session"),
    path("session/csrf", cookie.SessionCsrfApi.as_view(), name="auth-session-csrf"),
    path("session/register", cookie.SessionRegisterApi.as_view(), name="auth-session-register"),
    path("session/refresh", cookie.SessionRefreshApi.as_view(), name="auth-session-refresh"),
    path("session/logout", cookie.SessionLogoutApi.as_view(), name="auth-session-logout"),
    path("sessions", views.SessionListApi.as_view(), name="auth-sessions"),
    path("sessions/<uuid:sid>", views.SessionDetailApi.as_view(), name="auth-session-detail"),
    path("password", views.PasswordApi.as_view(), name="auth-password"),
    path("me", views.MeApi.as_view(), name="auth-me"),
]
