"""Flood control under a race: posts sent at the same moment by one member.

Before the posting clock, eight posts sent at once by a new member all read "no
recent post" and five to seven of them went in. Now one passes, the rest get 429.
"""

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from forum.errors import FloodControl
from forum.models import Post, Thread
from forum.services import posting
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

CROWD = 8


@pytest.fixture
def flood_on(settings):
    settings.FORUM_FLOOD_SECONDS = 10
    settings.FORUM_NEW_MEMBER_FLOOD_SECONDS = 60
    settings.FORUM_NEW_MEMBER_DAYS = 2


def at_once(action, count=CROWD):
    """Run ``action`` in ``count`` threads released together; return what each returned or raised."""
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait()
        try:
            return action(i)
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_eight_replies_at_once_let_one_in(flood_on):
    thread = factories.thread()
    member = factories.user(joined_days_ago=0)
    results = at_once(lambda i: posting.reply(author=member, thread=thread, body=f"reply {i}"))
    assert sum(isinstance(r, Post) for r in results) == 1, results
    assert sum(isinstance(r, FloodControl) for r in results) == CROWD - 1, results
    assert Post.objects.filter(author=member).count() == 1


def test_eight_new_threads_at_once_let_one_in(flood_on):
    category = factories.category()
    member = factories.user(joined_days_ago=0)
    results = at_once(
        lambda i: posting.start_thread(author=member, category=category, title=f"Thread {i}", body="hello")
    )
    assert sum(isinstance(r, Thread) for r in results) == 1, results
    assert Thread.objects.filter(author=member).count() == 1


def test_the_api_answers_one_201_and_seven_429(flood_on, live_server):
    """The same race through HTTP, as the outsider ran it: a new member's token, eight posts."""
    category = factories.category(slug="chat")
    thread = factories.thread(category_=category)
    factories.user("newbie", joined_days_ago=0)
    token = _login(live_server.url, "newbie")

    def send(path, body):
        request = urllib.request.Request(
            live_server.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-Session-Token": token},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    replies = at_once(lambda i: send(f"/api/v1/threads/{thread.pk}/posts", {"body": f"reply {i}"}))
    assert sorted(replies) == [201] + [429] * (CROWD - 1)
    Post.objects.filter(author__username="newbie").delete()
    from forum.models import PostingClock

    PostingClock.objects.filter(user__username="newbie").delete()
    threads = at_once(lambda i: send("/api/v1/threads", {"category": "chat", "title": f"New {i}", "body": "x"}))
    assert sorted(threads) == [201] + [429] * (CROWD - 1)


def _login(base, username):
    request = urllib.request.Request(
        base + "/_allauth/app/v1/auth/login",
        data=json.dumps({"username": username, "password": factories.PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["meta"]["session_token"]
