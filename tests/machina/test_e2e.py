"""The django-machina site in Chromium, in English and Simplified Chinese: a newcomer signs up
with allauth, joins the group-buy on its topic's card and takes the Dutch auction's price;
the real Celery worker and beat close the group-buy and the result shows in the topic. On a
phone, the offer badges in the forum's topic list and the merchant's badge beside their post
stay visible (machina hides the cells they sit in)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from machina.core.db.models import get_model
from playwright.sync_api import expect

from community_commerce.adapters import get_adapter
from community_commerce.models import Claim, Offer, Order
from community_commerce.money import format_money
from community_commerce.services import claim, post_offer
from tests.e2e.conftest import translated, use_language

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
LOCALES = ["en", "zh-hans"]
GROUP_SECONDS = 30  # the group-buy's life: the newcomer signs up and joins within it


def money(locale, value):
    with translation.override(locale):
        return format_money(Decimal(value), "EUR")


def deals_topics(machina, deals, grocer):
    now = timezone.now()
    group_topic = machina.thread(author=grocer, category_id=deals, title="Apple boxes together")
    group = post_offer.create_offer(
        user=grocer, thread_id=group_topic, kind="group_buy", title="Apple box", description="", currency="EUR",
        starts_at=now, ends_at=now + timedelta(seconds=GROUP_SECONDS), stock=None, per_user_limit=None,
        terms={"unit_price": "19.90", "min_quantity": 3, "tiers": [{"min_quantity": 4, "unit_price": "17.90"}]},
    )  # fmt: skip
    claim.claim(offer_id=group.pk, buyer=machina.member("neighbour"), quantity=2)
    dutch_topic = machina.thread(author=grocer, category_id=deals, title="A crate of pumpkins")
    dutch = post_offer.create_offer(
        user=grocer, thread_id=dutch_topic, kind="dutch_auction", title="Pumpkin crate", description="",
        currency="EUR", starts_at=now - timedelta(seconds=90), ends_at=now + timedelta(hours=1), stock=8,
        per_user_limit=2, terms={"start_price": "40.00", "floor_price": "15.00", "step": "1.00", "step_seconds": 60},
    )  # fmt: skip
    return group, dutch


def sign_up(page, username):
    page.goto(reverse("account_signup"))
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", f"{username}@example.org")
    page.fill("input[name=password1]", "a-long-pass-phrase-42")
    page.fill("input[name=password2]", "a-long-pass-phrase-42")
    page.locator('form[action$="/accounts/signup/"] button[type=submit]').click()
    page.wait_for_url(re.compile(r"^(?!.*accounts/signup).*$"))


@pytest.mark.parametrize("locale", LOCALES)
def test_a_newcomer_signs_up_joins_the_group_buy_takes_the_dutch_price_and_sees_the_close(
    locale, new_page, machina, deals, grocer, start_worker, beat
):
    start_worker()
    group, dutch = deals_topics(machina, deals, grocer)
    page = new_page(locale=locale)
    use_language(page, locale)
    expect(page.locator(".navbar")).to_contain_text(translated(locale, "Sign up"))
    sign_up(page, "newcomer")
    expect(page.locator(".site-account")).to_contain_text("newcomer")

    # The group-buy: the card on its topic, joined with the card's form.
    page.goto(group.get_absolute_url())
    card = page.locator(f"#offer-{group.pk}")
    expect(card.locator(".offer-status")).to_have_text(translated(locale, "Live"))
    card.locator("input[name=quantity]").fill("2")
    card.get_by_role("button", name=translated(locale, "Join"), exact=True).click()
    expect(card.locator(".claim-list .claim")).to_have_count(1)
    assert Claim.objects.get(offer=group, buyer__username="newcomer").quantity == 2

    # The Dutch auction: the price of the moment, one step down from the start.
    page.goto(dutch.get_absolute_url())
    card = page.locator(f"#offer-{dutch.pk}")
    expect(card.locator(".offer-price .price")).to_have_text(money(locale, "39.00"))
    card.get_by_role("button", name=translated(locale, "Buy now"), exact=True).click()
    order = Order.objects.get(offer=dutch, buyer__username="newcomer")  # reserved: its order's page, to pay
    expect(page.locator("h1 .order-number")).to_have_text(order.number)
    assert order.unit_price in (Decimal("39.00"), Decimal("38.00"))  # the minute may turn meanwhile
    expect(page.locator("dl.order-facts")).to_contain_text(money(locale, order.unit_price))

    # The worker closes the group-buy at its end: the card turns without a reload...
    page.goto(group.get_absolute_url())
    card = page.locator(f"#offer-{group.pk}")
    wait_ms = ((group.ends_at - timezone.now()).total_seconds() + 30) * 1000
    expect(card.locator(".offer-status")).to_have_text(translated(locale, "Succeeded"), timeout=wait_ms)
    assert Offer.objects.get(pk=group.pk).status == "succeeded"
    # ...and the topic tells it, in the reader's language.
    page.reload()
    event = translated(locale, "Group-buy succeeded: %(units)d units at %(price)s", units=4, price="17.90 EUR")
    expect(page.locator(".offer-events")).to_contain_text(event)
    expect(page.locator("h1")).to_have_text("Apple boxes together")


def test_on_a_phone_the_topic_list_and_post_badges_still_show(new_page, machina, deals, grocer):
    topic = machina.thread(author=grocer, category_id=deals, title="Tea tins")
    post_offer.create_offer(
        user=grocer, thread_id=topic, kind="flash_sale", title="Tea", description="", currency="EUR",
        starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=2), stock=10, per_user_limit=None,
        terms={"unit_price": "9.90", "reservation_minutes": 15},
    )  # fmt: skip
    phone = new_page(width=375, height=800)
    forum = get_model("forum", "Forum").objects.get(pk=deals)
    phone.goto(reverse("forum:forum", kwargs={"slug": forum.slug, "pk": forum.pk}))
    expect(phone.locator(".topiclist .cc-badges .offer-badge")).to_be_visible()
    expect(phone.locator(".topiclist .cc-topic-pages").first).to_be_hidden()
    phone.goto(get_adapter().thread_url(topic))
    expect(phone.locator(".post-sidebar .badge.merchant")).to_be_visible()
    expect(phone.locator(".post-sidebar .badge.merchant")).to_have_text("Merchant: Corner Grocer")
    desktop = new_page(width=1280)
    desktop.goto(get_adapter().thread_url(topic))
    expect(desktop.locator(".post-sidebar .badge.merchant")).to_be_visible()
