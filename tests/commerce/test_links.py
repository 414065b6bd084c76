"""Share links (services/links.py): creating them, counting visits in Redis without a
database write, the sweeper's roll-up, and attribution (the published channel rule)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from community_commerce import errors
from community_commerce.errors import InvalidInput, NotAllowed
from community_commerce.models import Attribution, LinkVisitDay, LinkVisitor, Order, Referral, ShareLink
from community_commerce.services import coupons, links, orders
from community_commerce.services.claim import claim
from tests import factories

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def flash(merchant, merchant_thread):
    return factories.offer("flash_sale", merchant_=merchant, thread_=merchant_thread, stock=50)


@pytest.fixture
def sharer(db):
    return factories.user("sharer")


@pytest.fixture
def link(flash, sharer):
    return links.get_or_create_link(user=sharer, offer_id=flash.pk)[0]


def browser(user=None):
    client = Client(HTTP_USER_AGENT=BROWSER)
    if user is not None:
        client.force_login(user)
    return client


def visit(client, link):
    return client.get(f"/r/{link.code}")


def figures(link):
    return links.link_figures([link])[link.pk]


def sign_up(client, username):
    response = client.post(
        "/accounts/signup/",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password1": "s3cret-Pass!",
            "password2": "s3cret-Pass!",
        },
    )
    assert response.status_code == 302, response.content
    return get_user_model().objects.get(username=username)


def buy(client, offer, **extra):
    response = client.post(f"/deals/offers/{offer.pk}/claim", {"quantity": 1, **extra})
    assert response.status_code == 302
    return Order.objects.filter(offer=offer).order_by("-id").first()


# --- Creating links ----------------------------------------------------------------------------------


def test_a_member_s_link_is_short_random_and_the_same_on_the_second_click(flash, sharer):
    link, created = links.get_or_create_link(user=sharer, offer_id=flash.pk)
    again, created_again = links.get_or_create_link(user=sharer, offer_id=flash.pk)
    other, _ = links.get_or_create_link(user=factories.user(), offer_id=flash.pk)
    assert created and not created_again and again.pk == link.pk
    assert link.kind == ShareLink.Kind.REFERRAL and link.channel == "forum"
    assert len(link.code) >= 12 and link.code != other.code
    assert sharer.username not in link.code and str(sharer.pk) != link.code


def test_only_the_offer_s_merchant_labels_a_campaign_channel(flash, sharer):
    with pytest.raises(NotAllowed):
        links.get_or_create_link(user=sharer, offer_id=flash.pk, channel="poster")
    poster, created = links.get_or_create_link(user=flash.merchant.user, offer_id=flash.pk, channel="poster")
    assert created and poster.kind == ShareLink.Kind.CAMPAIGN and poster.merchant_id == flash.merchant_id
    with pytest.raises(InvalidInput) as caught:
        links.get_or_create_link(user=flash.merchant.user, offer_id=flash.pk, channel="Poster Wall")
    assert caught.value.code == errors.INVALID_CHANNEL


# --- Visits ------------------------------------------------------------------------------------------


def test_a_visit_redirects_to_the_offer_and_writes_nothing_to_the_database(link, flash):
    client = browser()
    visit(client, link)  # the link's lookup is now cached
    with CaptureQueriesContext(connection) as queries:
        response = visit(browser(), link)
    assert response.status_code == 302 and response["Location"] == flash.get_absolute_url()
    assert len(queries) == 0
    assert not LinkVisitDay.objects.exists()


def test_the_sweeper_rolls_visits_and_visitors_up_once(link):
    first, second = browser(), browser()
    for client in (first, first, second):
        visit(client, link)
    assert figures(link)["visits"] == 3  # pending in Redis, shown already
    assert links.flush_visits() == 3
    assert links.flush_visits() == 0  # a second sweep moves nothing twice
    assert LinkVisitDay.objects.get(link=link).visits == 3
    assert LinkVisitor.objects.filter(link=link).count() == 2
    assert figures(link)["visits"] == 3 and figures(link)["visitors"] == 2
    visit(first, link)
    links.flush_visits()
    assert figures(link)["visits"] == 4 and figures(link)["visitors"] == 2


def test_a_failed_roll_up_gives_the_counts_back_for_the_next_sweep(link, monkeypatch):
    visit(browser(), link)

    def broken(*args, **kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(links, "_add_visits", broken)
    assert links.flush_visits() == 0
    monkeypatch.undo()
    assert links.flush_visits() == 1
    assert figures(link)["visits"] == 1 and figures(link)["visitors"] == 1


def test_bots_the_owner_and_the_merchant_are_not_counted_nor_remembered(link, sharer, flash):
    for client in (Client(HTTP_USER_AGENT=GOOGLEBOT), browser(sharer), browser(flash.merchant.user)):
        response = visit(client, link)
        assert response.status_code == 302
        assert links.COOKIE not in response.cookies
    links.flush_visits()
    assert figures(link)["visits"] == 0


def test_an_unknown_code_is_404(db):
    assert browser().get("/r/no-such-code").status_code == 404


# --- Attribution ---------------------------------------------------------------------------------------


def test_link_then_signup_then_claim_then_order_carries_the_channel(link, flash, sharer):
    poster = links.get_or_create_link(user=flash.merchant.user, offer_id=flash.pk, channel="poster")[0]
    client = browser()
    visit(client, poster)
    newbie = sign_up(client, "newbie")
    referral = Referral.objects.get(member=newbie)
    assert referral.link == poster and referral.referrer == flash.merchant.user and referral.channel == "poster"
    order = buy(client, flash)
    assert order.channel == "poster" and order.link_id == poster.pk
    assert order.claim.channel == "poster" and order.claim.link_id == poster.pk
    orders.transition(order_id=order.pk, to_status=Order.Status.PAID, actor=flash.merchant.user)
    assert figures(poster) | {"visits": None, "visitors": None} == {
        "visits": None, "visitors": None, "signups": 1, "claims": 1, "paid_orders": 1,
        "revenue": [{"currency": "EUR", "amount": Decimal("9.90")}],
    }  # fmt: skip


def test_the_last_link_wins(flash, sharer):
    first = links.get_or_create_link(user=sharer, offer_id=flash.pk)[0]
    second = links.get_or_create_link(user=flash.merchant.user, offer_id=flash.pk, channel="newsletter")[0]
    client = browser(factories.user())
    visit(client, first)
    visit(client, second)
    assert buy(client, flash).link_id == second.pk


def test_the_coupon_s_channel_beats_the_link(link, flash):
    coupons.create_coupon(
        user=flash.merchant.user,
        offer_id=flash.pk,
        code="WECHAT",
        discount_type="amount",
        value="1",
        channel="wechat-group",
    )
    client = browser(factories.user())
    visit(client, link)
    order = buy(client, flash, coupon="wechat")
    assert order.channel == "wechat-group" and order.link_id == link.pk and order.discount == Decimal("1.00")


def test_self_referral_never_counts(link, flash, sharer):
    client = browser(sharer)
    visit(client, link)
    order = buy(client, flash)
    assert order.channel == "forum" and order.link_id is None
    # nor through an app's ref
    api_claim, _ = claim(offer_id=flash.pk, buyer=sharer, quantity=1, ref=link.code)
    assert api_claim.channel == "forum" and api_claim.link_id is None
    assert not Attribution.objects.filter(member=sharer).exists()


def test_the_window_expires(link, merchant, merchant_thread, clock, settings):
    settings.COMMUNITY_COMMERCE_ATTRIBUTION_DAYS = 30
    flash = factories.offer(
        "flash_sale", merchant_=merchant, thread_=merchant_thread, stock=50, ends_at=clock.now + timedelta(days=60)
    )
    member = factories.user()
    client = browser(member)
    visit(client, link)
    links.carry_over(request=_request_with(client), user=member)
    clock.advance(days=29)
    assert buy(client, flash).link_id == link.pk  # still within the window
    clock.advance(days=2)
    order = buy(client, flash)
    assert order.channel == "forum" and order.link_id is None
    taken, _ = claim(offer_id=flash.pk, buyer=member, quantity=1)
    assert taken.channel == "forum"


def test_no_link_is_the_forum_channel(flash):
    order = buy(browser(factories.user()), flash)
    assert order.channel == "forum" and order.link_id is None and order.coupon_id is None


def test_a_login_carries_the_link_to_claims_from_any_device(link, flash):
    member = factories.user("lara")
    client = browser()
    visit(client, link)
    assert client.post("/accounts/login/", {"login": "lara", "password": factories.PASSWORD}).status_code == 302
    assert Attribution.objects.get(member=member).link == link
    assert not Referral.objects.filter(member=member).exists()  # an old member: not a signup
    taken, _ = claim(offer_id=flash.pk, buyer=member, quantity=1)  # an app, no cookie
    assert taken.channel == "forum" and taken.link_id == link.pk


def test_an_app_s_first_claim_with_ref_records_the_referral(link, flash, sharer, client):
    newbie = factories.user("appuser", joined_days_ago=0)
    token = client.post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"username": "appuser", "password": factories.PASSWORD}),
        content_type="application/json",
    ).json()["meta"]["session_token"]
    response = Client(headers={"X-Session-Token": token}).post(
        f"/api/v1/offers/{flash.pk}/claims",
        json.dumps({"quantity": 1, "ref": link.code}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "forum"  # a member's link carries the forum channel
    order = Order.objects.get(pk=body["order"])
    assert order.link_id == link.pk
    referral = Referral.objects.get(member=newbie)
    assert referral.via == Referral.Via.CLAIM and referral.referrer == sharer


def test_an_old_member_s_claim_with_ref_is_no_referral(link, flash):
    old = factories.user(joined_days_ago=90)
    taken, _ = claim(offer_id=flash.pk, buyer=old, quantity=1, ref=link.code)
    assert taken.link_id == link.pk
    assert not Referral.objects.exists()


def _request_with(client):
    """A request carrying the client's cookies, as the login signal gets it."""
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.COOKIES = {key: morsel.value for key, morsel in client.cookies.items()}
    return request


def test_visits_to_a_link_of_the_past_still_count_and_the_page_shows_them(link, sharer, clock):
    visit(browser(), link)
    clock.advance(days=1)
    visit(browser(), link)
    links.flush_visits()
    assert sum(LinkVisitDay.objects.filter(link=link).values_list("visits", flat=True)) == 2
    page = browser(sharer).get("/deals/me/links/").content.decode()
    assert f"/r/{link.code}" in page
    assert LinkVisitDay.objects.filter(link=link).count() == 2


def test_a_visit_still_redirects_and_remembers_the_link_when_redis_cannot_count(link, flash, monkeypatch):
    def away(*args, **kwargs):
        raise ConnectionError("redis away")

    monkeypatch.setattr(links, "_count", away)
    response = visit(browser(), link)
    assert response.status_code == 302 and response["Location"] == flash.get_absolute_url()
    assert links.COOKIE in response.cookies
