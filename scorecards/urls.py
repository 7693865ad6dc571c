from django.urls import path

from . import report_views, views

urlpatterns = [
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
