from django.contrib import admin

from .models import EmailDelivery, ProjectActivity


@admin.register(ProjectActivity)
class ProjectActivityAdmin(admin.ModelAdmin):
    list_display = ["project", "last_contact_at", "communication_count", "is_stale", "computed_at"]
    readonly_fields = [f.name for f in ProjectActivity._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    """Read-only: what the sweep sent, is retrying, or gave up on, and why."""

    list_display = ["to", "state", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in EmailDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
