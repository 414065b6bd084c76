"""Many orders with their commission entries, written in bulk (the settlement fault test and
the benchmarks): claims, orders, their "completed" events and the forum's pending CPS entry
each, spread over channels, as the site would have written them one by one."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from community_commerce.models import Claim, CommissionEntry, Order, OrderEvent
from community_commerce.services import orders as order_service

BATCH = 5000


def bulk_orders(*, offer, buyers, count, channels=("forum",), completed_days_ago=30, status="completed", entries=True):
    """``count`` orders of ``offer`` (one unit each, buyers taken in turn), completed
    ``completed_days_ago`` days ago, each with the forum's 5% CPS entry, pending."""
    now = timezone.now()
    at = now - timedelta(days=completed_days_ago)
    price = Decimal(offer.terms.get("unit_price", "10.00"))
    claims = [
        Claim(offer=offer, buyer=buyers[i % len(buyers)], quantity=1, unit_price=price, status="ordered",
              channel=channels[i % len(channels)], created_at=at, ended_at=at)
        for i in range(count)
    ]  # fmt: skip
    Claim.objects.bulk_create(claims, batch_size=BATCH)
    numbers = order_service.new_numbers(c.pk for c in claims)
    cps = (price * 5 / 100).quantize(Decimal("0.01"))  # the forum's entry, which the order's owed sum follows
    made = [
        Order(number=numbers[i], offer=offer, claim=c, buyer_id=c.buyer_id, merchant_id=offer.merchant_id, quantity=1,
              unit_price=price, total=price, currency=offer.currency, status=status, channel=c.channel,
              created_at=at, updated_at=at, commissions_owed=cps if entries else 0)
        for i, c in enumerate(claims)
    ]  # fmt: skip
    Order.objects.bulk_create(made, batch_size=BATCH)
    OrderEvent.objects.bulk_create(
        [OrderEvent(order=o, at=at, from_status="shipped", to_status=status, reason="") for o in made], batch_size=BATCH
    )
    if entries:
        CommissionEntry.objects.bulk_create(
            [
                CommissionEntry(
                    order=o, merchant_id=o.merchant_id, offer_id=o.offer_id, buyer_id=o.buyer_id, channel=o.channel,
                    currency=o.currency, order_created_at=at, beneficiary="forum", kind="cps", base=o.total,
                    rate=Decimal(5), amount=cps, status="pending", created_at=at,
                )
                for o in made
            ],
            batch_size=BATCH,
        )  # fmt: skip
    return made
