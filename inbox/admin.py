"""Django admin for operators. Task state is read-only here: changes go through the lifecycle
(the inbox's own admin console), so the history stays honest."""

from django import forms
from django.contrib import admin

from inbox.models import Case, Comment, OutboxCommand, Source, Stage, TaskEvent, UserTask
from inbox.secrets import redact_text, redact_url, restore_url, source_secrets
from inbox.sources import credential_keys, merge_credentials


class SourceAdminForm(forms.ModelForm):
    """Credentials are write-only: the form shows which keys are set and takes new values in
    password inputs that never render what is stored. Blank keeps a value; "remove" drops it."""

    base_url = forms.URLField(required=False, assume_scheme="https")
    token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Bearer token of the engine's API. Blank keeps the stored one.",
    )
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Execution-strategy engine only (Strategy-Secret). Blank keeps the stored one.",
    )
    other_credential_name = forms.CharField(required=False, max_length=100)
    other_credential_value = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    remove_credentials = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Credentials to delete.",
    )
    # Poll budgets (inbox/sync/poller.py); blank keeps the stored value (or the default).
    poll_max_seconds = forms.IntegerField(
        required=False, min_value=1, max_value=3600, help_text="Wall-clock budget of one poll."
    )
    poll_max_pages = forms.IntegerField(
        required=False, min_value=1, max_value=100_000, help_text="Most pages one poll reads."
    )

    def _budget(self, name: str) -> int:
        value = self.cleaned_data.get(name)
        if value is None:
            stored = getattr(self.instance, name, None) if self.instance.pk else None
            value = stored or Source._meta.get_field(name).default
        return value

    def clean_poll_max_seconds(self):
        return self._budget("poll_max_seconds")

    def clean_poll_max_pages(self):
        return self._budget("poll_max_pages")

    class Meta:
        model = Source
        fields = ("name", "kind", "base_url", "enabled", "poll_interval", "watch", "mapping")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # userinfo shows as ***@; saving it back keeps the stored one
            self.initial["base_url"] = redact_url(self.instance.base_url)
        held = credential_keys(self.instance) if self.instance.pk else []
        self.fields["remove_credentials"].choices = [(k, k) for k in held]
        for key in ("token", "secret"):
            if key in held:
                self.fields[key].widget.attrs["placeholder"] = "set (type to replace)"

    def clean_base_url(self):
        url = self.cleaned_data.get("base_url") or ""
        return restore_url(url, self.instance.base_url if self.instance.pk else None)

    def clean(self):
        data = super().clean()
        name, value = data.get("other_credential_name"), data.get("other_credential_value")
        if bool(name) != bool(value):
            self.add_error(
                "other_credential_value" if name else "other_credential_name",
                "Give both a name and a value.",
            )
        return data

    def credential_changes(self) -> dict[str, str]:
        data = self.cleaned_data
        changes = {k: data[k] for k in ("token", "secret") if data.get(k)}
        if data.get("other_credential_name") and data.get("other_credential_value"):
            changes[data["other_credential_name"]] = data["other_credential_value"]
        for key in data.get("remove_credentials") or []:
            changes[key] = ""
        return changes

    def save(self, commit=True):
        source = super().save(commit=False)
        source.credentials = merge_credentials(
            self.instance.credentials if self.instance.pk else {}, self.credential_changes()
        )
        if commit:
            source.save()
            self._save_m2m()
        return source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceAdminForm
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
    readonly_fields = (
        "credentials_set",
        "last_success_at",
        "last_error_redacted",
        "last_error_at",
        "consecutive_failures",
    )
    fieldsets = (
        (None, {"fields": ("name", "kind", "base_url", "enabled", "poll_interval")}),
        (
            "Credentials (write-only)",
            {
                "fields": (
                    "credentials_set",
                    "token",
                    "secret",
                    ("other_credential_name", "other_credential_value"),
                    "remove_credentials",
                )
            },
        ),
        ("What to watch", {"fields": ("watch", "mapping")}),
        ("Poll budgets", {"fields": ("poll_max_seconds", "poll_max_pages")}),
        (
            "Health",
            {
                "fields": (
                    "last_success_at",
                    "last_error_redacted",
                    "last_error_at",
                    "consecutive_failures",
                )
            },
        ),
    )

    @admin.display(description="Last error")
    def last_error_redacted(self, obj):
        return redact_text(obj.last_error, source_secrets(obj)) if obj and obj.pk else ""

    def has_delete_permission(self, request, obj=None):
        """Delete sources from the console (Sources -> Delete) or the API: that retires their
        open tasks and keeps their history (tasks, cases and write-backs PROTECT them here)."""
        return False

    @admin.display(description="Credentials set")
    def credentials_set(self, obj):
        keys = credential_keys(obj) if obj and obj.pk else []
        return ", ".join(keys) or "none"


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
    readonly_fields = [f.name for f in OutboxCommand._meta.fields if f.name != "last_error"] + [
        "last_error_redacted"
    ]
    exclude = ("last_error",)

    @admin.display(description="Last error")
    def last_error_redacted(self, obj):
        return redact_text(obj.last_error, source_secrets(obj.source)) if obj and obj.pk else ""
