"""The whole life of a commission through the site's own paths (run on PostgreSQL in CI as
well as SQLite): a share link, a signup through it, a group-buy that succeeds, payment,
shipping, completion, the refund window passing under the sweeper, approval, a payout
recorded in the admin, then a refund after payout that adds a reversal the next payout
deducts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community_commerce.models import CommissionEntry, Order, Payout
from community_commerce.services import lifecycle, links, schedule
from community_commerce.services.claim import claim
from tests import factories
from tests.commerce.ledger_support import move, owed_apart_from_the_ledger

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
E = CommissionEntry


def ledger():
    return sorted(E.objects.values_list("beneficiary", "kind", "status", "amount", "payout__reference"))


def admin_payout(staff, entries, *, reference, up_to):
    client = Client()
    client.force_login(staff)
    response = client.post(
        reverse("admin:community_commerce_commissionentry_changelist"),
        {
            "action": "record_payout", "_selected_action": [e.pk for e in entries], "apply": "1",
            "reference": reference, "up_to": up_to.isoformat(),
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content[:500]


def test_link_signup_group_buy_paid_completed_approved_paid_out_then_refunded_and_deducted(
    merchant, merchant_thread, settings
):
    settings.COMMUNITY_COMMERCE_REFUND_DAYS = 7
    now = timezone.now()
    offer = factories.offer(
        "group_buy", merchant_=merchant, thread_=merchant_thread, stock=None, ends_at=now + timedelta(hours=1),
        terms={"unit_price": "30.00", "min_quantity": 3, "tiers": []},
    )  # fmt: skip
    bob = factories.user("bob", email="bob@example.com")
    link = links.get_or_create_link(user=bob, offer_id=offer.pk)[0]

    visitor = Client(HTTP_USER_AGENT=BROWSER)
    assert visitor.get(f"/r/{link.code}").status_code == 302
    signup = visitor.post(
        "/accounts/signup/",
        {"username": "carol", "email": "carol@example.org", "password1": "s3cret-Pass!", "password2": "s3cret-Pass!"},
    )
    assert signup.status_code == 302
    carol = get_user_model().objects.get(username="carol")
    assert carol.referral.referrer == bob

    claim(offer_id=offer.pk, buyer=carol, quantity=2)  # 60.00: bob's link decides the channel
    claim(offer_id=offer.pk, buyer=factories.user("dave"), quantity=1)
    assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at)
    order = Order.objects.get(buyer=carol)
    assert (order.status, order.total, order.link_id) == ("pending_payment", Decimal("60.000"), link.pk)
    assert not E.objects.exists()

    paid_at = offer.ends_at + timedelta(hours=1)
    move(order, "pay", now=paid_at)
    move(Order.objects.get(buyer__username="dave"), "pay", now=paid_at)
    assert ledger() == [
        ("forum", "cps", "pending", Decimal("1.500"), None),  # dave's 30.00
        ("forum", "cps", "pending", Decimal("3.000"), None),  # carol's 60.00 at 5%
        ("member", "cpa", "pending", Decimal("5.000"), None),  # bob brought carol: her first order
        ("member", "cps", "pending", Decimal("1.200"), None),  # bob's link brought the sale: 2%
    ]
    assert Order.objects.get(pk=order.pk).commissions_owed == Decimal("9.200")  # what the report sums
    assert owed_apart_from_the_ledger() == []
    completed_at = paid_at + timedelta(days=2)
    move(order, "ship", now=completed_at)
    move(order, "complete", actor=carol, now=completed_at)

    assert schedule.sweep(now=completed_at + timedelta(days=6))["approved"] == 0  # inside the refund window
    assert schedule.sweep(now=completed_at + timedelta(days=7, minutes=1))["approved"] == 3
    assert E.objects.filter(status="pending").count() == 1  # dave's order is still only paid

    staff = factories.user("operator", is_staff=True, is_superuser=True)
    day = timezone.localdate(completed_at + timedelta(days=8))
    admin_payout(staff, E.objects.filter(order=order), reference="SEPA-0001", up_to=day)
    assert sorted(Payout.objects.values_list("beneficiary", "amount", "entries")) == [
        ("forum", Decimal("3.000"), 1),
        ("member", Decimal("6.200"), 2),
    ]
    assert E.objects.filter(order=order, status="paid").count() == 3

    move(order, "cancel", actor=staff)  # refunded after the payout
    reversals = E.objects.filter(order=order, status="reversed")
    assert sorted(reversals.values_list("kind", "beneficiary", "amount")) == [
        ("cpa", "member", Decimal("-5.000")), ("cps", "forum", Decimal("-3.000")), ("cps", "member", Decimal("-1.200")),
    ]  # fmt: skip
    assert E.objects.filter(order=order).count() == 6  # the originals are untouched: append-only
    assert Order.objects.get(pk=order.pk).commissions_owed == 0  # paid and reversed: nothing owed net
    assert owed_apart_from_the_ledger() == []
    admin_payout(staff, reversals, reference="SEPA-0002", up_to=timezone.localdate() + timedelta(days=1))
    second = Payout.objects.filter(reference="SEPA-0002")
    assert sorted(second.values_list("beneficiary", "amount")) == [
        ("forum", Decimal("-3.000")),
        ("member", Decimal("-6.200")),
    ]
    assert not reversals.filter(payout__isnull=True).exists()
    admin_payout(staff, reversals, reference="SEPA-0003", up_to=timezone.localdate() + timedelta(days=1))
    assert not Payout.objects.filter(reference="SEPA-0003").exists()  # deducted once
