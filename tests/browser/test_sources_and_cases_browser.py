"""In a real browser: an admin adds and edits a source (credentials never shown back) and opens
a Cloudflare step's output in place on the case page (simulators over HTTP)."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from inbox.models import Source, UserTask
from inbox.sync.poller import poll
from simulators.testing import simulators, simulators_session  # noqa: F401  (fixtures)
from tests.factories import UserFactory
from tests.sync.conftest import make_source  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
SECRET = "tok-browser-never-shown"


@pytest.fixture
def ada(transactional_db):
    admin = UserFactory(username="ada", first_name="Ada")
    admin.user_permissions.add(
        Permission.objects.get(codename="administer_tasks", content_type__app_label="inbox")
    )
    return admin


def test_admin_adds_then_edits_a_source_in_place(open_session, ada):
    session = open_session(ada)
    page = session.go("/console/sources/")
    page.click("text=Add source")
    form = page.locator("#source-form")
    form.locator("select[name=kind]").select_option("littlehorse")
    expect(form.locator("textarea[name=watch]")).to_contain_text("tenant")
    form.locator("input[name=name]").fill("lh-browser")
    form.locator("input[name=base_url]").fill("https://lh.example.com")
    form.locator("input[name=cred__token]").fill(SECRET)
    form.locator("button[type=submit]", has_text="Add source").click()
    expect(page.locator("#sources")).to_contain_text("lh-browser")
    expect(page.locator("#source-form")).to_have_count(0)
    assert Source.objects.get(name="lh-browser").credentials == {"token": SECRET}

    page.locator("#sources tr", has_text="lh-browser").locator("text=Edit").click()
    form = page.locator("#source-form")
    expect(form.locator("input[name=cred__token]")).to_have_value("")
    assert SECRET not in page.content()
    form.locator("input[name=poll_interval]").fill("0")
    form.locator("button[type=submit]", has_text="Save").click()
    expect(form.locator("#src-interval-error")).to_be_visible()
    form.locator("input[name=poll_interval]").fill("90")
    form.locator("button[type=submit]", has_text="Save").click()
    expect(page.locator("#source-form")).to_have_count(0)
    source = Source.objects.get(name="lh-browser")
    assert source.poll_interval == 90 and source.credentials == {"token": SECRET}


def test_show_output_loads_a_cloudflare_step_in_place(open_session, ada, make_source):  # noqa: F811
    source = make_source("cloudflare")
    assert poll(source.pk).status == "ok"
    case = UserTask.objects.filter(source=source, case__isnull=False).first().case
    session = open_session(ada)
    page = session.go(f"/cases/{case.pk}/")
    page.locator("text=Show output").first.click()
    output = page.locator("[data-step-output]").first
    expect(output).to_be_visible()
    expect(output.locator(".status")).to_have_text("Completed")
    assert page.url.endswith(f"/cases/{case.pk}/")
