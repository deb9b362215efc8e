"""Platform operator's admin registrations (the site itself: studio/admin_site.py)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from studio.models import AuditLog, Client, Location, Role, StaffMember, Studio, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name", "language"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    list_filter = ["is_staff", "is_active"]
    filter_horizontal: list[str] = []


@admin.register(Studio)
class StudioAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "country", "created_at"]
    search_fields = ["name", "slug"]


class TenantAdmin(admin.ModelAdmin):
    list_filter = ["studio"]
    list_select_related = ["studio"]


@admin.register(Location)
class LocationAdmin(TenantAdmin):
    list_display = ["name", "studio", "city", "time_zone", "is_home_location", "archived_at"]


@admin.register(StaffMember)
class StaffMemberAdmin(TenantAdmin):
    list_display = ["display_name", "studio", "role", "is_active"]
    raw_id_fields = ["user", "role"]


@admin.register(Role)
class RoleAdmin(TenantAdmin):
    list_display = ["name", "studio", "kind"]


@admin.register(Client)
class ClientAdmin(TenantAdmin):
    list_display = ["last_name", "first_name", "studio", "email"]
    search_fields = ["last_name", "email"]
    raw_id_fields = ["user", "home_location"]


@admin.register(AuditLog)
class AuditLogAdmin(TenantAdmin):
    list_display = ["created_at", "studio", "actor", "action", "object_repr"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
