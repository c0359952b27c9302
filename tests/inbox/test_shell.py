"""The page shell: the header built in Python ({% shell_header %}) and the {% once %} block."""

import re

import pytest
from django.core.cache import cache
from django.template import Context, Template

from inbox.views.nav import nav_for
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def header(body: str) -> str:
    found = re.search(r'<header class="shell-top">.*?</header>', body, re.S)
    assert found, body[:500]
    return found.group(0)


def test_the_header_marks_the_current_page_and_shows_staff_their_links(client, member):
    client.force_login(member)
    top = header(client.get("/claimable/").content.decode())
    assert '<a href="/claimable/" aria-current="page">Claimable ' in top
    assert '<a href="/" >My tasks ' in top  # not current: the space the template always wrote
    assert '<a href="/console/dashboard/" >Team</a>' in top  # in a group: the team dashboard
    assert "All tasks" not in top and '<span class="tag">admin</span>' not in top
    assert '<span class="avatar" aria-hidden="true">B</span>' in top
    # counts not cached: empty placeholders and the loader, which names the page's counts
    assert 'data-nav-count="claimable"></span>' in top
    assert re.search(
        r'<span hidden data-nav-loader hx-get="/nav/counts/\?[^"]*list=claimable"', top
    )
    assert '<input type="hidden" name="csrfmiddlewaretoken" value="' in top


def test_the_header_shows_admins_their_links_and_counts_once_cached(client, admin):
    client.force_login(admin)
    nav_for(admin, compute=True)
    top = header(client.get("/console/tasks/").content.decode())
    assert '<a href="/console/tasks/" aria-current="page">All tasks</a>' in top
    assert '<a href="/console/outbox/" >Outbox</a>' in top
    assert "Team</a>" not in top and '<span class="tag">admin</span>' in top
    assert 'data-nav-count="mine">0</span>' in top and "data-nav-loader" not in top


def test_the_header_escapes_what_users_type(client, group):
    user = UserFactory(
        username="zoe",
        first_name='Zoë <b>&"',
        last_name="O'Neil",
        email="z'o@example.com",
        groups=[group],
        time_zone="Europe/Berlin",
    )
    client.force_login(user)
    top = header(client.get("/").content.decode())
    assert '<span class="who" title="z&#x27;o@example.com">' in top
    assert '<span class="who-name">Zoë &lt;b&gt;&amp;&quot; O&#x27;Neil</span>' in top
    assert "data-time-zone>Europe/Berlin</a>" in top


def test_no_header_for_anonymous_pages(client, db):
    body = client.get("/accounts/login/").content.decode()
    assert 'class="shell-top"' not in body and "data-help-open" not in body


def test_a_once_block_renders_once_per_process_and_sees_no_request_values(settings):
    template = Template(
        "{% load static inbox_shell %}{% once %}[{{ secret }}]{% static 'a.css' %}{% endonce %}"
    )
    assert template.render(Context({"secret": "alice's"})) == "[]/static/a.css"
    settings.STATIC_URL = "/assets/"  # a setting changed: rendered again
    assert template.render(Context({"secret": "bob's"})) == "[]/assets/a.css"
