"""Case pages: the execution history, a Cloudflare step's output loaded on demand, and admins
starting instances from the Cases list. Engine parts run against the simulators over HTTP."""

import json

import pytest
from django.urls import reverse

from inbox.models import Case, Source, UserTask
from inbox.sync.poller import poll
from simulators.testing import simulators, simulators_session  # noqa: F401  (fixtures)
from tests.factories import SourceFactory, TaskFactory, UserFactory
from tests.sync.conftest import make_source, staff  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_history_is_a_readable_list_for_each_engine(client, member, group):
    rows = {
        Source.Kind.UIPATH: (
            [
                {
                    "element_id": "Event_1",
                    "name": "Review claim",
                    "type": "userTask",
                    "status": "Completed",
                    "started_at": "2026-01-05T10:00:00Z",
                    "ended_at": "2026-01-05T11:30:00Z",
                    "parent": "Stage_1",
                    "link": "https://cloud.uipath.com/x",
                }
            ],
            ["Review claim", "Human task", "Completed", "Within:", "Stage_1", "open in engine"],
        ),
        Source.Kind.DOCUSIGN: (
            [{"step": 2, "name": "Sign NDA", "status": "in_progress"}],
            ["Step 2: Sign NDA", "In progress"],
        ),
        Source.Kind.STRATEGY: (
            [
                {
                    "event": "ev-9",
                    "task": "charge-card",
                    "status": "DONE",
                    "date": "2026-02-01T09:00:00Z",
                    "last_step": "charged",
                }
            ],
            ["charge-card", "Done", "Last step:", "charged"],
        ),
    }
    client.force_login(member)
    for kind, (history, expected) in rows.items():
        base_url = "https://cloud.uipath.com/acme/prod" if kind == Source.Kind.UIPATH else None
        source = SourceFactory(
            name=f"h-{kind}", kind=kind, **({"base_url": base_url} if base_url else {})
        )
        case = Case.objects.create(source=source, external_id=f"x-{kind}", history=history)
        TaskFactory(group=group, source=source, case=case)
        body = client.get(reverse("inbox:case", args=[case.pk])).content.decode()
        assert "Execution history" in body
        for text in expected:
            assert text in body, (kind, text)
        assert "Show output" not in body
    # a simulated UiPath (on 127.0.0.1) links to the real vendor's site: no link is offered
    source = SourceFactory(name="h-sim", kind=Source.Kind.UIPATH)
    history = rows[Source.Kind.UIPATH][0]
    case = Case.objects.create(source=source, external_id="x-sim", history=history)
    TaskFactory(group=group, source=source, case=case)
    body = client.get(reverse("inbox:case", args=[case.pk])).content.decode()
    assert "Review claim" in body and "open in engine" not in body
    # the element ran within a stage the case lists: the stage's name, not its id
    from inbox.models import Stage

    Stage.objects.create(case=case, external_id="Stage_1", name="Claim review", position=0)
    body = client.get(reverse("inbox:case", args=[case.pk])).content.decode()
    assert "Within:</span> Claim review" in body and "Stage_1" not in body


@pytest.fixture
def cloudflare(make_source, staff):  # noqa: F811
    source = make_source("cloudflare")
    assert poll(source.pk).status == "ok"
    return source


def _cloudflare_case_and_viewer(source):
    task = UserTask.objects.filter(source=source, case__isnull=False, group__isnull=False).first()
    viewer = UserFactory(username="cf-viewer", groups=[task.group])
    return task.case, viewer


def test_cloudflare_steps_show_their_output_with_and_without_htmx(client, cloudflare):
    case, viewer = _cloudflare_case_and_viewer(cloudflare)
    step = next(h for h in case.history if h["type"] == "step")
    client.force_login(viewer)
    body = client.get(reverse("inbox:case", args=[case.pk])).content.decode()
    assert "Show output" in body and 'hx-target="#step-out-' in body
    url = reverse("inbox:case_step", args=[case.pk])
    response = client.get(url, {"name": step["name"], "type": "step"}, **HTMX)
    fragment = response.content.decode()
    assert response.status_code == 200 and "<html" not in fragment
    assert "data-step-output" in fragment and "complete" in fragment
    page = client.get(url, {"name": step["name"], "type": "step"})
    assert page.status_code == 200
    assert "<html" in page.content.decode() and "Back to the case" in page.content.decode()
    missing = client.get(url, {"name": "no such step"})
    assert missing.status_code == 404 and "No step" in missing.content.decode()
    assert client.get(url, {"name": "no such step"}, **HTMX).status_code == 200


def test_step_output_is_hidden_from_outsiders(client, cloudflare):
    case, _ = _cloudflare_case_and_viewer(cloudflare)
    client.force_login(UserFactory(username="cf-stranger"))
    url = reverse("inbox:case_step", args=[case.pk])
    assert client.get(url, {"name": "x"}).status_code == 404
    client.logout()
    assert client.get(url, {"name": "x"}).status_code == 302


# --- starting instances -------------------------------------------------------------------------


def test_start_form_is_for_admins_only(client, member, admin_client, make_source):  # noqa: F811
    source = make_source("cloudflare")
    body = admin_client.get(reverse("inbox:cases")).content.decode()
    assert "Start instance" in body and f'value="{source.pk}"' in body
    assert "&quot;workflow&quot;: &quot;approvals&quot;" in body
    client.force_login(member)
    assert "Start instance" not in client.get(reverse("inbox:cases")).content.decode()
    assert client.get(reverse("inbox:case_start")).status_code == 404
    response = client.post(reverse("inbox:case_start"), {"source": source.pk, "params": "{}"})
    assert response.status_code == 404


def test_the_example_follows_the_chosen_engine(admin_client, make_source):  # noqa: F811
    make_source("cloudflare")
    strategy = make_source("strategy")
    response = admin_client.get(reverse("inbox:case_start"), {"source": strategy.pk}, **HTMX)
    body = response.content.decode()
    assert "<html" not in body and "strategyId" in body and "subscription-billing" in body
    assert "<html" in admin_client.get(reverse("inbox:case_start")).content.decode()


def test_admin_starts_a_cloudflare_instance_without_js(admin_client, make_source):  # noqa: F811
    source = make_source("cloudflare")
    params = {"workflow": "approvals", "instance_id": "ui-order-7", "params": {"amount": 5}}
    response = admin_client.post(
        reverse("inbox:case_start"), {"source": source.pk, "params": json.dumps(params)}
    )
    case = Case.objects.get(source=source, external_id="ui-order-7")
    assert response.status_code == 302 and response["Location"] == reverse(
        "inbox:case", args=[case.pk]
    )
    page = admin_client.get(response["Location"]).content.decode()
    assert "Started ui-order-7" in page


def test_admin_starts_a_strategy_instance_with_htmx(admin_client, make_source):  # noqa: F811
    source = make_source("strategy")
    params = {
        "description": "Billing for Initech",
        "strategyId": "subscription-billing",
        "startDate": "2026-03-01T09:00:00Z",
        "attributes": {"customer": "Initech"},
    }
    response = admin_client.post(
        reverse("inbox:case_start"), {"source": source.pk, "params": json.dumps(params)}, **HTMX
    )
    assert response.status_code == 200, response.content
    case = Case.objects.filter(source=source).order_by("-pk").first()
    assert response["HX-Redirect"] == reverse("inbox:case", args=[case.pk])
    source.refresh_from_db()
    assert case.external_id in source.watch["instance_sids"]


def test_start_errors_show_inline(admin_client, make_source):  # noqa: F811
    source = make_source("cloudflare")
    url = reverse("inbox:case_start")
    response = admin_client.post(url, {"source": source.pk, "params": "{not json"})
    body = response.content.decode()
    assert response.status_code == 400 and "Not valid JSON" in body and "{not json" in body
    response = admin_client.post(url, {"source": source.pk, "params": "[1]"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "must be a JSON object" in body
    assert 'id="case-start"' in body and "<html" not in body
    response = admin_client.post(url, {"source": "999999", "params": "{}"}, **HTMX)
    assert "Choose a source" in response.content.decode()
    # The engine refuses a duplicate instance id: its message shows by the parameters.
    admin_client.post(url, {"source": source.pk, "params": '{"instance_id": "dup-1"}'})
    response = admin_client.post(url, {"source": source.pk, "params": '{"instance_id": "dup-1"}'})
    body = response.content.decode()
    assert response.status_code == 400 and "already exists" in body
    assert 'id="start-params-error"' in body
    assert Case.objects.filter(source=source, external_id="dup-1").count() == 1


def test_the_cloudflare_example_starts_a_case_whose_task_lands_in_a_group(
    admin_client,
    make_source,  # noqa: F811
):
    from inbox.views.cases import start_example
    from tests.factories import GroupFactory

    GroupFactory(name="finance")
    source = make_source("cloudflare")
    example = start_example(source)
    response = admin_client.post(
        reverse("inbox:case_start"), {"source": source.pk, "params": json.dumps(example)}
    )
    assert response.status_code == 302
    case = Case.objects.filter(source=source).order_by("-pk").first()
    assert poll(source.pk, force=True).status == "ok"
    task = UserTask.objects.get(case=case)
    assert task.group is not None and task.group.name == "finance"
    assert task.title == "Approve purchase order for Globex"
    # an instance started without a title gets one in words, not "approvals: manager-approval"
    bare = {"workflow": "approvals", "instance_id": "no-title-1", "params": {"amount": 5}}
    admin_client.post(
        reverse("inbox:case_start"), {"source": source.pk, "params": json.dumps(bare)}
    )
    assert poll(source.pk, force=True).status == "ok"
    untitled = UserTask.objects.get(case__external_id="no-title-1")
    assert untitled.title.endswith(" (Approvals)") and ":" not in untitled.title
