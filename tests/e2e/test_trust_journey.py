"""Buyer protection in the browser, in English and Simplified Chinese: bob disputes a shipped
order, the merchant answers on the dispute's page, staff refund it, and the shop's
reputation on the offer card changes while a visitor watches (never reloaded)."""

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from community_commerce.models import Dispute, Order
from community_commerce.services import reputation
from community_commerce.templatetags.commerce import commerce_percent
from forum.models import Thread
from tests import factories as f
from tests.commerce.trust_support import Shop
from tests.e2e.conftest import log_in, translated, use_language

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
S = Order.Status
NOT_RELOADED = "window.__e2eSamePage === true"


def session(new_page, locale, username=None):
    page = new_page(locale=locale)
    use_language(page, locale)
    if username:
        log_in(page, username, f.PASSWORD)
    return page


def refunded_share(locale, rate):
    with translation.override(locale):
        shown = commerce_percent(rate)
    return translated(locale, "%(rate)s refunded after a dispute", rate=shown)


@pytest.mark.parametrize("locale", ["en", "zh-hans"])
def test_bob_disputes_the_merchant_answers_staff_refund_and_the_card_changes(locale, new_page):
    shop = Shop(stock=10, buyer="bob")
    shop.order(S.COMPLETED)
    order = shop.order(S.SHIPPED, quantity=2)
    reputation.refresh(shop.merchant.pk)
    thread = Thread.objects.get(pk=shop.offer.thread_id)

    visitor = session(new_page, locale)
    visitor.goto(thread.get_absolute_url())
    card = visitor.locator(f"#offer-{shop.offer.pk}")
    expect(card.locator(".reputation-disputes")).to_have_text(refunded_share(locale, "0"))
    visitor.evaluate("window.__e2eSamePage = true")

    # Bob opens a dispute from his order's page.
    bob = session(new_page, locale, "bob")
    bob.goto(reverse("community_commerce:order", args=[order.pk]))
    bob.get_by_role("link", name=translated(locale, "Open a dispute"), exact=True).click()
    bob.get_by_label(translated(locale, "Not received"), exact=True).check()
    bob.fill("#id_details", "Shipped ten days ago, nothing has arrived.")
    bob.get_by_role("button", name=translated(locale, "Open the dispute"), exact=True).click()
    dispute = Dispute.objects.get(order=order)
    expect(bob).to_have_url(f"{bob.url.split('/deals/')[0]}{reverse('community_commerce:dispute', args=[dispute.pk])}")
    expect(bob.locator(".dispute-status")).to_have_text(translated(locale, "Open", context="dispute status"))
    expect(bob.locator(".dispute-details")).to_have_text("Shipped ten days ago, nothing has arrived.")
    order.refresh_from_db()
    assert order.status == S.DISPUTED

    # The merchant answers on the dispute's page.
    seller = session(new_page, locale, "seller")
    seller.goto(reverse("community_commerce:dispute", args=[dispute.pk]))
    seller.fill("#id_body", "So sorry, the parcel was lost. Please refund bob.")
    seller.get_by_role("button", name=translated(locale, "Send"), exact=True).click()
    expect(seller.locator(".dispute-message")).to_have_count(1)
    expect(
        seller.locator(f"form[action='{reverse('community_commerce:dispute_resolve', args=[dispute.pk])}']")
    ).to_have_count(0)
    bob.reload()
    expect(bob.locator(".dispute-message")).to_contain_text("So sorry, the parcel was lost.")

    # Staff refund it.
    staff = session(new_page, locale, "staffer")
    staff.goto(reverse("community_commerce:dispute", args=[dispute.pk]))
    staff.get_by_label(translated(locale, "Refund: the order is refunded and its units go back"), exact=True).check()
    staff.fill("#id_reason", "The merchant agrees: lost in the post.")
    staff.get_by_role("button", name=translated(locale, "Settle"), exact=True).click()
    expect(staff.locator(".dispute-outcome")).to_contain_text(translated(locale, "Settled: the order is refunded."))
    order.refresh_from_db()
    shop.offer.refresh_from_db()
    assert (order.status, shop.offer.sold) == (S.REFUNDED, 1)

    # The visitor's card, never reloaded, shows the refund in the shop's reputation.
    expect(card.locator(".reputation-disputes")).to_have_text(refunded_share(locale, "0.5"), timeout=20_000)
    assert visitor.evaluate(NOT_RELOADED), "the page was reloaded"
    bob.goto(reverse("community_commerce:order", args=[order.pk]))
    expect(bob.locator("h1 .order-status")).to_have_text(translated(locale, "Refunded"))
