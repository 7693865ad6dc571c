"""Django admin for platform staff; every change goes through the same audit trail."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    CDMO,
    Communication,
    Contact,
    Membership,
    Project,
    Request,
    Site,
    Sponsor,
    SponsorSecurityPolicy,
)


@admin.register(Sponsor)
class SponsorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "sponsor", "role"]
    list_filter = ["sponsor", "role"]


@admin.register(CDMO)
class CDMOAdmin(SimpleHistoryAdmin):
    list_display = ["name", "sponsor", "status"]
    list_filter = ["sponsor", "status"]


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin):
    list_display = ["name", "cdmo", "country", "time_zone"]


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ["name", "cdmo", "title", "email"]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "cdmo", "status", "owner"]
    list_filter = ["sponsor", "status"]


@admin.register(Request)
class RequestAdmin(SimpleHistoryAdmin):
    list_display = ["title", "project", "status", "opened_at"]
    list_filter = ["status", "priority"]


@admin.register(Communication)
class CommunicationAdmin(SimpleHistoryAdmin):
    list_display = ["subject", "project", "direction", "channel", "occurred_at"]
    list_filter = ["direction", "channel"]
    raw_id_fields = ["project", "participants", "requests", "logged_by"]


@admin.register(SponsorSecurityPolicy)
class SponsorSecurityPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["sponsor", "require_two_factor", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
