"""Users, and the API tokens REST clients authenticate with.

Task groups are plain ``django.contrib.auth`` groups. An inbox admin is a user holding the
permission ``inbox.administer_tasks`` (superusers implicitly).
"""

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

ADMIN_PERMISSION = "inbox.administer_tasks"
TOKEN_PREFIX = "inbox_"


class User(AbstractUser):
    email = models.EmailField("email address", blank=True, db_index=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="IANA time zone (e.g. Europe/Berlin) times are shown in; blank: the browser's.",
    )

    @property
    def is_inbox_admin(self) -> bool:
        """Active, and a superuser or holding ``inbox.administer_tasks`` (directly or through a
        group). Read with the group ids in one query, once per request-scoped instance."""
        if not self.is_active:
            return False
        if getattr(self, "_is_inbox_admin", None) is None:
            self.load_permission_facts()
        return self._is_inbox_admin

    def group_ids(self) -> list[int]:
        """The ids of this user's groups, read with the admin flag in one query, once per
        request-scoped instance."""
        if getattr(self, "_group_ids", None) is None:
            self.load_permission_facts()
        return self._group_ids

    def load_permission_facts(self) -> None:
        """One query for both permission facts of the request: the admin flag and the group ids
        (the user row, left-joined to its groups, with an ``EXISTS`` for the permission). Facts
        already cached on this instance are kept; a fresh instance (every request has one)
        reads them again, so a change of groups or permissions shows on the next request."""
        if self.pk is None:
            self._is_inbox_admin, self._group_ids = False, []
            return
        from django.contrib.auth.models import Permission

        app_label, codename = ADMIN_PERMISSION.split(".")
        granted = Permission.objects.filter(
            codename=codename, content_type__app_label=app_label
        ).filter(models.Q(user=models.OuterRef("pk")) | models.Q(group__user=models.OuterRef("pk")))
        rows = list(
            User.objects.filter(pk=self.pk)
            .annotate(admin_granted=models.Exists(granted))
            .values_list("admin_granted", "groups__id")
        )
        admin = self.is_superuser or any(granted for granted, _ in rows)
        if getattr(self, "_is_inbox_admin", None) is None:
            self._is_inbox_admin = admin
        if getattr(self, "_group_ids", None) is None:
            self._group_ids = [group_id for _, group_id in rows if group_id is not None]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for REST clients; only its SHA-256 digest is stored.

    ``scope``: ``full`` acts as its user; ``read`` only reads; ``create`` reads and creates
    tasks in ``groups`` (no admin rights needed). A token past ``expires_at`` is refused.
    """

    class Scope(models.TextChoices):
        FULL = "full", "Full (everything its user may do)"
        READ = "read", "Read-only"
        CREATE = "create", "Create tasks in given groups"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise a token.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.FULL)
    groups = models.ManyToManyField(
        "auth.Group", blank=True, related_name="+", help_text="Where a create token may create."
    )
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )
