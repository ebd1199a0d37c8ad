"""Routes are data, edited by operations in the admin (docs/architecture.md); the form refuses a
rail with no adapter (``Route.clean``), so no worker meets one."""

from django.contrib import admin

from rails.models import Route


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ("country", "currency", "method_type", "rail", "priority", "speeds", "is_active")
    list_filter = ("rail", "is_active", "method_type")
    list_editable = ("priority", "is_active")
