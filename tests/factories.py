"""factory_boy factories. Tasks are created through the lifecycle, like everywhere else."""

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from inbox import lifecycle
from inbox.models import Source

DEFAULT_FIELDS = [
    {"name": "approved", "display_name": "Approved", "type": "BOOLEAN", "required": True},
    {"name": "amount", "display_name": "Amount", "type": "DOUBLE", "required": False},
    {"name": "count", "display_name": "Count", "type": "INTEGER", "required": False},
    {"name": "note", "display_name": "Note", "type": "STRING", "required": False},
]


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"group-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests-only")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*extracted)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"engine-{n}")
    kind = Source.Kind.LITTLEHORSE
    base_url = "http://127.0.0.1:9/"


class TaskFactory(factory.Factory):
    """Builds a task through ``lifecycle.task_create`` (importer-style: no actor)."""

    class Meta:
        model = dict

    title = factory.Sequence(lambda n: f"Task {n}")
    task_type = "approval"
    group = None
    user = None
    fields = factory.LazyFunction(lambda: [dict(f) for f in DEFAULT_FIELDS])
    context = factory.LazyFunction(dict)
    source = None
    external_id = None
    created_at = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return lifecycle.task_create(**kwargs)

    _build = _create
