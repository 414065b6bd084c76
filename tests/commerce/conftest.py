"""Fixtures of the deals-engine tests: a verified merchant with a thread in a
deals category, buyers, and a clock the tests can stop and move."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forum import messages
from forum.models import Notification, Post
from tests import factories


@pytest.fixture
def commerce_category(db):
    return factories.category("Deals", commerce_enabled=True)


@pytest.fixture
def merchant(db):
    """A verified merchant (``merchant.user`` is the member who sells)."""
    return factories.merchant(factories.user("seller"))


@pytest.fixture
def merchant_thread(merchant, commerce_category):
    return factories.commerce_thread(merchant, category_=commerce_category, title="Spring deals")


@pytest.fixture
def buyer(db):
    return factories.user("buyer")


@pytest.fixture
def buyers(db):
    return [factories.user(f"buyer{i}") for i in range(1, 4)]


class Clock:
    """The time ``django.utils.timezone.now()`` answers while the fixture is active."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def set(self, at):
        self.now = at

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Stops the clock (only the clock: no code of ours is replaced), so a test can
    stand exactly on a boundary such as ``ends_at`` or a Dutch-auction step."""
    stopped = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", stopped)
    return stopped


# --- small readers shared by the test modules ------------------------------------------------


def thread_events(thread):
    """The text of the event lines posted in a thread (or thread id), in English, oldest
    first. An event stores its msgid in ``body`` and its values in ``params`` (forum.messages)."""
    rows = (
        Post.objects.filter(thread_id=getattr(thread, "pk", thread), kind=Post.Kind.EVENT)
        .order_by("id")
        .values_list("body", "params")
    )
    return [messages.english(body, params) if params else body for body, params in rows]


def notes(member, kind=None):
    qs = Notification.objects.filter(recipient=member)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("id"))
