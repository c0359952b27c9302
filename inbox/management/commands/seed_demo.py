"""Demo data: groups, an admin and staff users (passwords printed), two dozen local tasks.

Idempotent: users, groups and tasks that exist are left as they are.
"""

from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox import lifecycle
from inbox.models import UserTask

GROUPS = ("finance", "support", "legal")
STAFF = {
    # The same people the simulated engines name in their tasks (simulators/data.py PEOPLE).
    "alice": ("Alice", "Martin", ("finance", "support")),
    "bob": ("Bob", "Chen", ("finance",)),
    "carol": ("Carol", "Diaz", ("support", "legal")),
}
TASK_TYPES = {
    "expense-approval": (
        "finance",
        [
            {"name": "approved", "display_name": "Approve?", "type": "BOOLEAN", "required": True},
            {
                "name": "amount",
                "display_name": "Approved amount (EUR)",
                "type": "DOUBLE",
                "required": True,
                "description": "May be lower than requested.",
            },
            {"name": "comment", "display_name": "Comment", "type": "STRING", "required": False},
        ],
        [
            "Travel to Lisbon",
            "Team offsite catering",
            "New laptops",
            "Conference tickets",
            "Client dinner",
            "Software licences",
            "Office chairs",
            "Taxi receipts",
        ],
    ),
    "support-escalation": (
        "support",
        [
            {
                "name": "resolution",
                "display_name": "Resolution",
                "type": "STRING",
                "required": True,
                "description": "What was done for the customer.",
            },
            {
                "name": "minutes_spent",
                "display_name": "Minutes spent",
                "type": "INTEGER",
                "required": True,
            },
            {
                "name": "refund",
                "display_name": "Refund issued",
                "type": "BOOLEAN",
                "required": False,
            },
        ],
        [
            "Order #4411 never arrived",
            "Double charge on card",
            "Cannot reset password",
            "Damaged parcel",
            "Wrong size delivered",
            "Invoice address change",
            "Account locked",
            "Subscription cancel request",
        ],
    ),
    "contract-review": (
        "legal",
        [
            {
                "name": "approved",
                "display_name": "Approve contract",
                "type": "BOOLEAN",
                "required": True,
            },
            {
                "name": "risk_score",
                "display_name": "Risk score (1-5)",
                "type": "INTEGER",
                "required": True,
            },
            {"name": "notes", "display_name": "Notes", "type": "STRING", "required": False},
        ],
        [
            "NDA with Globex",
            "Supplier agreement ACME",
            "Office lease renewal",
            "Data processing addendum",
            "Reseller contract Initech",
            "Consulting SOW Q3",
            "Licence audit reply",
            "Partnership MoU",
        ],
    ),
}


def demo_password(username: str) -> str:
    return f"inbox-{username}-demo"


class Command(BaseCommand):
    help = "Create demo groups, users (printing their passwords) and tasks. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in GROUPS}
        admin_perm = Permission.objects.get(
            codename="administer_tasks", content_type__app_label="inbox"
        )
        users = {}
        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={
                "email": "admin@example.com",
                "first_name": "Ada",
                "last_name": "Admin",
                "is_staff": True,
                "is_superuser": True,
            },
        )
        if created:
            admin.set_password(demo_password("admin"))
            admin.save()
        admin.user_permissions.add(admin_perm)
        users["admin"] = admin
        for username, (first, last, member_of) in STAFF.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@example.com",
                    "first_name": first,
                    "last_name": last,
                },
            )
            if created:
                user.set_password(demo_password(username))
                user.save()
            user.groups.add(*(groups[g] for g in member_of))
            users[username] = user

        created_tasks = self._seed_tasks(users, groups)
        self.stdout.write(f"Demo tasks created: {created_tasks}")
        self.stdout.write("Demo users (username / password):")
        for username in ("admin", *STAFF):
            role = "inbox admin" if username == "admin" else ", ".join(STAFF[username][2])
            self.stdout.write(f"  {username:<6} / {demo_password(username):<18} ({role})")

    def _seed_tasks(self, users, groups) -> int:
        now = timezone.now()
        created = 0
        index = 0
        for task_type, (group, fields, titles) in TASK_TYPES.items():
            for n, title in enumerate(titles):
                index += 1
                external_id = f"demo-{task_type}-{n}"
                if UserTask.objects.filter(external_id=external_id).exists():
                    continue
                task = lifecycle.task_create(
                    actor=users["admin"],
                    external_id=external_id,
                    title=title,
                    task_type=task_type,
                    group=groups[group],
                    fields=fields,
                    priority=n % 3,
                    due_at=now + timedelta(days=(n % 5) - 1),
                    description=f"Demo {task_type.replace('-', ' ')}: {title}.",
                    context={
                        "customer": ["Globex", "Initech", "Umbrella"][n % 3],
                        "region": ["EU", "US"][n % 2],
                        "ticket": 1000 + index,
                    },
                    created_at=now - timedelta(hours=48 - index),
                )
                created += 1
                self._advance(task, n, users, group)
        return created

    def _advance(self, task, n, users, group):
        """Spread the demo tasks across states: some claimed, some done, one cancelled."""
        member = {"finance": users["bob"], "support": users["carol"], "legal": users["carol"]}[
            group
        ]
        if n in (0, 1, 2):
            return
        lifecycle.task_claim(task_id=task.id, user=member)
        if n == 4:
            results = {f["name"]: _sample(f["type"]) for f in task.fields if f["required"]}
            lifecycle.task_complete(task_id=task.id, user=member, results=results)
        elif n == 5:
            lifecycle.task_cancel(task_id=task.id, user=member, message="Duplicate request")
        elif n >= 6:
            lifecycle.task_release(task_id=task.id, user=member)


def _sample(field_type):
    return {"BOOLEAN": True, "DOUBLE": 120.5, "INTEGER": 3, "STRING": "Handled"}[field_type]
