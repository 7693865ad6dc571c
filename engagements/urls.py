from django.urls import path

from . import policy_views, request_views, search_views, sponsor_views, views

urlpatterns = [
    path("", views.my_work, name="my_work"),
    path("cdmos/", views.cdmo_list, name="cdmo_list"),
    path("cdmos/new/", views.cdmo_edit, name="cdmo_new"),
    path("cdmos/<int:pk>/", views.cdmo_detail, name="cdmo_detail"),
    path("cdmos/<int:pk>/timeline/", views.cdmo_timeline, name="cdmo_timeline"),
    path("cdmos/<int:pk>/edit/", views.cdmo_edit, name="cdmo_edit"),
    path("cdmos/<int:cdmo_pk>/sites/new/", views.site_edit, name="site_new"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("cdmos/<int:cdmo_pk>/contacts/new/", views.contact_edit, name="contact_new"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_edit, name="project_new"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("communications/<int:pk>/edit/", views.communication_edit, name="communication_edit"),
    path(
        "communications/<int:pk>/delete/", views.communication_delete, name="communication_delete"
    ),
    path("requests/", request_views.request_list, name="request_list"),
    path("requests/<int:pk>/", request_views.request_detail, name="request_detail"),
    path("requests/<int:pk>/<slug:action>/", request_views.request_action, name="request_action"),
    path("history/<slug:model>/<int:pk>/", views.history, name="history"),
    path("search/", search_views.search, name="search"),
    path("security/", sponsor_views.sponsor_security, name="sponsor_security"),
    path("members/", sponsor_views.member_list, name="member_list"),
    path("members/<int:pk>/role/", sponsor_views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", sponsor_views.member_remove, name="member_remove"),
    path(
        "members/invitations/<int:pk>/resend/",
        sponsor_views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "members/invitations/<int:pk>/withdraw/",
        sponsor_views.invitation_revoke,
        name="invitation_revoke",
    ),
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
]
