"""Django admin for platform staff; every change goes through the same audit trail."""

from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from scorecards.api import facts_changed

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


class RecomputingAdmin(SimpleHistoryAdmin):
    """An admin whose saves and deletes tell scorecards which requests' clocks changed, in the
    same transaction as the write, like every other write path (issue 18, item 8)."""

    def affected(self, obj):
        """(project, requests) whose computed figures depend on `obj`."""
        raise NotImplementedError

    def _changed(self, objects):
        for obj in objects:
            project, requests = self.affected(obj)
            facts_changed(project=project, requests=requests)

    def save_related(self, request, form, formsets, change):
        before = self.affected(form.instance)[1] if change else []
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            project, after = self.affected(form.instance)
            facts_changed(project=project, requests={*before, *after})

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._changed([obj])
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            self._changed(list(queryset))
            super().delete_queryset(request, queryset)


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
class RequestAdmin(RecomputingAdmin):
    list_display = ["title", "project", "status", "opened_at"]
    list_filter = ["status", "priority"]

    def affected(self, obj):
        return None, [obj] if obj.pk else []


@admin.register(Communication)
class CommunicationAdmin(RecomputingAdmin):
    list_display = ["subject", "project", "direction", "channel", "occurred_at"]
    list_filter = ["direction", "channel"]
    raw_id_fields = ["project", "participants", "requests", "logged_by"]

    def affected(self, obj):
        requests = list(obj.requests.all()) if obj.pk else []
        return obj.project, requests


@admin.register(SponsorSecurityPolicy)
class SponsorSecurityPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["sponsor", "require_two_factor", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
