"""Browser sessions (``accounts.sessions``: Django's database sessions, read with a prepared
statement): a signed-in person stays signed in, and an expired or deleted session row signs
nobody in."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts import sessions
from accounts.models import User
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


def test_the_person_is_read_fresh_with_the_session_on_every_request(client, db):
    """From a session's second request on, its user's row is read in the same round trip as
    the session: still as the row is now (a rename shows, a password changed elsewhere signs
    the session out)."""
    user = UserFactory(username="erin")
    client.force_login(user)
    assert b"erin" in client.get("/").content
    User.objects.filter(pk=user.pk).update(username="erin-renamed")
    assert b"erin-renamed" in client.get("/").content
    user.refresh_from_db()
    user.set_password("another-long-secret-42")
    user.save()
    assert client.get("/").status_code == 302  # to the sign-in page


def test_a_wrong_guess_of_the_sessions_user_never_signs_in_someone_else(client, db):
    dana = UserFactory(username="dana")
    UserFactory(username="mallory")
    client.force_login(dana)
    key = client.cookies["sessionid"].value
    assert b"dana" in client.get("/").content
    mallory = User.objects.get(username="mallory")
    sessions._USER_OF_SESSION[key] = str(mallory.pk)  # a stale guess for this key
    page = client.get("/")
    assert page.status_code == 200
    assert b"dana" in page.content and b"mallory" not in page.content
    assert sessions._USER_OF_SESSION[key] == str(dana.pk)  # and the guess is put right
