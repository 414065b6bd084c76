"""What every authenticated API call pays before its own work: one Redis read for the
app's session (allauth's stock strategy made two), and no new redis-py client per
cache call."""

import pytest
import redis
from django.core.cache import cache
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_commands(monkeypatch):
    sent = []
    original = redis.Redis.execute_command

    def spy(self, *args, **options):
        sent.append(str(args[0]).upper())
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", spy)
    return sent


def app_token(username):
    factories.user(username)
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        {"username": username, "password": factories.PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def test_an_app_call_reads_its_session_once(redis_commands):
    token = app_token("app-user")
    client = Client()
    assert client.get("/api/v1/me/orders", headers={"X-Session-Token": token}).status_code == 200  # warm
    redis_commands.clear()
    response = client.get("/api/v1/me/orders", headers={"X-Session-Token": token})
    assert response.status_code == 200
    assert redis_commands == ["GET"]


def test_an_unknown_or_ended_session_token_is_not_a_member():
    token = app_token("leaver")
    client = Client()
    headers = {"X-Session-Token": token}
    assert client.get("/api/v1/me/orders", headers=headers).status_code == 200
    assert Client().delete("/_allauth/app/v1/auth/session", headers=headers).status_code in (200, 401)
    assert client.get("/api/v1/me/orders", headers=headers).status_code == 401
    assert client.get("/api/v1/me/orders", headers={"X-Session-Token": "no-such-session"}).status_code == 401


def test_the_cache_keeps_one_redis_client_per_connection_pool():
    backend = cache._cache
    assert backend.get_client(write=True) is backend.get_client(write=True)
    cache.set("reused-client", 1)
    assert cache.get("reused-client") == 1
