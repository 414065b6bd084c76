"""Migration 0004 (money in each currency's decimals): the money columns take three places,
existing amounts are kept, the order total CHECK still holds, and the amounts in offers'
terms are rewritten in their currency's decimals where that loses nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests import factories as f

BEFORE = [("community_commerce", "0003_thread_view_stats")]
AFTER = [("community_commerce", "0004_money_three_decimals")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_0004_keeps_amounts_rewrites_terms_and_keeps_the_total_check():
    old = migrate(BEFORE)
    try:
        merchant = f.merchant_in(old)
        thread = f.commerce_thread(merchant)
        Offer, Claim, Order = (old.get_model("community_commerce", name) for name in ("Offer", "Claim", "Order"))
        now = timezone.now()

        def offer(currency, terms):
            return Offer.objects.create(
                kind="flash_sale", thread_id=thread.pk, merchant_id=merchant.pk, title=currency, currency=currency,
                starts_at=now, ends_at=now + timedelta(days=1), stock=10, terms=terms,
            )  # fmt: skip

        euro = offer("EUR", {"unit_price": "9.90", "reservation_minutes": 15})
        yen = offer("JPY", {"unit_price": "1500.00", "reservation_minutes": 15})
        odd_yen = offer("JPY", {"unit_price": "1500.50", "reservation_minutes": 15})  # not whole: left alone
        dinar = offer("BHD", {"unit_price": "1.25", "reservation_minutes": 15})
        group = offer(
            "KWD", {"unit_price": "2.5", "min_quantity": 2, "tiers": [{"min_quantity": 5, "unit_price": "2.1"}]}
        )
        buyer = f.user()
        claim = Claim.objects.create(offer_id=euro.pk, buyer_id=buyer.pk, quantity=3, unit_price=Decimal("9.90"))
        Order.objects.create(
            number="CC-1", offer_id=euro.pk, claim_id=claim.pk, buyer_id=buyer.pk, merchant_id=merchant.pk,
            quantity=3, unit_price=Decimal("9.90"), total=Decimal("29.70"), currency="EUR",
        )  # fmt: skip

        new = migrate(AFTER)
        Offer, Claim, Order = (new.get_model("community_commerce", name) for name in ("Offer", "Claim", "Order"))
        terms = {o.pk: o.terms for o in Offer.objects.all()}
        assert terms[euro.pk]["unit_price"] == "9.90"
        assert terms[yen.pk]["unit_price"] == "1500"
        assert terms[odd_yen.pk]["unit_price"] == "1500.50"
        assert terms[dinar.pk]["unit_price"] == "1.250"
        assert (terms[group.pk]["unit_price"], terms[group.pk]["tiers"][0]["unit_price"]) == ("2.500", "2.100")
        order = Order.objects.get(number="CC-1")
        assert (order.unit_price, order.total) == (Decimal("9.90"), Decimal("29.70"))
        assert Claim.objects.get(pk=claim.pk).unit_price == Decimal("9.90")

        # three places now fit, and the total CHECK holds at three places (and still refuses a wrong total)
        bhd_claim = Claim.objects.create(offer_id=dinar.pk, buyer_id=buyer.pk, quantity=3, unit_price=Decimal("1.250"))
        Order.objects.create(
            number="CC-2", offer_id=dinar.pk, claim_id=bhd_claim.pk, buyer_id=buyer.pk, merchant_id=merchant.pk,
            quantity=3, unit_price=Decimal("1.250"), total=Decimal("3.750"), currency="BHD",
        )  # fmt: skip
        assert Order.objects.get(number="CC-2").total == Decimal("3.750")
        wrong = Claim.objects.create(offer_id=dinar.pk, buyer_id=buyer.pk, quantity=3, unit_price=Decimal("1.250"))
        with pytest.raises(IntegrityError), transaction.atomic():
            Order.objects.create(
                number="CC-3", offer_id=dinar.pk, claim_id=wrong.pk, buyer_id=buyer.pk, merchant_id=merchant.pk,
                quantity=3, unit_price=Decimal("1.250"), total=Decimal("3.751"), currency="BHD",
            )  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
