"""Django admin for operators. Task state is read-only here: changes go through the lifecycle
(the inbox's own admin console), so the history stays honest."""

from django.contrib import admin

from inbox.models import Case, Comment, OutboxCommand, Source, Stage, TaskEvent, UserTask


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "enabled",
        "poll_interval",
        "last_success_at",
        "consecutive_failures",
        "last_error_at",
    )
    list_filter = ("kind", "enabled")
    search_fields = ("name", "base_url")
    readonly_fields = ("last_success_at", "last_error", "last_error_at", "consecutive_failures")


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ("position", "name", "status", "started_at", "ended_at")
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("__str__", "source", "status", "upstream_status", "started_at", "ended_at")
    list_filter = ("status", "source")
    search_fields = ("external_id", "name", "process_key")
    inlines = [StageInline]


class EventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "actor_source", "data")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(UserTask)
class UserTaskAdmin(admin.ModelAdmin):
    list_display = ("title", "task_type", "status", "assignee", "group", "source", "created_at")
    list_filter = ("status", "source", "group")
    search_fields = ("title", "external_id", "wf_run_id")
    list_select_related = ("assignee", "group", "source")
    show_full_result_count = False
    inlines = [EventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(TaskEvent)
class TaskEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "task", "actor", "actor_source")
    list_filter = ("kind",)
    list_select_related = ("task", "actor", "actor_source")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("task", "author", "created_at", "edited_at", "deleted")
    readonly_fields = ("task", "author", "text", "created_at", "edited_at", "deleted")


@admin.register(OutboxCommand)
class OutboxCommandAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "source", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "action", "source")
    readonly_fields = [f.name for f in OutboxCommand._meta.fields]
