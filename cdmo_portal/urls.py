from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from engagements import sponsor_views
from engagements import views as engagement_views

urlpatterns = [
    path("", engagement_views.home, name="home"),
    path("s/<slug:sponsor_slug>/", include("engagements.urls")),
    path("s/<slug:sponsor_slug>/", include("scorecards.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/preferences/", account_views.preferences, name="preferences"),
    path("accounts/two-factor/", account_views.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/code/", account_views.two_factor_verify, name="two_factor_verify"),
    path(
        "accounts/two-factor/turn-off/",
        account_views.two_factor_disable,
        name="two_factor_disable",
    ),
    path(
        "accounts/invitation/",
        sponsor_views.invitation_accept,
        name="invitation_accept",
    ),
    path("admin/", admin.site.urls),
]

handler403 = "cdmo_portal.errors.forbidden"
handler500 = "cdmo_portal.errors.server_error"
