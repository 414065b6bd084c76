"""A real Celery worker and beat (started with this run's settings module, the machina
site's) close a group-buy in a machina topic on schedule: the buyers' orders are made and
the close shows in the topic, in each reader's language. Nothing here calls a service to
close anything."""

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from community_commerce.adapters import get_adapter
from community_commerce.models import Notice, Offer, Order, ThreadEvent
from community_commerce.services import claim, post_offer
from tests.integration.conftest import SWEEP_SECONDS, wait_for

pytestmark = [pytest.mark.integration]


def test_the_worker_closes_a_group_buy_in_a_topic_and_the_close_shows_in_the_topic(
    machina, deals, grocer, start_worker, beat
):
    start_worker()
    topic = machina.thread(author=grocer, category_id=deals, title="Apples together")
    now = timezone.now()
    offer = post_offer.create_offer(
        user=grocer, thread_id=topic, kind="group_buy", title="Apple boxes", description="", currency="EUR",
        starts_at=now, ends_at=now + timedelta(seconds=SWEEP_SECONDS * 2 + 1), stock=None, per_user_limit=None,
        terms={"unit_price": "19.90", "min_quantity": 3, "tiers": [{"min_quantity": 4, "unit_price": "17.90"}]},
    )  # fmt: skip
    buyers = [machina.member(name) for name in ("ann", "ben")]
    for buyer in buyers:
        claim.claim(offer_id=offer.pk, buyer=buyer, quantity=2)

    closed = wait_for(lambda: Offer.objects.filter(pk=offer.pk, closed_at__isnull=False).first(),
                      timeout=SWEEP_SECONDS * 3 + 15, message="the close")  # fmt: skip
    assert (closed.status, closed.result_unit_price) == ("succeeded", Decimal("17.90"))
    assert sorted(Order.objects.filter(offer=offer).values_list("buyer__username", "total")) == [
        ("ann", Decimal("35.80")), ("ben", Decimal("35.80"))
    ]  # fmt: skip
    events = ThreadEvent.objects.filter(thread_id=topic, message__startswith="Group-buy succeeded")
    wait_for(events.exists, timeout=10, message="the topic's event")
    assert events.count() == 1
    wait_for(lambda: Notice.objects.filter(kind="offer_succeeded").count() == 2, timeout=10, message="the notices")

    url = get_adapter().thread_url(topic)
    english = unescape(Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode())
    chinese = unescape(Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(url).content.decode())
    assert "Group-buy succeeded: 4 units at 17.90 EUR" in english
    assert "团购成功：共 4 件，成交价 17.90 EUR" in chinese and "Group-buy succeeded" not in chinese
