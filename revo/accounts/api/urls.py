from django.urls import path

from revo.accounts.api import views

auth_urlpatterns = [
    path("auth/token", views.TokenObtainView.as_view(), name="auth-token"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me", views.MeView.as_view(), name="auth-me"),
]

users_urlpatterns = [
    path("users", views.UserListView.as_view(), name="user-list"),
    path("users/<int:pk>", views.UserDetailView.as_view(), name="user-detail"),
]
