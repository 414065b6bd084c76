"""Sharing in the browser, in English and Simplified Chinese: a merchant drops coupons in a
thread and members take them until they are gone; a member shares a link, and a new
visitor who opens it signs up and joins, and the link counts the visit and the signup."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from community_commerce.models import Claim, Coupon, CouponGrant, Order, Referral, ShareLink
from community_commerce.services import coupons, links
from tests import factories as f
from tests.e2e.conftest import translated, use_language
from tests.e2e.test_deal_journeys import facts, money, session, verified_merchant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCALES = ["en", "zh-hans"]
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_merchant_drops_three_coupons_two_members_take_one_and_a_third_finds_them_gone(locale, new_page):
    merchant = verified_merchant("grocer", "Orchard Grocer")
    thread = f.commerce_thread(merchant, category_=f.category("Deals", commerce_enabled=True), title="Pears")
    offer = f.offer("flash_sale", merchant_=merchant, thread_=thread, title="Pear crate", stock=10)
    for name in ("ann", "ben", "cat", "dan"):
        f.user(name)

    # The merchant drops 3 coupons of 1.50 off from the card.
    seller = session(new_page, locale, "grocer")
    seller.goto(thread.get_absolute_url())
    card = seller.locator(f"#offer-{offer.pk}")
    card.locator(".merchant-coupons summary").click()
    card.locator("select[name=how]").select_option("handout")
    card.locator("input[name=value]").fill("1.50")
    card.locator("input[name=max_uses]").fill("3")
    card.get_by_role("button", name=translated(locale, "Create coupons"), exact=True).click()
    expect(seller.locator(".messages")).to_contain_text(translated(locale, "%(n)d coupons dropped in the thread.", n=3))
    coupon = Coupon.objects.get(offer=offer)
    assert (coupon.handout, coupon.max_uses, coupon.value) == (True, 3, Decimal("1.500"))

    # Ann and Ben take one each from the card; Ann buys with hers.
    for name in ("ann", "ben"):
        page = session(new_page, locale, name)
        page.goto(thread.get_absolute_url())
        mine = page.locator(f"#coupon-{coupon.pk}")
        mine.get_by_role("button", name=translated(locale, "Take one"), exact=True).click()
        expect(page.locator(f"#coupon-{coupon.pk}")).to_contain_text(
            translated(locale, "Yours: %(code)s", code=coupon.code)
        )
        if name == "ann":
            buy = page.locator(f"#offer-{offer.pk}-claim")
            expect(buy.locator("input[name=coupon]")).to_have_value(coupon.code)  # the form starts with it
            buy.get_by_role("button", name=translated(locale, "Buy now"), exact=True).click()
            shown = facts(page)
            assert shown[translated(locale, "Unit price")] == money(locale, "9.90")
            assert shown[translated(locale, "Discount")].startswith("−" + money(locale, "1.50"))
            assert shown[translated(locale, "Total")] == money(locale, "8.40")

    # Cat opens the thread while one is left; Dan takes the last one meanwhile (from the app).
    cat = session(new_page, locale, "cat")
    cat.goto(thread.get_absolute_url())
    expect(cat.locator(f"#coupon-{coupon.pk}")).to_contain_text(
        translated(locale, "%(counter)s left", plural="%(counter)s left", count=1, counter=1)
    )
    coupons.take(coupon_id=coupon.pk, member=get_user_model().objects.get(username="dan"))
    cat.locator(f"#coupon-{coupon.pk}").get_by_role("button", name=translated(locale, "Take one"), exact=True).click()
    expect(cat.locator(".messages")).to_contain_text(translated(locale, "All these coupons are gone."))
    expect(cat.locator(f"#coupon-{coupon.pk}")).to_contain_text(translated(locale, "All taken"))
    assert CouponGrant.objects.filter(coupon=coupon).count() == 3
    assert not CouponGrant.objects.filter(coupon=coupon, member__username="cat").exists()
    order = Order.objects.get(offer=offer)
    assert (order.buyer.username, order.discount, order.total) == ("ann", Decimal("1.50"), Decimal("8.40"))


@pytest.mark.parametrize("locale", LOCALES)
def test_a_member_shares_a_link_and_a_new_visitor_signs_up_through_it_and_joins(locale, new_page):
    merchant = verified_merchant("grocer", "Orchard Grocer")
    thread = f.commerce_thread(merchant, category_=f.category("Deals", commerce_enabled=True), title="Plums")
    offer = f.offer("group_buy", merchant_=merchant, thread_=thread, title="Plum box")
    bob = f.user("bob")

    # Bob shares the offer: one click on the card gives his link, to copy or as a QR code.
    sharer = session(new_page, locale, "bob")
    sharer.goto(thread.get_absolute_url())
    sharer.locator(f"#offer-{offer.pk} .offer-share button").click()
    expect(sharer.locator("h1")).to_have_text(translated(locale, "Share link"))
    url = sharer.locator("#share-url").input_value()
    link = ShareLink.objects.get(owner=bob)
    assert re.fullmatch(rf"http://[^/]+/r/{re.escape(link.code)}", url)
    expect(sharer.locator(".share-qr svg")).to_be_visible()
    expect(sharer.get_by_role("button", name=translated(locale, "Copy"), exact=True)).to_be_visible()

    # A newcomer opens it in their own browser, signs up and joins the group-buy.
    newcomer = new_page(locale=locale, user_agent=CHROME)
    use_language(newcomer, locale)
    newcomer.goto(url)
    assert newcomer.url.split("#")[0].endswith(thread.get_absolute_url())
    newcomer.goto(f"{reverse('account_signup')}?next={thread.get_absolute_url()}")
    newcomer.fill("input[name=username]", "newcomer")
    newcomer.fill("input[name=email]", "newcomer@example.com")
    newcomer.fill("input[name=password1]", "s3cret-Pass!")
    newcomer.fill("input[name=password2]", "s3cret-Pass!")
    newcomer.locator("form[action*='signup'] button[type=submit]").click()
    card = newcomer.locator(f"#offer-{offer.pk}")
    card.locator("input[name=quantity]").fill("2")
    card.get_by_role("button", name=translated(locale, "Join"), exact=True).click()
    expect(card.locator(".claim-list .claim")).to_have_count(1)
    joined = Claim.objects.get(offer=offer, buyer__username="newcomer")
    assert (joined.link_id, joined.channel) == (link.pk, "forum")
    assert Referral.objects.get(member=joined.buyer).referrer == bob

    # Bob's links count the visit, the visitor, the signup and the claim (after the sweeper's roll-up).
    links.flush_visits()
    sharer.goto(reverse("community_commerce:my_links"))
    row = sharer.locator(f"#link-{link.pk}")
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells == ["forum", "1", "1", "1", "1", "0", "—"], cells
    expect(sharer.locator("h1")).to_have_text(translated(locale, "My links"))
