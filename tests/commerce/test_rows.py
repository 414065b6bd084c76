"""rows.insert writes what the ORM's save() would, for the claim's hot path."""

from decimal import Decimal

import pytest
from django.utils import timezone

from community_commerce import rows
from community_commerce.models import Claim, Order, OrderEvent
from community_commerce.services.orders import build_order
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_inserted_claim_order_and_event_read_back_as_written():
    offer = factories.offer("flash_sale", currency="BHD", terms={"unit_price": "1.250"})
    buyer = factories.user()
    now = timezone.now()
    claim = rows.insert(
        Claim(offer_id=offer.pk, buyer=buyer, quantity=3, unit_price=Decimal("1.250"), status="ordered", created_at=now)
    )
    assert claim.pk and not claim._state.adding
    order = rows.insert(
        build_order(claim_id=claim.pk, buyer_id=buyer.pk, quantity=3, offer=offer, unit_price=Decimal("1.250"), now=now)
    )
    event = rows.insert(OrderEvent(order=order, at=now, actor_id=buyer.pk, to_status=order.status, reason="claimed"))

    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.quantity, stored.unit_price, stored.status, stored.created_at) == (
        3,
        Decimal("1.250"),
        "ordered",
        now,
    )
    assert stored.idempotency_key is None and stored.notified_at is None
    saved = Order.objects.get(pk=order.pk)
    assert (saved.number, saved.total, saved.currency, saved.claim_id) == (
        order.number,
        Decimal("3.750"),
        "BHD",
        claim.pk,
    )
    assert saved.created_at == now and saved.status == Order.Status.PENDING_PAYMENT
    assert OrderEvent.objects.get(pk=event.pk).reason == "claimed"


def test_the_database_constraints_still_hold():
    from django.db import IntegrityError, transaction

    offer = factories.offer("flash_sale")
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert(Claim(offer_id=offer.pk, buyer=factories.user(), quantity=0, unit_price=Decimal("1.00")))


def test_insert_many_writes_each_row_in_one_statement_and_gives_each_its_own_key():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    offer = factories.offer("team_buy")
    buyers = [factories.user() for _ in range(3)]
    now = timezone.now()
    claims = [
        Claim(offer_id=offer.pk, buyer=b, quantity=n + 1, unit_price=Decimal("2.00"), status="ordered", created_at=now)
        for n, b in enumerate(buyers)
    ]
    with CaptureQueriesContext(connection) as queries:
        written = rows.insert_many(claims)
    assert len(queries) == 1 and queries[0]["sql"].startswith("INSERT")
    assert written == claims and len({c.pk for c in claims}) == 3
    assert [(c.buyer_id, c.quantity) for c in Claim.objects.filter(pk__in=[c.pk for c in claims]).order_by("pk")] == [
        (b.pk, n + 1) for n, b in enumerate(buyers)
    ]
    assert all(not c._state.adding for c in claims)
    assert rows.insert_many([]) == []


def test_among_selects_exactly_the_rows_of_the_ids_given():
    from django.db import connection

    offer = factories.offer("flash_sale")
    buyers = [factories.user() for _ in range(4)]
    now = timezone.now()
    made = rows.insert_many(
        [Claim(offer_id=offer.pk, buyer=b, quantity=1, unit_price=Decimal("1"), created_at=now) for b in buyers]
    )
    where, params = rows.among("id", [made[0].pk, made[2].pk])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Claim._meta.db_table} WHERE {where} ORDER BY id", params)
        assert [row[0] for row in cursor.fetchall()] == [made[0].pk, made[2].pk]
