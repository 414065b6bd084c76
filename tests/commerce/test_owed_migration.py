"""Migration 0014 (each order keeps what its standing commission entries add up to): orders
written before it get their sum from the ledger, void and fraud entries left out, and a
reversal taking its entry back to nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests import factories as f
from tests.commerce.test_money_migration import migrate

BEFORE = [("community_commerce", "0013_leaner_claim_indexes")]
AFTER = [("community_commerce", "0014_order_commissions_owed")]


@pytest.mark.django_db(transaction=True)
def test_0014_fills_each_order_s_owed_sum_from_its_standing_entries():
    old = migrate(BEFORE)
    try:
        merchant = f.merchant_in(old)
        thread = f.commerce_thread(merchant)
        Offer, Claim, Order, Entry = (
            old.get_model("community_commerce", name) for name in ("Offer", "Claim", "Order", "CommissionEntry")
        )
        now = timezone.now()
        offer = Offer.objects.create(
            kind="flash_sale", thread_id=thread.pk, merchant_id=merchant.pk, title="Apples", currency="EUR",
            starts_at=now, ends_at=now + timedelta(days=1), stock=10, terms={"unit_price": "30.00"},
        )  # fmt: skip
        buyer, friend = f.user(), f.user()

        def order(number):
            claim = Claim.objects.create(offer_id=offer.pk, buyer_id=buyer.pk, quantity=1, unit_price=Decimal(30))
            return Order.objects.create(
                number=number, offer_id=offer.pk, claim_id=claim.pk, buyer_id=buyer.pk, merchant_id=merchant.pk,
                quantity=1, unit_price=Decimal(30), total=Decimal(30), currency="EUR", status="paid",
            )  # fmt: skip

        def entry(o, status, amount, *, beneficiary="forum", kind="cps", reverses=None):
            return Entry.objects.create(
                order_id=o.pk, merchant_id=merchant.pk, offer_id=offer.pk, buyer_id=buyer.pk, channel="forum",
                currency="EUR", order_created_at=o.created_at, beneficiary=beneficiary, kind=kind,
                member_id=friend.pk if beneficiary == "member" else None, amount=Decimal(amount), status=status,
                reverses=reverses, created_at=now,
            )  # fmt: skip

        standing, refunded, untouched = order("CC-1"), order("CC-2"), order("CC-3")
        entry(standing, "pending", "1.500")
        entry(standing, "void", "0.600", beneficiary="member")  # costs nothing
        entry(standing, "fraud", "5.000", beneficiary="member", kind="cpa")  # never pays
        paid = entry(refunded, "paid", "1.500")
        entry(refunded, "reversed", "-1.500", reverses=paid)

        new = migrate(AFTER)
        Order = new.get_model("community_commerce", "Order")
        owed = dict(Order.objects.values_list("number", "commissions_owed"))
        assert owed == {"CC-1": Decimal("1.500"), "CC-2": Decimal("0.000"), "CC-3": Decimal("0.000")}
        assert untouched.pk in Order.objects.values_list("pk", flat=True)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
