from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import ApiToken, IdpGroupMapping, User
from accounts.selectors import with_sign_in_facts


@admin.register(User)
class InboxUserAdmin(UserAdmin):
    """The user list names how each person signs in, when they last did, and whether they have
    a second factor."""

    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "sign_in_method",
        "last_login",
        "second_factor",
    )

    def get_queryset(self, request):
        return with_sign_in_facts(super().get_queryset(request))

    @admin.display(description="Sign-in method")
    def sign_in_method(self, user):
        return user.sign_in_methods

    @admin.display(description="Second factor", boolean=True, ordering="has_second_factor")
    def second_factor(self, user):
        return user.has_second_factor


@admin.register(IdpGroupMapping)
class IdpGroupMappingAdmin(admin.ModelAdmin):
    list_display = ("idp_group", "provider", "group", "may_grant_admin")
    list_filter = ("provider", "may_grant_admin")
    search_fields = ("idp_group", "group__name")
    autocomplete_fields = ("group",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("digest", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        # A token's raw value is shown once at creation: use `manage.py create_api_token`.
        return False
