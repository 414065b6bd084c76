"""Accounts through django-allauth's pages: sign up, log in by username or email, log out, reset."""

import pytest
from django.contrib.auth import get_user_model

from tests import factories as f

pytestmark = pytest.mark.django_db


def test_sign_up_then_log_out_and_in_by_username_and_by_email(client, mailoutbox):
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "email": "newbie@example.com", "password1": "s3cret-Pass!", "password2": "s3cret-Pass!"},
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="newbie").exists()
    assert any("newbie@example.com" in m.to for m in mailoutbox)  # verification email
    assert client.get("/").context["user"].is_authenticated

    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated

    client.post("/accounts/login/", {"login": "newbie", "password": "s3cret-Pass!"})
    assert client.get("/").context["user"].username == "newbie"
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"login": "newbie@example.com", "password": "s3cret-Pass!"})
    assert client.get("/").context["user"].username == "newbie"


def test_wrong_password_is_refused(client):
    f.user("carol")
    response = client.post("/accounts/login/", {"login": "carol", "password": "nope"})
    assert response.status_code == 200
    assert not client.get("/").context["user"].is_authenticated


def test_password_reset_sends_an_email_without_revealing_who_exists(client, mailoutbox):
    f.user("dave", email="dave@example.com")
    known = client.post("/accounts/password/reset/", {"email": "dave@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert mailoutbox[0].to == ["dave@example.com"]


def test_failed_logins_are_rate_limited_even_with_the_right_password(client):
    f.user("erin")
    for i in range(6):
        client.post("/accounts/login/", {"login": "erin", "password": f"wrong{i}"})
    response = client.post("/accounts/login/", {"login": "erin", "password": f.PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert not client.get("/").context["user"].is_authenticated
