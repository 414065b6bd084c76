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


@pytest.mark.parametrize("path", ["/api/v1/me/orders", "/api/v1/me/claims", "/api/v1/offers", "/api/v1/threads"])
def test_a_list_whose_page_is_not_full_counts_without_a_count_query(path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = app_token("lister")
    client = Client()
    client.get(path, headers={"X-Session-Token": token})  # warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers={"X-Session-Token": token})
    assert response.status_code == 200
    assert response.json()["count"] == len(response.json()["items"])
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_a_full_page_still_counts_them_all():
    for _ in range(3):
        factories.offer("flash_sale")
    response = Client().get("/api/v1/offers?per_page=2")
    assert (len(response.json()["items"]), response.json()["count"]) == (2, 3)
    last = Client().get("/api/v1/offers?per_page=2&page=2").json()
    assert (len(last["items"]), last["count"]) == (1, 3)
    beyond = Client().get("/api/v1/offers?per_page=2&page=5").json()
    assert (beyond["items"], beyond["count"]) == ([], 3)
