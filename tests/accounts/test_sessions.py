"""Browser sessions (``accounts.sessions``: Django's database sessions, read with a prepared
statement): a signed-in person stays signed in, and an expired or deleted session row signs
nobody in."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.factories import UserFactory


def test_a_session_signs_its_person_in_until_it_expires_or_is_deleted(client, db):
    user = UserFactory(username="dana")
    client.force_login(user)
    key = client.cookies["sessionid"].value
    page = client.get("/")
    assert page.status_code == 200
    assert b"dana" in page.content

    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    assert client.get("/").status_code == 302  # to the sign-in page

    client.force_login(user)
    assert client.get("/").status_code == 200
    Session.objects.filter(session_key=client.cookies["sessionid"].value).delete()
    assert client.get("/").status_code == 302
