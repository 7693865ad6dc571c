from django.contrib import admin

from .models import ProjectActivity


@admin.register(ProjectActivity)
class ProjectActivityAdmin(admin.ModelAdmin):
    list_display = ["project", "last_contact_at", "communication_count", "is_stale", "computed_at"]
    readonly_fields = [f.name for f in ProjectActivity._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
