from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import SponsorSecurityPolicy, User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Preferences", {"fields": ("time_zone",)}),)


@admin.register(SponsorSecurityPolicy)
class SponsorSecurityPolicyAdmin(admin.ModelAdmin):
    list_display = ["sponsor", "require_two_factor", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
