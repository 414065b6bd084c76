"""Deals in the browser, in English and Simplified Chinese: a group-buy composed with a new
thread and closed by the real Celery worker, a flash sale that counts down by the server's
clock, opens and sells out, and a Dutch auction whose price falls on the card while a member
takes it. Every live change is watched on the page as it is, never reloaded."""

import math
import re
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from playwright.sync_api import expect

from community_commerce.kinds import get_kind
from community_commerce.models import Claim, Offer, Order
from community_commerce.money import format_money
from community_commerce.services import merchants, post_offer
from forum.models import Thread
from tests import factories as f
from tests.e2e.conftest import log_in, translated, use_language

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCALES = ["en", "zh-hans"]
NOT_RELOADED = "window.__e2eSamePage === true"  # set on a page, still there only if it was never reloaded
BROWSER_CLOCK_BEHIND = timedelta(hours=2)  # a countdown from this clock would read "2 h ..."


# --- helpers ---------------------------------------------------------------------------------


def verified_merchant(username, shop):
    """A member who applied to sell and was verified by staff, through the services."""
    seller = f.user(username)
    merchant = merchants.apply(user=seller, display_name=shop, contact="555-0100", payment_instructions="Cash or bank")
    assert merchants.verify(merchant=merchant)
    return merchant


def session(new_page, locale, username=None, *, wrong_clock=False):
    """A browser in ``locale`` (the browser's language and the site's language form), logged
    in as ``username`` unless None. With ``wrong_clock`` the browser's clock runs two hours
    late, so only a countdown taken from the server's clock can show the right time."""
    page = new_page(locale=locale)
    if wrong_clock:
        page.clock.install(time=datetime.now().astimezone() - BROWSER_CLOCK_BEHIND)
    use_language(page, locale)
    if username:
        log_in(page, username, f.PASSWORD)
    return page


def mark_page(page):
    page.evaluate("window.__e2eSamePage = true")


def money(locale, value):
    """A euro amount as the templates show it (``|money``) in ``locale``: €19.90."""
    with translation.override(locale):
        return format_money(Decimal(value), "EUR")


def amount(text) -> Decimal:
    return Decimal(re.search(r"\d+(?:[.,]\d+)?", text).group(0).replace(",", "."))


def minute_input(moment) -> str:
    """A datetime-local value in the site's time zone (settings.TIME_ZONE): what the form reads."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def facts(page, selector="dl.order-facts"):
    """A definition list as {term: description}, in the page's words."""
    return page.locator(selector).evaluate(
        """dl => Object.fromEntries([...dl.querySelectorAll('dt')].map(
               dt => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()]))"""
    )


def countdown_seconds(text) -> int:
    """ "00:07" or "0:02" (offer.js's form under an hour) -> seconds."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    assert match, f"not a minutes:seconds countdown: {text!r}"
    return int(match.group(1)) * 60 + int(match.group(2))


# --- 1. group-buy ----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_group_buy_composed_with_a_thread_succeeds_at_the_tier_price(locale, new_page, settings, start_worker, beat):
    settings.FORUM_FLOOD_SECONDS = settings.FORUM_NEW_MEMBER_FLOOD_SECONDS = 0
    start_worker()
    verified_merchant("grocer", "Orchard Grocer")
    deals = f.category("Deals", commerce_enabled=True)
    for name in ("ann", "ben"):
        f.user(name)

    seller = session(new_page, locale, "grocer")
    members = {name: session(new_page, locale, name) for name in ("ann", "ben")}

    # The merchant starts a thread with a group-buy attached.
    seller.goto(reverse("forum:new_thread", args=[deals.slug]))
    seller.fill("#id_title", "Apple boxes from the orchard")
    seller.fill("#id_body", "Late apples, picked on Friday. Join below!")
    composer = seller.locator("#offer-section")
    expect(composer.locator(".offer-composer-summary")).to_have_text(translated(locale, "Attach an offer"))
    composer.locator("summary").click()
    seller.check("#id_offer-attach")
    seller.select_option("#id_offer-kind", "group_buy")
    seller.fill("#id_offer-title", "Apple box, 5 kg")
    seller.fill("#id_offer-unit_price", "19.90")
    seller.fill("#id_offer-min_quantity", "3")
    seller.fill("#id_offer-tiers", "4 17.90")
    # datetime-local inputs step by whole minutes (a value with seconds is refused by the
    # browser), so the end is the first minute boundary leaving the members time to join.
    now = timezone.now()
    starts = now.replace(second=0, microsecond=0)  # in the past: it opens at once
    ends = starts + timedelta(minutes=1 if (starts + timedelta(minutes=1) - now).total_seconds() >= 10 else 2)
    seller.fill("#id_offer-starts_at", minute_input(starts))
    seller.fill("#id_offer-ends_at", minute_input(ends))
    seller.get_by_role("button", name=translated(locale, "Start thread"), exact=True).click()

    card = seller.locator(".offer-card")
    expect(card).to_be_visible()
    thread = Thread.objects.get(title="Apple boxes from the orchard")
    offer = Offer.objects.get(thread_id=thread.pk)
    assert (offer.kind, offer.starts_at, offer.ends_at) == ("group_buy", starts, ends)  # read in the site's zone
    assert offer.terms["tiers"] == [{"min_quantity": 4, "unit_price": "17.90"}]
    assert seller.url.split("#")[0].endswith(thread.get_absolute_url())
    expect(card.locator(".offer-status")).to_have_text(translated(locale, "Live"))
    expect(card.locator(".offer-price .price")).to_have_text(money(locale, "19.90"))
    mark_page(seller)

    # Two members join from the thread page, 2 units each: 4 units reach the tier.
    # Each claim shows the price its own units reach: Ann's 2 the base, Ben's 2 more the tier.
    for page, price in zip(members.values(), ("19.90", "17.90"), strict=True):
        page.goto(thread.get_absolute_url())
        mine = page.locator(f"#offer-{offer.pk}")
        mine.locator("input[name=quantity]").fill("2")
        mine.get_by_role("button", name=translated(locale, "Join"), exact=True).click()
        expect(mine.locator(".claim-list .claim")).to_have_count(1)
        expect(mine.locator(".claim-what")).to_have_text(
            translated(locale, "%(quantity)s × %(price)s", same_as_english_ok=True,
                       quantity=2, price=money(locale, price))
        )  # fmt: skip
        mark_page(page)
    assert timezone.now() < ends, "the members joined too late: the machine is too slow for this journey"
    assert sorted(Claim.objects.filter(offer=offer).values_list("quantity", flat=True)) == [2, 2]

    # Nobody reloads: the worker and beat close it at its end and every card turns "succeeded".
    wait_ms = ((ends - timezone.now()).total_seconds() + 30) * 1000
    outcome = strip_tags(
        translated(
            locale,
            "<strong>Succeeded:</strong> %(units)s unit at %(price)s.",
            plural="<strong>Succeeded:</strong> %(units)s units at %(price)s.",
            count=4,
            units=4,
            price=money(locale, "17.90"),
        )
    )
    for page in (*members.values(), seller):
        live = page.locator(f"#offer-{offer.pk}")
        expect(live.locator(".offer-status")).to_have_text(translated(locale, "Succeeded"), timeout=wait_ms)
        expect(live.locator(".offer-outcome")).to_contain_text(" ".join(outcome.split()))
        expect(live.locator(".offer-outcome")).to_contain_text(translated(locale, "Every buyer pays this price."))
        expect(live.locator(".offer-price-label")).to_have_text(translated(locale, "Final price"))
        expect(live.locator(".offer-price .price")).to_have_text(money(locale, "17.90"))
        assert page.evaluate(NOT_RELOADED), "the page was reloaded"
        wait_ms = 10_000  # the others were polling all along
    offer.refresh_from_db()
    assert (offer.status, offer.result_unit_price) == ("succeeded", Decimal("17.90"))
    orders = {o.buyer.username: o for o in Order.objects.filter(offer=offer).select_related("buyer")}
    assert {name: (o.quantity, o.unit_price, o.total) for name, o in orders.items()} == {
        "ann": (2, Decimal("17.90"), Decimal("35.80")),
        "ben": (2, Decimal("17.90"), Decimal("35.80")),
    }

    # Ann opens My deals from the header: her order at the tier price, 35.80 in all.
    ann = members["ann"]
    ann.get_by_role("link", name=translated(locale, "My deals"), exact=True).click()
    expect(ann.locator("h1")).to_have_text(translated(locale, "My deals"))
    expect(ann.locator("#deals-pending")).to_contain_text(translated(locale, "Waiting for your payment"))
    row = ann.locator(f"#claim-{orders['ann'].claim_id}")
    expect(row.locator(".order-number")).to_have_text(orders["ann"].number)
    expect(row.locator("td").nth(0)).to_have_text("2")
    expect(row.locator("td").nth(1)).to_contain_text(money(locale, "35.80"))
    expect(row.locator("td").nth(1)).to_contain_text(translated(locale, "%(price)s each", price=money(locale, "17.90")))
    expect(row.locator(".order-status")).to_have_text(translated(locale, "Waiting for payment"))

    # Ben follows the order link on the card: the order's page says the same.
    ben = members["ben"]
    ben.locator(f"#offer-{offer.pk} a.claim-order").click()
    expect(ben.locator("h1 .order-number")).to_have_text(orders["ben"].number)
    shown = facts(ben)
    assert shown[translated(locale, "Quantity")] == "2"
    assert shown[translated(locale, "Unit price")] == money(locale, "17.90")
    assert shown[translated(locale, "Total")] == money(locale, "35.80")
    assert shown[translated(locale, "Status")] == translated(locale, "Waiting for payment")


# --- 2. flash sale ---------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_flash_sale_counts_down_by_the_server_clock_opens_and_sells_out(locale, new_page, start_worker, beat):
    start_worker()
    merchant = verified_merchant("baker", "Corner Bakery")
    thread = f.commerce_thread(merchant, title="Sourdough Saturday")
    for name in ("cara", "dev"):
        f.user(name)
    cara = session(new_page, locale, "cara", wrong_clock=True)
    dev = session(new_page, locale, "dev")

    starts = timezone.now() + timedelta(seconds=8)
    offer = post_offer.create_offer(
        user=merchant.user, thread_id=thread.pk, kind="flash_sale", title="Sourdough loaf", description="",
        currency="EUR", starts_at=starts, ends_at=starts + timedelta(minutes=10), stock=3, per_user_limit=3,
        terms={"unit_price": "4.50", "reservation_minutes": 15},
    )  # fmt: skip

    # Before the start: scheduled, and the countdown ticks by the server's clock (the
    # browser's runs two hours late: a countdown from it would read "2 h 00 min").
    cara.goto(thread.get_absolute_url())
    card = cara.locator(f"#offer-{offer.pk}")
    mark_page(cara)
    expect(card.locator(".offer-status")).to_have_text(translated(locale, "Scheduled"))
    expect(card.locator(".clock-label")).to_have_text(translated(locale, "Starts in"))
    expect(card.get_by_role("button", name=translated(locale, "Remind me"), exact=True)).to_be_visible()
    expect(card.locator("form.offer-claim")).to_have_count(0)
    countdown = card.locator(".offer-clock .countdown")
    readings = []
    for _ in range(2):
        if readings:
            time.sleep(1)  # a second apart
        text = countdown.inner_text()
        left = (starts - timezone.now()).total_seconds()
        readings.append(text)
        assert re.fullmatch(r"\d\d:\d\d", text), f"countdown {text!r}"
        assert abs(countdown_seconds(text) - left) <= 1.5, f"countdown {text!r} with {left:.1f}s to go on the server"
    assert readings[0] != readings[1], f"the countdown stood still: {readings}"
    assert countdown_seconds(readings[1]) < countdown_seconds(readings[0])

    # The start comes: the card opens by itself, the claim form appears.
    expect(card.locator("form.offer-claim")).to_be_visible(timeout=20_000)
    expect(card.locator(".offer-status")).to_have_text(translated(locale, "Live"))
    expect(card.locator(".offer-stock")).to_contain_text("3")
    assert cara.evaluate(NOT_RELOADED), "the page was reloaded"

    # Cara buys 2: a reservation with an order waiting for payment.
    card.locator("input[name=quantity]").fill("2")
    card.get_by_role("button", name=translated(locale, "Buy now"), exact=True).click()
    expect(cara.locator("h1 .order-number")).to_be_visible()  # the claim is made: its order's page
    first = Order.objects.get(offer=offer, buyer__username="cara")
    expect(cara.locator("h1 .order-number")).to_have_text(first.number)
    assert facts(cara)[translated(locale, "Total")] == money(locale, "9.00")

    # Back on the thread, she watches the card while Dev takes the last loaf.
    cara.locator(".page-head .lead a").click()
    expect(card.locator(".claim-what")).to_have_text(
        translated(
            locale,
            "%(quantity)s × %(price)s",
            same_as_english_ok=True,
            quantity=2,
            price=money(locale, "4.50"),
        )
    )
    expect(card.locator(".offer-stock strong")).to_have_text("1")
    mark_page(cara)
    dev.goto(thread.get_absolute_url())
    dev.locator(f"#offer-{offer.pk} input[name=quantity]").fill("1")
    dev.locator(f"#offer-{offer.pk}").get_by_role("button", name=translated(locale, "Buy now"), exact=True).click()
    expect(dev.locator("h1 .order-number")).to_be_visible()
    last = Order.objects.get(offer=offer, buyer__username="dev")
    expect(dev.locator("h1 .order-number")).to_have_text(last.number)
    assert (last.quantity, last.total) == (1, Decimal("4.50"))
    expect(dev.locator("#pay-heading")).to_have_text(translated(locale, "How to pay"))

    # Cara's card turns "sold out" by itself: no form any more, her order stays listed.
    expect(card.locator(".offer-status")).to_have_text(translated(locale, "Sold out"), timeout=15_000)
    expect(card.locator(".offer-outcome")).to_have_text(
        translated(locale, "Sold out for now. Units come back on sale if a reservation is not paid in time.")
    )
    expect(card.locator("form.offer-claim")).to_have_count(0)
    expect(card.locator("a.claim-order")).to_have_text(translated(locale, "Order %(number)s", number=first.number))
    assert cara.evaluate(NOT_RELOADED), "the page was reloaded"
    offer.refresh_from_db()
    assert (offer.status, offer.sold, offer.stock_left) == ("sold_out", 3, 0)


# --- 3. Dutch auction ------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_dutch_auction_price_falls_on_the_card_and_a_member_takes_the_price_shown(locale, new_page):
    merchant = verified_merchant("dealer", "Attic Antiques")
    thread = f.commerce_thread(merchant, title="Clearing the attic")
    f.user("eve")
    eve = session(new_page, locale, "eve", wrong_clock=True)
    visitor = session(new_page, locale)  # not logged in: watches the card

    offer = post_offer.create_offer(
        user=merchant.user, thread_id=thread.pk, kind="dutch_auction", title="Brass lamp", description="",
        currency="EUR", starts_at=timezone.now(), ends_at=timezone.now() + timedelta(minutes=10), stock=5,
        per_user_limit=None, terms={"start_price": "20.00", "floor_price": "10.00", "step": "1.00", "step_seconds": 3},
    )  # fmt: skip
    kind = get_kind("dutch_auction")
    grid = {Decimal(20) - n for n in range(11)}  # 20.00, 19.00 ... 10.00

    def server_prices():
        """The prices of the last two seconds on the server (a page read now was made in them)."""
        now = timezone.now()
        return {kind.unit_price(offer, now - timedelta(seconds=2)), kind.unit_price(offer, now)}

    eve.goto(thread.get_absolute_url())
    mark_page(eve)
    card = eve.locator(f"#offer-{offer.pk}")
    price = card.locator(".offer-price .price")
    expect(card.locator(".offer-status")).to_have_text(translated(locale, "Live"))
    expect(card.locator(".offer-price-label")).to_have_text(translated(locale, "Price now"))
    first = amount(price.inner_text())
    assert first in grid and first in server_prices(), f"shown {first}"
    assert price.inner_text() == money(locale, first)

    # Without a reload the price falls (a drop every 3 s).
    started = time.monotonic()
    eve.wait_for_function(
        "([sel, shown]) => parseFloat(document.querySelector(sel).textContent.replace(/[^0-9.]/g, '')) < shown",
        arg=[f"#offer-{offer.pk} .offer-price .price", float(first)],
        timeout=8_000,
    )
    second = amount(price.inner_text())
    assert second < first and second in grid, f"{first} -> {second}"
    assert time.monotonic() - started <= 7.5
    assert eve.evaluate(NOT_RELOADED), "the page was reloaded"

    # The next price and the countdown to the next drop, by the server's clock (the
    # browser's runs two hours late).
    drop = card.locator(".offer-next-drop")
    expect(drop.locator("dt")).to_have_text(translated(locale, "Next price"))
    expect(drop.locator("dd")).to_contain_text(translated(locale, "next drop in"))
    expect(drop.locator("dd")).to_contain_text(translated(locale, "at", context="next price at a time"))
    expect(drop.locator(".countdown")).to_have_text(re.compile(r"^0:0[0-3]$"))

    # Eve takes the price of the moment: she clicks while the card shows a fresh drop (a
    # second or more on the countdown), so the price she sees is the price the server charges.
    eve.wait_for_function(
        "sel => ['0:03', '0:02'].includes(document.querySelector(sel)?.textContent.trim())",
        arg=f"#offer-{offer.pk} .offer-next-drop .countdown",
        timeout=8_000,
        polling=50,
    )
    shown = amount(price.inner_text())
    next_shown = amount(drop.locator("dd").inner_text())
    assert next_shown == shown - Decimal("1.00")
    expect(drop.locator("dd")).to_contain_text(money(locale, next_shown))
    card.get_by_role("button", name=translated(locale, "Buy now"), exact=True).click()
    expect(eve.locator("h1 .order-number")).to_be_visible()
    order = Order.objects.get(offer=offer, buyer__username="eve")
    expect(eve.locator("h1 .order-number")).to_have_text(order.number)
    assert order.unit_price == shown, f"shown {shown}, charged {order.unit_price}"
    assert Decimal("10.00") <= order.unit_price <= Decimal("20.00") and order.unit_price in grid
    steps = math.floor((order.claim.created_at - offer.starts_at).total_seconds() / 3)
    assert order.unit_price == kind.price_after(offer, steps)
    shown_facts = facts(eve)
    assert shown_facts[translated(locale, "Unit price")] == money(locale, shown)
    assert shown_facts[translated(locale, "Total")] == money(locale, shown)

    # The visitor's card shows the auction still running, with the way in.
    visitor.goto(thread.get_absolute_url())
    watched = visitor.locator(f"#offer-{offer.pk}")
    expect(watched.locator(".offer-status")).to_contain_text(translated(locale, "Live"))
    expect(watched.get_by_role("link", name=translated(locale, "Log in to join"), exact=True)).to_be_visible()
    expect(watched.locator(".offer-stock strong")).to_have_text("4")
