"""What the crowd and fault tests share: the PostgreSQL-only marks, members
with session tokens made without a login each, claims in bulk, small readers."""

import itertools
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.db import connection, connections, transaction
from django.utils import timezone

POSTGRES_ONLY_REASON = (
    "PostgreSQL only: these tests run gunicorn and Celery worker processes against the test database and "
    "race them; SQLite lets one writer in at a time, so the races cannot be staged there "
    "(run with DATABASE_URL=postgres://...)"
)


def on_postgresql() -> bool:
    """Read from the configured connection (no query needed): evaluated when the module is collected."""
    return connection.vendor == "postgresql"


def marks(*extra):
    """The module-level ``pytestmark`` of every test module here."""
    return [
        pytest.mark.skipif(not on_postgresql(), reason=POSTGRES_ONLY_REASON),
        pytest.mark.concurrency,
        pytest.mark.postgres,
        pytest.mark.django_db(transaction=True),
        *extra,
    ]


_batch = itertools.count(1)


def members(count, prefix="crowd"):
    """``count`` new members, inserted in one statement (their passwords unusable: they use tokens)."""
    user_model = get_user_model()
    batch = next(_batch)
    now = timezone.now()
    rows = []
    for i in range(count):
        member = user_model(
            username=f"{prefix}{batch}x{i}", email=f"{prefix}{batch}x{i}@example.com", date_joined=now - timedelta(30)
        )
        member.set_unusable_password()
        rows.append(member)
    return user_model.objects.bulk_create(rows)


def session_token(member) -> str:
    """An allauth app session token for ``member``, without a login request.

    allauth's app token is the key of a Django session (SessionTokenStrategy);
    ``authenticate_by_x_session_token`` loads that session and asks Django's
    ``get_user`` for its member, which reads these three keys, exactly as
    ``django.contrib.auth.login`` writes them."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = member._meta.pk.value_to_string(member)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = member.get_session_auth_hash()
    store.create()
    return store.session_key


def check_token(token, member):
    from allauth.headless.internal.sessionkit import authenticate_by_x_session_token

    found = authenticate_by_x_session_token(token)
    assert found is not None and found[0].pk == member.pk, "the hand-made session token does not authenticate"


def bulk_commitments(offer, buyers, quantity):
    """Active group-buy commitments as the claim service leaves them, inserted in bulk
    (thousands of members joined before the test starts), and the offer's count."""
    from community_commerce.models import Claim, Offer

    kind = offer.kind_class
    now = timezone.now()
    rows = [
        Claim(
            offer_id=offer.pk,
            buyer_id=b.pk,
            quantity=quantity,
            unit_price=kind.price_for_quantity(offer, (i + 1) * quantity),
            status=Claim.Status.ACTIVE,
            created_at=now,
        )
        for i, b in enumerate(buyers)
    ]
    Claim.objects.bulk_create(rows, batch_size=1000)
    Offer.objects.filter(pk=offer.pk).update(sold=quantity * len(buyers))
    offer.refresh_from_db()
    return rows


def wait_until(predicate, *, timeout, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def price_grid(terms) -> set[Decimal]:
    """Every price a Dutch auction can take: start, start - step, ... down to the floor."""
    start, floor, step = (Decimal(terms[k]) for k in ("start_price", "floor_price", "step"))
    prices, price = {floor}, start
    while price > floor:
        prices.add(price)
        price -= step
    return prices


def fresh(offer):
    from community_commerce.models import Offer

    return Offer.objects.get(pk=offer.pk)


def event_posts(offer, prefix) -> int:
    """Event lines of the offer's thread starting with ``prefix`` (e.g. "Group-buy succeeded")."""
    from forum.models import Post

    return Post.objects.filter(thread_id=offer.thread_id, kind=Post.Kind.EVENT, body__startswith=prefix).count()


def lock_waiters() -> int:
    """Sessions of the test database waiting for a lock another one holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@contextmanager
def offer_row_locked(offer_id):
    """Hold the offer's row lock from another connection (a slow transaction
    elsewhere), so claims that passed the gate wait in flight inside theirs."""
    from community_commerce.models import Offer

    held, release, failures = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                Offer.objects.select_for_update().get(pk=offer_id)
                held.set()
                release.wait(timeout=60)
        except Exception as exc:
            failures.append(exc)
        finally:
            held.set()
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(timeout=30)
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=60)
    assert not holder.is_alive() and failures == [], failures


class InBackground:
    """``crowd(...)`` in a thread of its own, while the test does something else."""

    def __init__(self, base, calls):
        from tests.concurrency.crowd import crowd

        self.answers = None
        self.thread = threading.Thread(target=lambda: setattr(self, "answers", crowd(base, calls)))
        self.thread.start()

    def join(self, timeout=120):
        self.thread.join(timeout=timeout)
        assert not self.thread.is_alive(), "the crowd did not finish"
        return self.answers
