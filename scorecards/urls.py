from django.urls import path

from . import policy_views, report_views, views

urlpatterns = [
    path("settings/sla/", policy_views.sla_settings, name="sla_settings"),
    path("settings/calendars/new/", policy_views.calendar_edit, name="calendar_new"),
    path("settings/calendars/<int:pk>/", policy_views.calendar_detail, name="calendar_detail"),
    path("settings/calendars/<int:pk>/edit/", policy_views.calendar_edit, name="calendar_edit"),
    path("settings/policies/new/", policy_views.policy_new, name="policy_new"),
    path("settings/policies/<int:pk>/", policy_views.policy_detail, name="policy_detail"),
    path(
        "settings/policies/<int:pk>/versions/new/",
        policy_views.policy_version_new,
        name="policy_version_new",
    ),
    path(
        "settings/policies/<int:pk>/default/",
        policy_views.policy_make_default,
        name="policy_make_default",
    ),
    path("alerts/", views.notifications, name="notifications"),
    path("alerts/read/", views.notifications_read, name="notifications_read"),
    path("attainment/", report_views.attainment, name="attainment"),
    path("attainment/table.csv", report_views.attainment_csv, name="attainment_csv"),
    path(
        "attainment/clocks.csv",
        report_views.attainment_clocks_csv,
        name="attainment_clocks_csv",
    ),
]
