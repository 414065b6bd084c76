"""Reputation (services/reputation.py): average stars and count, completed orders, the on-time
rate and the dispute rate, computed in SQL and kept per shop; shown on the offer card, the
profile and the shop's page without a query of its own; a shop over the dispute-rate
threshold flagged for staff on the admin (never suspended)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from community_commerce.models import Merchant, MerchantReputation, Order
from community_commerce.services import disputes, orders, ratings, reputation
from community_commerce.services.schedule import sweep
from tests import factories
from tests.commerce.trust_support import Shop, move_back

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def shop():
    return Shop(stock=50)


def figures(row):
    return {
        "stars": (row.rating_count, row.rating_average),
        "completed": row.completed_orders,
        "on_time": (row.on_time_shipments, row.due_shipments, row.on_time_rate),
        "disputes": (row.refunded_disputes, row.open_disputes, row.paid_orders, row.dispute_rate),
        "flagged": row.flagged,
    }


def test_a_new_shop_has_nothing_to_show(shop):
    row = reputation.refresh(shop.merchant.pk)
    assert figures(row) == {
        "stars": (0, None), "completed": 0, "on_time": (0, 0, None), "disputes": (0, 0, 0, None), "flagged": False,
    }  # fmt: skip


def test_stars_count_once_published_and_completed_orders_count(shop):
    for stars in (5, 4):
        rating = shop.rated(stars=stars)
        ratings.reply(rating_id=rating.pk, merchant_user=shop.seller, body="Thanks")
    shop.rated(stars=1)  # still blind: not counted
    row = reputation.refresh(shop.merchant.pk)
    assert figures(row)["stars"] == (2, Decimal("4.50"))
    assert row.completed_orders == 3


def test_on_time_is_shipping_within_the_promised_days_of_payment(shop):
    shop.merchant.ships_within_days = 2
    shop.merchant.save(update_fields=["ships_within_days"])
    quick = shop.order(S.SHIPPED)  # paid and shipped today: on time
    slow = shop.order(S.PAID)
    move_back(slow, S.PAID, days=3)
    orders.transition(order_id=slow.pk, to_status=S.SHIPPED, actor=shop.seller)  # 3 days after payment: late
    waiting = shop.order(S.PAID)
    move_back(waiting, S.PAID, days=5)  # not shipped, past the promise: late
    shop.order(S.PAID)  # paid today, not due yet: not counted
    refunded = shop.order(S.REFUNDED)
    move_back(refunded, S.PAID, days=5)  # given back unshipped: not a shipment
    row = reputation.refresh(shop.merchant.pk)
    assert figures(row)["on_time"] == (1, 3, Decimal("0.3333"))
    assert quick.pk and slow.pk


def test_the_dispute_rate_counts_disputes_that_ended_in_a_refund(shop):
    refunded = disputes.open_dispute(
        order_id=shop.order(S.SHIPPED).pk, buyer=shop.buyer, reason="not_received", details="x"
    )
    rejected = disputes.open_dispute(
        order_id=shop.order(S.SHIPPED).pk, buyer=shop.buyer, reason="not_received", details="x"
    )
    disputes.open_dispute(order_id=shop.order(S.SHIPPED).pk, buyer=shop.buyer, reason="other", details="x")  # open
    shop.order(S.COMPLETED)
    disputes.resolve(dispute_id=refunded.pk, actor=shop.staff, outcome="refund", reason="Lost")
    disputes.resolve(dispute_id=rejected.pk, actor=shop.staff, outcome="reject", reason="Delivered")
    row = reputation.refresh(shop.merchant.pk)
    assert figures(row)["disputes"] == (1, 1, 4, Decimal("0.2500"))
    assert row.flagged is True  # 25% of 4 paid orders, over the 10% threshold


def test_the_flag_needs_enough_orders_and_a_rate_over_the_threshold(shop, settings):
    dispute = disputes.open_dispute(
        order_id=shop.order(S.SHIPPED).pk, buyer=shop.buyer, reason="not_received", details="x"
    )
    disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome="refund", reason="Lost")
    shop.order(S.COMPLETED)
    assert reputation.refresh(shop.merchant.pk).flagged is False  # 2 paid orders: too few to judge
    settings.COMMUNITY_COMMERCE_DISPUTE_FLAG_MIN_ORDERS = 2
    assert reputation.refresh(shop.merchant.pk).flagged is True
    settings.COMMUNITY_COMMERCE_DISPUTE_FLAG_RATE = "0.6"
    assert reputation.refresh(shop.merchant.pk).flagged is False
    assert Merchant.objects.get(pk=shop.merchant.pk).status == Merchant.Status.VERIFIED  # never suspended


def test_a_change_marks_the_row_stale_and_the_sweeper_refreshes_it(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sweep()  # makes the shop's row
    row = MerchantReputation.objects.get(pk=shop.merchant.pk)
    assert (row.stale, row.completed_orders) == (False, 0)
    with django_capture_on_commit_callbacks(execute=True):
        shop.order(S.COMPLETED)
    assert MerchantReputation.objects.get(pk=shop.merchant.pk).stale is True
    with django_capture_on_commit_callbacks(execute=True):
        sweep()
    row.refresh_from_db()
    assert (row.stale, row.completed_orders) == (False, 1)


def test_an_old_row_is_recomputed_by_the_sweeper(shop, django_capture_on_commit_callbacks):
    waiting = shop.order(S.PAID)
    row = reputation.refresh(shop.merchant.pk)
    assert row.due_shipments == 0
    move_back(waiting, S.PAID, days=5)  # the promise passes with no event at all
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=timezone.now() + timedelta(minutes=11))
    row.refresh_from_db()
    assert (row.due_shipments, row.on_time_shipments) == (1, 0)


def test_the_card_shows_the_shop_s_reputation_and_the_thread_page_costs_no_more(shop):
    thread_url = factories_thread_url(shop)
    client = Client()
    client.get(thread_url)
    with CaptureQueriesContext(connection) as without_row:
        page = client.get(thread_url).content.decode()
    assert "New shop" in page and "ships within 3 days" in page
    rating = shop.rated(stars=4)
    ratings.reply(rating_id=rating.pk, merchant_user=shop.seller, body="Thanks")
    reputation.refresh(shop.merchant.pk)
    with CaptureQueriesContext(connection) as with_row:
        page = client.get(thread_url).content.decode()
    card = page[page.index(f'id="offer-{shop.offer.pk}"') :]
    assert "★ 4.00 of 5 (1 rating)" in words(card)
    assert "1 completed order" in card and "100% shipped on time" in card and "0% refunded after a dispute" in card
    assert reverse("community_commerce:merchant", args=[shop.merchant.pk]) in card
    assert len(with_row.captured_queries) == len(without_row.captured_queries)


def words(html):
    return " ".join(strip_tags(html).split())


def factories_thread_url(shop):
    from forum.models import Thread

    return Thread.objects.get(pk=shop.offer.thread_id).get_absolute_url()


def test_the_polled_card_shows_it_too_from_its_cache(shop):
    reputation.refresh(shop.merchant.pk)
    url = reverse("community_commerce:offer_live", args=[shop.offer.pk])
    Client().get(url)
    with CaptureQueriesContext(connection) as polled:
        html = Client().get(url).content.decode()
    assert "New shop" in html and len(polled.captured_queries) == 0


def test_the_profile_and_the_shop_s_page(shop):
    rating = shop.rated(stars=5, comment="Best tomatoes in town")
    ratings.reply(rating_id=rating.pk, merchant_user=shop.seller, body="Thank you!")
    reputation.refresh(shop.merchant.pk)  # as the reply does once it commits
    profile = Client().get(reverse("forum:profile", args=[shop.seller.username])).content.decode()
    assert "★ 5.00 of 5 (1 rating)" in words(profile)
    page = Client().get(reverse("community_commerce:merchant", args=[shop.merchant.pk])).content.decode()
    assert "Best tomatoes in town" in page and "Thank you!" in page
    pending = factories.merchant(status="pending")
    assert Client().get(reverse("community_commerce:merchant", args=[pending.pk])).status_code == 404


def test_flagged_shops_are_listed_for_staff_on_the_admin(shop, settings):
    dispute = disputes.open_dispute(
        order_id=shop.order(S.SHIPPED).pk, buyer=shop.buyer, reason="not_received", details="x"
    )
    disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome="refund", reason="Lost")
    calm = factories.merchant(display_name="Calm Bakery")
    reputation.refresh(calm.pk)
    settings.COMMUNITY_COMMERCE_DISPUTE_FLAG_MIN_ORDERS = 1
    reputation.refresh(shop.merchant.pk)
    admin = Client()
    admin.force_login(factories.user("root", is_staff=True, is_superuser=True))
    index = admin.get(reverse("admin:index")).content.decode()
    assert "Merchants flagged for disputes" in index
    listing = admin.get(reverse("admin:community_commerce_flaggedmerchant_changelist")).content.decode()
    assert "Corner Grocer" in listing and "100%" in listing and "Calm Bakery" not in listing
