"""Sharing and coupons on pages: the card's coupons and Share, the link's page with its QR
code, My links, My coupons, discounts on orders, and the thread page's query budget."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from community_commerce.models import Coupon, CouponGrant, Order, ShareLink
from community_commerce.services import coupons, links
from tests import factories as f
from tests.commerce.conftest import thread_events
from tests.commerce.test_pages import _queries, card, logged_in, post, take, text, thread_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    return f.merchant(f.user("seller"), display_name="Corner Shop")


@pytest.fixture
def deals(shop):
    return f.commerce_thread(shop, category_=f.category("Deals", commerce_enabled=True), title="Corner shop deals")


def drop(offer, n=2, **fields):
    return coupons.create_coupon(
        user=offer.merchant.user, offer_id=offer.pk, discount_type="amount", value=fields.pop("value", "2.00"),
        handout=True, max_uses=n, **fields,
    )  # fmt: skip


def test_members_take_handouts_from_the_card_until_they_are_gone(shop, deals):
    offer = post(shop, deals, "flash_sale", stock=10)
    coupon = drop(offer, 2)
    ann, ben, cat = (logged_in(f.user(name)) for name in ("ann", "ben", "cat"))
    assert "2 left" in text(card(thread_page(ann, deals), offer))
    take_url = reverse("community_commerce:take_coupon", args=[coupon.pk])
    assert take_url in card(thread_page(ann, deals), offer)
    ann.post(take_url)
    html = card(thread_page(ann, deals), offer)
    assert f"Yours: {coupon.code}" in text(html)
    assert f'name="coupon" value="{coupon.code}"' in html  # the claim form starts with it
    ben.post(take_url)
    assert "All taken" in text(card(thread_page(cat, deals), offer))
    response = cat.post(take_url, follow=True)
    assert "All these coupons are gone." in text(response.content.decode())
    assert CouponGrant.objects.count() == 2


def test_the_card_s_claim_form_applies_the_coupon_and_the_order_shows_the_discount(shop, deals):
    offer = post(shop, deals, "flash_sale", stock=10)
    coupon = drop(offer, 2, value="1.50")
    member = f.user()
    client = logged_in(member)
    client.post(reverse("community_commerce:take_coupon", args=[coupon.pk]))
    response = client.post(reverse("community_commerce:claim", args=[offer.pk]), {"quantity": 2, "coupon": coupon.code})
    order = Order.objects.get(buyer=member)
    assert response["Location"] == reverse("community_commerce:order", args=[order.pk])
    page = text(client.get(response["Location"]).content.decode())
    assert "Unit price €9.90 Discount −€3.00" in page and "Total €16.80" in page
    assert "coupon −€3.00" in text(client.get(reverse("community_commerce:my_orders")).content.decode())
    dashboard = text(logged_in(shop.user).get(reverse("community_commerce:merchant_dashboard")).content.decode())
    assert "€16.80 coupon −€3.00" in dashboard
    assert "coupon −€3.00" in text(card(thread_page(client, deals), offer))


def test_a_refused_coupon_on_the_card_says_why_and_takes_nothing(shop, deals):
    offer = post(shop, deals, "flash_sale", stock=10)
    client = logged_in(f.user())
    response = client.post(
        reverse("community_commerce:claim", args=[offer.pk]), {"quantity": 1, "coupon": "NOPE"}, follow=True
    )
    assert "No such coupon code." in text(response.content.decode())
    assert not Order.objects.exists()


def test_the_merchant_drops_coupons_from_the_card(shop, deals, django_capture_on_commit_callbacks):
    offer = post(shop, deals, "group_buy")
    client = logged_in(shop.user)
    html = card(thread_page(client, deals), offer)
    assert reverse("community_commerce:create_coupon", args=[offer.pk]) in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("community_commerce:create_coupon", args=[offer.pk]),
            {"how": "handout", "discount_type": "amount", "value": "1", "max_uses": "3"},
            follow=True,
        )
    page = text(response.content.decode())
    assert "3 coupons dropped in the thread." in page
    assert "3 coupons dropped: 1.00 EUR off “Test group buy”. Take one from the offer." in thread_events(deals)
    assert Coupon.objects.get(offer=offer).max_uses == 3
    bad = client.post(
        reverse("community_commerce:create_coupon", args=[offer.pk]),
        {"how": "public", "discount_type": "percent", "value": "120"},
        follow=True,
    )
    assert "A percentage from more than 0 up to 100." in text(bad.content.decode())
    assert Coupon.objects.count() == 1


def test_share_makes_the_member_s_link_with_a_qr_code(shop, deals):
    offer = post(shop, deals, "flash_sale")
    member = f.user("sharer")
    client = logged_in(member)
    share = reverse("community_commerce:share", args=[offer.pk])
    assert share in card(thread_page(client, deals), offer)
    response = client.post(share)
    link = ShareLink.objects.get(owner=member)
    assert response["Location"] == reverse("community_commerce:link", args=[link.pk])
    page = client.get(response["Location"]).content.decode()
    assert f"http://testserver/r/{link.code}" in page and "<svg" in page
    assert client.post(share)["Location"] == response["Location"]  # the same link again
    qr = client.get(reverse("community_commerce:link_qr", args=[link.pk]))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    assert Client().get(reverse("community_commerce:link", args=[link.pk])).status_code == 302  # log in first
    assert logged_in(f.user()).get(reverse("community_commerce:link", args=[link.pk])).status_code == 404


def test_a_merchant_makes_a_poster_campaign_link_and_sees_its_visits_and_signups(shop, deals):
    offer = post(shop, deals, "group_buy")
    client = logged_in(shop.user)
    response = client.post(reverse("community_commerce:my_links"), {"offer": str(offer.pk), "channel": "poster"})
    link = ShareLink.objects.get(owner=shop.user)
    assert link.kind == "campaign" and link.channel == "poster"
    assert response["Location"] == reverse("community_commerce:link", args=[link.pk])
    visitor = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36")
    visitor.get(f"/r/{link.code}")
    visitor.post(
        "/accounts/signup/",
        {"username": "neighbour", "email": "n@example.com", "password1": "s3cret-Pass!", "password2": "s3cret-Pass!"},
    )
    links.flush_visits()
    row = text(client.get(reverse("community_commerce:my_links")).content.decode())
    assert f"/r/{link.code} Test group buy poster 1 1 1 0 0 —" in row
    dashboard = text(client.get(reverse("community_commerce:merchant_dashboard")).content.decode())
    assert f"/r/{link.code} Test group buy poster 1 1 1 0 0" in dashboard
    bad = client.post(reverse("community_commerce:my_links"), {"offer": str(offer.pk), "channel": "Big Poster"})
    assert "lower-case letters" in text(bad.content.decode())


def test_my_coupons_lists_the_ones_waiting(shop, deals):
    offer = post(shop, deals, "flash_sale")
    coupon = drop(offer, 2)
    member = f.user()
    coupons.take(coupon_id=coupon.pk, member=member)
    page = text(logged_in(member).get(reverse("community_commerce:my_coupons")).content.decode())
    assert f"{coupon.code} €2.00 off Test flash sale" in page


@pytest.mark.parametrize("who", ["anonymous", "member", "merchant"])
def test_coupons_and_share_cost_no_query_over_the_same_thread_without_offers(shop, deals, who):
    viewer = {"member": f.user("viewer"), "merchant": shop.user, "anonymous": None}[who]
    client = logged_in(viewer) if viewer else Client()
    bare = f.commerce_thread(shop, category_=deals.category, title="Nothing for sale here")
    client.get(bare.get_absolute_url())
    without = _queries(client, bare.get_absolute_url())
    for kind in ("group_buy", "flash_sale", "dutch_auction"):
        offer = post(shop, deals, kind, stock=None if kind == "group_buy" else 10)
        coupon = drop(offer, 5)
        coupons.create_coupon(
            user=shop.user, offer_id=offer.pk, discount_type="percent", value="5", code=f"P{offer.pk}X"
        )
        if viewer is not None and who == "member":
            coupons.take(coupon_id=coupon.pk, member=viewer)
            take(offer, viewer, 1)
    client.get(deals.get_absolute_url())
    assert _queries(client, deals.get_absolute_url()) == without
    if who == "member":
        assert thread_page(client, deals).count("Yours: ") == 3


def test_the_live_card_shows_coupons_and_costs_a_visitor_no_query(shop, deals):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    offer = post(shop, deals, "flash_sale")
    drop(offer, 4)
    visitor = Client()
    url = reverse("community_commerce:offer_live", args=[offer.pk])
    assert "4 left" in text(visitor.get(url).content.decode())
    with CaptureQueriesContext(connection) as queries:
        visitor.get(url)
    assert len(queries) == 0
    member = f.user()
    coupons.take(coupon_id=Coupon.objects.get().pk, member=member)
    assert "Yours: " in text(logged_in(member).get(url).content.decode())


def test_claim_discount_is_exact_for_a_yen_offer(shop, deals):
    offer = post(shop, deals, "flash_sale")
    offer.currency = "JPY"
    offer.terms = {"unit_price": "1500", "reservation_minutes": 15}
    offer.save()
    coupons.create_coupon(user=shop.user, offer_id=offer.pk, discount_type="percent", value="33", code="YEN")
    order = take_with(offer, f.user(), "YEN")
    assert order.discount == Decimal("495") and order.total == Decimal("1005")


def take_with(offer, member, code):
    from community_commerce.services.claim import claim

    return claim(offer_id=offer.pk, buyer=member, quantity=1, coupon=code)[0].order


def test_the_admin_lists_coupons_with_their_uses_and_the_links(shop, deals):
    offer = post(shop, deals, "flash_sale")
    coupons.create_coupon(user=shop.user, offer_id=offer.pk, code="ADMIN5", discount_type="amount", value="1")
    buyer = f.user("usesit")
    take_with(offer, buyer, "ADMIN5")
    links.get_or_create_link(user=buyer, offer_id=offer.pk)
    staff = f.staff("boss")
    staff.is_superuser = True
    staff.save()
    client = logged_in(staff)
    listing = text(client.get(reverse("admin:community_commerce_coupon_changelist")).content.decode())
    assert "ADMIN5" in listing
    coupon = Coupon.objects.get(code="ADMIN5")
    detail = text(client.get(reverse("admin:community_commerce_coupon_change", args=[coupon.pk])).content.decode())
    assert "usesit" in detail and "Used" in detail
    assert "usesit" in text(client.get(reverse("admin:community_commerce_couponuse_changelist")).content.decode())
    assert "usesit" in text(client.get(reverse("admin:community_commerce_sharelink_changelist")).content.decode())
