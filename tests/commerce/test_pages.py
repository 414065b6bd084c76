"""The commerce plugin's server-rendered pages: offer cards in threads, the forms
members and merchants use (submitted as a browser would, from the rendered HTML),
orders, the merchant's dashboard and application. Data is built through the services."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community_commerce.models import Claim, Merchant, Offer, OfferReminder, Order, OrderEvent
from community_commerce.services import claim as claim_service
from community_commerce.services import lifecycle, merchants, post_offer
from tests import factories as f

pytestmark = pytest.mark.django_db

PAY_HOW = "Bank transfer to NL00 TEST 0123 4567 89, your order number as reference."

TERMS = {
    "group_buy": {"unit_price": "19.90", "min_quantity": 10, "tiers": [{"min_quantity": 30, "unit_price": "17.90"}]},
    "flash_sale": {"unit_price": "9.90", "reservation_minutes": 15},
    "dutch_auction": {"start_price": "100.00", "floor_price": "40.00", "step": "5.00", "step_seconds": 60},
}


# --- data, through the services ------------------------------------------------------------------


@pytest.fixture
def shop(db):
    """A verified merchant (``shop.user`` sells), verified by staff through the service."""
    seller = f.user("seller")
    merchant = merchants.apply(
        user=seller, display_name="Corner Shop", contact="1 Market Street, 555-0100", payment_instructions=PAY_HOW
    )
    merchants.verify(merchant=merchant, actor=f.staff("staffer"), reason="known shop")
    return merchant


@pytest.fixture
def deals(shop):
    return f.commerce_thread(shop, category_=f.category("Deals", commerce_enabled=True), title="Corner shop deals")


def post(shop, thread, kind, *, start=None, lasts=timedelta(days=1), stock="default", terms=None, **extra):
    """An offer posted by the merchant; live since a minute ago unless ``start`` says otherwise."""
    start = start or timezone.now() - timedelta(minutes=1)
    if stock == "default":
        stock = None if kind == "group_buy" else 10
    return post_offer.create_offer(
        user=shop.user,
        thread_id=thread.pk,
        kind=kind,
        title=extra.pop("title", f"Test {kind.replace('_', ' ')}"),
        description=extra.pop("description", "Pick up on Saturday."),
        currency="EUR",
        starts_at=start,
        ends_at=start + lasts,
        stock=stock,
        per_user_limit=extra.pop("per_user_limit", None),
        terms=terms or TERMS[kind],
    )


def take(offer, member, quantity):
    claim, _created = claim_service.claim(offer_id=offer.pk, buyer=member, quantity=quantity)
    return claim


def logged_in(member):
    client = Client()
    client.force_login(member)
    return client


# --- reading pages -------------------------------------------------------------------------------


def thread_page(client, thread):
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def card(html, offer):
    """The HTML of one offer's card."""
    start = html.index(f'<article id="offer-{offer.pk}"')
    return html[start : html.index("</article>", start)]


def text(html):
    """Visible text, whitespace collapsed, entities decoded: what a reader reads."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def field_block(html, name):
    """The wrapper of one form field: label, help, errors and input."""
    start = html.index(f'id="field-{name}"')
    return html[start : html.index("</div>", start)]


def messages_of(html):
    return [text(m) for m in re.findall(r'<p class="message message-\w+"[^>]*>(.*?)</p>', html, flags=re.S)]


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self._form, self._textarea, self._button = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action"), "method": attrs.get("method"), "fields": {}, "inputs": {}}
            self._form["buttons"] = []
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name"):
            self._form["fields"][attrs["name"]] = attrs.get("value") or ""
            self._form["inputs"][attrs["name"]] = attrs
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            self._form["fields"][self._textarea] = ""
        elif tag == "button":
            self._button = ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._form["fields"][self._textarea] += data
        if self._button is not None:
            self._button += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button" and self._button is not None:
            self._form["buttons"].append(" ".join(self._button.split()))
            self._button = None


def forms(html):
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_to(html, action):
    """The one form in ``html`` that posts to ``action``."""
    found = [form for form in forms(html) if form["action"] == action]
    assert len(found) == 1, f"{len(found)} forms post to {action}"
    return found[0]


def submit(client, form, **values):
    """Send a rendered form as a browser would: its fields, some filled in by the member."""
    assert form["method"] == "post"
    data = {**form["fields"], **{k: str(v) for k, v in values.items()}}
    return client.post(form["action"], data)


# --- the offer cards -----------------------------------------------------------------------------


def test_thread_page_shows_each_kind_of_offer_with_its_live_numbers(client, shop, deals):
    group_buy = post(shop, deals, "group_buy", title="Apples, 5 kg box")
    take(group_buy, f.user("ann"), 4)
    take(group_buy, f.user("ben"), 3)
    flash = post(shop, deals, "flash_sale", title="Strawberry punnets", stock=10, per_user_limit=4)
    take(flash, f.user("cat"), 4)
    dutch_start = timezone.now().replace(microsecond=0) - timedelta(seconds=150)
    dutch = post(shop, deals, "dutch_auction", title="Pumpkin crate", start=dutch_start, stock=5)

    client.force_login(f.user("reader"))
    html = thread_page(client, deals)

    gb = card(html, group_buy)
    assert "Group-buy" in gb and "Apples, 5 kg box" in gb and "Corner Shop" in text(gb)
    assert "Live" in text(gb)
    assert "€19.90" in text(gb)
    assert "7 of 10 units committed" in text(gb)
    assert re.search(r'<progress[^>]*max="10" value="7"', gb)
    assert "2 buyers" in text(gb)
    assert re.search(r'<li class="is-current">\s*<span class="tier-units">Base price', gb)
    assert "From 30 units €17.90" in text(gb)
    assert "23 more for €17.90 each" in text(gb)
    assert f'<time datetime="{timezone.localtime(group_buy.ends_at).isoformat()}"' in gb
    assert "Pick up on Saturday." in gb

    fs = card(html, flash)
    assert "Flash sale" in fs and "Strawberry punnets" in fs
    assert "€9.90" in text(fs)
    assert "6 of 10 left" in text(fs)
    assert "At most 4 per member." in text(fs)

    da = card(html, dutch)
    assert "Dutch auction" in da and "Pumpkin crate" in da
    assert "Price now €90.00" in text(da)  # two steps of 5.00 after 150 s
    assert "Next price €85.00 at" in text(da)
    next_at = timezone.localtime(dutch_start + timedelta(seconds=180)).isoformat()
    assert f'<time datetime="{next_at}"' in da
    assert "Floor price €40.00" in text(da)
    assert "5 of 5 left" in text(da)


def test_the_tier_reached_is_highlighted_and_the_next_one_announced(client, shop, deals):
    terms = {**TERMS["group_buy"], "tiers": [{"min_quantity": 30, "unit_price": "17.90"}, {"min_quantity": 50, "unit_price": "15.90"}]}  # fmt: skip
    group_buy = post(shop, deals, "group_buy", terms=terms)
    take(group_buy, f.user(), 20)
    take(group_buy, f.user(), 12)
    gb = card(thread_page(client, deals), group_buy)
    assert "Price now €17.90" in text(gb)
    assert re.search(r'<li class="is-current">\s*<span class="tier-units">From 30 units', gb)
    assert len(re.findall(r'class="is-current"', gb)) == 1
    assert "18 more for €15.90 each" in text(gb)
    assert "Goal reached" in text(gb)


def test_anonymous_readers_are_asked_to_log_in_and_get_no_forms(client, shop, deals):
    offer = post(shop, deals, "flash_sale")
    html = card(thread_page(client, deals), offer)
    assert "Log in to join" in html
    assert reverse("account_login") in html
    assert forms(html) == []


def test_the_merchant_gets_a_cancel_form_and_no_claim_form(shop, deals):
    offer = post(shop, deals, "group_buy")
    html = thread_page(logged_in(shop.user), deals)
    mine = card(html, offer)
    cancel = form_to(mine, reverse("community_commerce:cancel", args=[offer.pk]))
    assert "required" in cancel["inputs"]["reason"]
    assert not [x for x in forms(mine) if x["action"] == reverse("community_commerce:claim", args=[offer.pk])]
    assert f'href="{reverse("community_commerce:new_offer")}?thread={deals.pk}"' in html  # may_add

    member_view = card(thread_page(logged_in(f.user()), deals), offer)
    assert reverse("community_commerce:cancel", args=[offer.pk]) not in member_view
    assert "Add an offer" not in thread_page(logged_in(f.user()), deals)


# --- joining, withdrawing, buying ----------------------------------------------------------------


def test_a_member_joins_a_group_buy_from_the_thread_page_then_withdraws(shop, deals):
    offer = post(shop, deals, "group_buy", per_user_limit=5)
    buyer = f.user("buyer")
    client = logged_in(buyer)

    join = form_to(card(thread_page(client, deals), offer), reverse("community_commerce:claim", args=[offer.pk]))
    assert join["buttons"] == ["Join"]
    assert join["fields"]["idempotency_key"]
    assert join["inputs"]["quantity"]["min"] == "1" and join["inputs"]["quantity"]["max"] == "5"
    response = submit(client, join, quantity=3)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#offer-{offer.pk}")
    claim = Claim.objects.get(offer=offer, buyer=buyer)
    assert (claim.quantity, claim.status) == (3, Claim.Status.ACTIVE)
    offer.refresh_from_db()
    assert offer.sold == 3

    html = client.get(response["Location"], follow=True).content.decode()
    assert any("You joined" in m for m in messages_of(html))
    mine = card(html, offer)
    assert "Your claims" in mine and "3 × €19.90" in text(mine) and "Committed" in mine
    assert "3 of 10 units committed" in text(mine)
    withdraw = form_to(mine, reverse("community_commerce:withdraw", args=[claim.pk]))

    response = submit(client, withdraw)
    assert response["Location"].endswith(f"#offer-{offer.pk}")
    claim.refresh_from_db()
    offer.refresh_from_db()
    assert claim.status == Claim.Status.WITHDRAWN and offer.sold == 0
    after = card(thread_page(client, deals), offer)
    assert "0 of 10 units committed" in text(after) and "Withdrawn" in after
    assert reverse("community_commerce:withdraw", args=[claim.pk]) not in after


def test_the_same_claim_form_sent_twice_takes_units_once(shop, deals):
    offer = post(shop, deals, "group_buy")
    client = logged_in(f.user())
    join = form_to(card(thread_page(client, deals), offer), reverse("community_commerce:claim", args=[offer.pk]))
    submit(client, join, quantity=2)
    submit(client, join, quantity=2)  # a double click
    offer.refresh_from_db()
    assert offer.sold == 2 and Claim.objects.filter(offer=offer).count() == 1
    # A fresh page gives a fresh key: a second, deliberate claim counts.
    again = form_to(card(thread_page(client, deals), offer), reverse("community_commerce:claim", args=[offer.pk]))
    assert again["fields"]["idempotency_key"] != join["fields"]["idempotency_key"]
    submit(client, again, quantity=1)
    offer.refresh_from_db()
    assert offer.sold == 3


def test_a_member_buys_a_flash_sale_and_lands_on_the_order_page(shop, deals):
    offer = post(shop, deals, "flash_sale", stock=10)
    buyer = f.user("buyer")
    client = logged_in(buyer)
    buy = form_to(card(thread_page(client, deals), offer), reverse("community_commerce:claim", args=[offer.pk]))
    assert buy["buttons"] == ["Buy now"]

    response = submit(client, buy, quantity=2)
    order = Order.objects.get(buyer=buyer)
    assert response["Location"] == reverse("community_commerce:order", args=[order.pk])
    page = client.get(response["Location"]).content.decode()
    assert order.number in page
    pay = page[page.index('class="pay-box"') : page.index("</section>", page.index('class="pay-box"'))]
    assert PAY_HOW in pay and "€19.80" in pay and order.number in pay
    assert f'<time datetime="{timezone.localtime(order.payment_due_at).isoformat()}"' in pay
    assert "Total €19.80" in text(page) and "Waiting for payment" in page

    mine = card(thread_page(client, deals), offer)
    assert "8 of 10 left" in text(mine)
    assert f'href="{reverse("community_commerce:order", args=[order.pk])}"' in mine and order.number in mine


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("quantity_zero", "Give a quantity of at least 1."),
        ("above_the_limit", "At most 2 per member."),
        ("before_the_start", "This offer has not started yet."),
    ],
)
def test_a_refused_claim_shows_why_and_changes_nothing(shop, deals, case, message):
    start = timezone.now() + timedelta(hours=1) if case == "before_the_start" else None
    offer = post(shop, deals, "flash_sale", per_user_limit=2, start=start)
    client = logged_in(f.user())
    quantity = {"quantity_zero": 0, "above_the_limit": 3, "before_the_start": 1}[case]

    response = client.post(
        reverse("community_commerce:claim", args=[offer.pk]), {"quantity": quantity, "idempotency_key": "k1"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#offer-{offer.pk}")
    html = client.get(response["Location"], follow=True).content.decode()
    assert message in messages_of(html)
    assert re.search(r'class="message message-error" role="alert"', html)
    offer.refresh_from_db()
    assert offer.sold == 0
    assert not Claim.objects.exists() and not Order.objects.exists()


def test_a_scheduled_offer_offers_remind_me_instead_of_a_claim_form(shop, deals):
    offer = post(shop, deals, "flash_sale", start=timezone.now() + timedelta(hours=2))
    member = f.user()
    client = logged_in(member)
    scheduled = card(thread_page(client, deals), offer)
    assert "Scheduled" in scheduled
    assert reverse("community_commerce:claim", args=[offer.pk]) not in scheduled
    remind = form_to(scheduled, reverse("community_commerce:remind", args=[offer.pk]))
    assert remind["buttons"] == ["Remind me"]
    html = client.get(submit(client, remind)["Location"], follow=True).content.decode()
    assert "We will tell you when it opens." in messages_of(html)
    assert OfferReminder.objects.filter(offer=offer, user=member).exists()


def test_the_merchant_cancels_an_offer_from_its_card_with_a_reason(shop, deals):
    offer = post(shop, deals, "group_buy")
    buyer = f.user()
    claim = take(offer, buyer, 2)
    client = logged_in(shop.user)
    cancel = form_to(card(thread_page(client, deals), offer), reverse("community_commerce:cancel", args=[offer.pk]))

    html = client.get(submit(client, cancel, reason="")["Location"], follow=True).content.decode()
    assert "Tell the buyers why you cancel." in messages_of(html)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.LIVE

    submit(client, cancel, reason="The orchard lost its harvest to hail")
    offer.refresh_from_db()
    claim.refresh_from_db()
    assert offer.status == Offer.Status.CANCELLED and claim.status == Claim.Status.RELEASED
    buyer_view = card(thread_page(logged_in(buyer), deals), offer)
    assert "Cancelled" in buyer_view and "The orchard lost its harvest to hail" in buyer_view
    assert forms(buyer_view) == []  # no claim form, no withdraw button
    assert reverse("community_commerce:cancel", args=[offer.pk]) not in card(thread_page(client, deals), offer)


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_a_closed_group_buy_shows_its_outcome(shop, deals, outcome):
    offer = post(shop, deals, "group_buy", lasts=timedelta(hours=1))
    buyer = f.user()
    if outcome == "succeeded":
        take(offer, buyer, 20)
        take(offer, f.user(), 16)
    else:
        take(offer, buyer, 4)
    assert lifecycle.close_offer(offer_id=offer.pk, now=offer.ends_at + timedelta(seconds=1))

    html = card(thread_page(logged_in(buyer), deals), offer)
    assert forms(html) == []
    if outcome == "succeeded":
        assert "Succeeded: 36 units at €17.90." in text(html)
        order = Order.objects.get(buyer=buyer)
        assert f'href="{reverse("community_commerce:order", args=[order.pk])}"' in html
    else:
        assert "Failed: 4 of 10 units committed." in text(html)
        assert "Released" in html


# --- posting offers ------------------------------------------------------------------------------


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def offer_data(thread, kind, **changes):
    now = timezone.now()
    data = {
        "thread": thread.pk,
        "kind": kind,
        "title": "My typed title",
        "description": "Typed description that must survive an error.",
        "currency": "EUR",
        "starts_at": _local(now - timedelta(minutes=5)),
        "ends_at": _local(now + timedelta(days=2)),
        "stock": "" if kind == "group_buy" else "12",
        "per_user_limit": "3",
        "unit_price": "",
        "min_quantity": "",
        "tiers": "",
        "reservation_minutes": "15",
        "start_price": "",
        "floor_price": "",
        "step": "",
        "step_seconds": "",
    }
    data.update(
        {
            "group_buy": {"unit_price": "19.90", "min_quantity": "10", "tiers": "30 17.90\n50 15.90"},
            "flash_sale": {"unit_price": "9.90", "reservation_minutes": "20"},
            "dutch_auction": {"start_price": "100", "floor_price": "40", "step": "5", "step_seconds": "60"},
        }[kind]
    )
    data.update(changes)
    return data


EXPECTED_TERMS = {
    "group_buy": {
        "unit_price": "19.90",
        "min_quantity": 10,
        "tiers": [{"min_quantity": 30, "unit_price": "17.90"}, {"min_quantity": 50, "unit_price": "15.90"}],
    },
    "flash_sale": {"unit_price": "9.90", "reservation_minutes": 20},
    "dutch_auction": {
        "start_price": "100.00",
        "floor_price": "40.00",
        "step": "5.00",
        "step_seconds": 60,
        "reservation_minutes": 15,
    },
}


@pytest.mark.parametrize("kind", ["group_buy", "flash_sale", "dutch_auction"])
def test_the_merchant_posts_each_kind_of_offer_through_the_form(shop, deals, kind):
    client = logged_in(shop.user)
    url = reverse("community_commerce:new_offer")
    page = client.get(f"{url}?thread={deals.pk}").content.decode()
    for legend in ("Group-buy", "Flash sale", "Dutch auction"):
        assert re.search(rf"<legend>[^<]*{legend}[^<]*</legend>", page)
    form = form_to(page, url)
    assert form["fields"]["thread"] == str(deals.pk)

    response = submit(client, form, **offer_data(deals, kind))
    offer = Offer.objects.get()
    assert response.status_code == 302 and response["Location"] == offer.get_absolute_url()
    assert (offer.kind, offer.title, offer.thread_id, offer.status) == (kind, "My typed title", deals.pk, "live")
    assert {k: offer.terms[k] for k in EXPECTED_TERMS[kind]} == EXPECTED_TERMS[kind]
    html = client.get(response["Location"], follow=True).content.decode()
    assert "Your offer is posted." in messages_of(html)
    assert "My typed title" in card(html, offer)


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    [
        ("group_buy", {"unit_price": ""}, "unit_price", "required"),
        ("group_buy", {"tiers": "30"}, "tiers", "Line 1: write units then price"),
        ("group_buy", {"tiers": "30 21.00"}, "tiers", "tiers must fall strictly in price"),
        ("flash_sale", {"stock": "lots"}, "stock", "Enter a whole number."),
        ("flash_sale", {"stock": ""}, "stock", "This field is required."),
        ("dutch_auction", {"floor_price": "150"}, "floor_price", "must be lower than start_price"),
        ("dutch_auction", {"step_seconds": ""}, "step_seconds", "required"),
    ],
)
def test_an_invalid_offer_shows_errors_next_to_the_fields_and_keeps_what_was_typed(
    shop, deals, kind, changes, field, message
):
    client = logged_in(shop.user)
    response = client.post(reverse("community_commerce:new_offer"), offer_data(deals, kind, **changes))
    assert response.status_code == 400
    assert not Offer.objects.exists()
    html = response.content.decode()
    block = field_block(html, field)
    assert 'class="errorlist"' in block and message in unescape(block)
    assert 'aria-invalid="true"' in block
    assert 'value="My typed title"' in field_block(html, "title")
    assert "Typed description that must survive an error." in field_block(html, "description")
    assert f'<option value="{kind}" selected>' in field_block(html, "kind")
    assert form_to(html, reverse("community_commerce:new_offer"))["fields"]["thread"] == str(deals.pk)


def test_an_offer_ending_before_it_starts_is_refused_next_to_the_end(shop, deals):
    now = timezone.now()
    data = offer_data(deals, "flash_sale", starts_at=_local(now + timedelta(days=2)), ends_at=_local(now + timedelta(days=1)))  # fmt: skip
    response = logged_in(shop.user).post(reverse("community_commerce:new_offer"), data)
    assert response.status_code == 400 and not Offer.objects.exists()
    assert "The end must be after the start." in field_block(response.content.decode(), "ends_at")


@pytest.mark.parametrize("who", ["member", "pending_merchant", "suspended_merchant"])
def test_only_a_verified_merchant_can_post_an_offer(who):
    member = f.user()
    if who != "member":
        merchant = merchants.apply(user=member, display_name="Not yet", contact="somewhere")
        if who == "suspended_merchant":
            merchants.suspend(merchant=merchant, reason="complaints")
    thread = f.thread(author=member, category_=f.category(commerce_enabled=True))
    client = logged_in(member)
    response = client.post(reverse("community_commerce:new_offer"), offer_data(thread, "flash_sale"))
    assert response.status_code == 403
    assert not Offer.objects.exists()
    html = response.content.decode()
    assert "Only verified merchants can post offers." in html
    assert reverse("community_commerce:merchant_apply") in html


# --- orders --------------------------------------------------------------------------------------


def timeline(html):
    """The order page's history: one line of visible text per event, oldest first."""
    start = html.index('<ol class="timeline">')
    items = re.findall(r"<li\b[^>]*>(.*?)</li>", html[start : html.index("</ol>", start)], flags=re.S)
    return [text(item) for item in items]


def order_actions(html, order):
    """Where the order page's action forms post to."""
    prefix = reverse("community_commerce:order", args=[order.pk])
    return [x["action"] for x in forms(html) if x["action"].startswith(prefix)]


def test_an_order_goes_paid_shipped_and_completed_from_the_pages(shop, deals):
    offer = post(shop, deals, "flash_sale")
    buyer = f.user("buyer")
    order = take(offer, buyer, 2).order
    seller = logged_in(shop.user)
    dashboard_url = reverse("community_commerce:merchant_dashboard")

    dashboard = seller.get(dashboard_url).content.decode()
    row = dashboard[dashboard.index(f'<tr id="order-{order.pk}"') :]
    row = row[: row.index("</tr>")]
    assert order.number in row and "buyer" in row and "€19.80" in row and "Waiting for payment" in row
    mark_paid = form_to(row, reverse("community_commerce:order_action", args=[order.pk, "pay"]))
    assert mark_paid["buttons"] == [f"Mark paid {order.number}"] and mark_paid["fields"]["next"] == dashboard_url
    response = submit(seller, mark_paid)
    assert response["Location"] == dashboard_url
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    dashboard = seller.get(dashboard_url).content.decode()
    assert reverse("community_commerce:order_action", args=[order.pk, "pay"]) not in dashboard
    mark_shipped = form_to(dashboard, reverse("community_commerce:order_action", args=[order.pk, "ship"]))
    submit(seller, mark_shipped)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert f'id="order-{order.pk}"' not in seller.get(dashboard_url).content.decode()  # nothing left to do for it

    customer = logged_in(buyer)
    order_url = reverse("community_commerce:order", args=[order.pk])
    page = customer.get(order_url).content.decode()
    assert 'class="pay-box"' not in page  # paid: no payment instructions any more
    assert order_actions(page, order) == [reverse("community_commerce:order_action", args=[order.pk, "complete"])]
    response = submit(customer, form_to(page, reverse("community_commerce:order_action", args=[order.pk, "complete"])))
    assert response["Location"] == order_url
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED

    page = customer.get(order_url).content.decode()
    assert "Completed" in page
    events = list(OrderEvent.objects.filter(order=order).values_list("from_status", "to_status", "actor__username"))
    assert events == [
        ("", "pending_payment", "buyer"),
        ("pending_payment", "paid", "seller"),
        ("paid", "shipped", "seller"),
        ("shipped", "completed", "buyer"),
    ]
    lines = timeline(page)
    assert len(lines) == 4
    assert lines[0].startswith("Waiting for payment") and "by buyer" in lines[0]
    assert lines[1].startswith("Paid from Waiting for payment") and "by seller" in lines[1]
    assert lines[2].startswith("Shipped from Paid") and "by seller" in lines[2]
    assert lines[3].startswith("Completed from Shipped") and "by buyer" in lines[3]
    # no step of the pipeline left: the buyer may rate it now
    assert order_actions(page, order) == [reverse("community_commerce:order_rate", args=[order.pk])]


def test_the_buyer_cancels_an_unpaid_order_with_a_reason_and_the_units_go_back(shop, deals):
    offer = post(shop, deals, "flash_sale", stock=10)
    buyer = f.user()
    order = take(offer, buyer, 2).order
    client = logged_in(buyer)
    page = client.get(reverse("community_commerce:order", args=[order.pk])).content.decode()
    actions = order_actions(page, order)
    assert actions == [reverse("community_commerce:order_action", args=[order.pk, "cancel"])]  # not "pay"
    submit(client, form_to(page, actions[0]), reason="Bought them at the market")
    order.refresh_from_db()
    offer.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and offer.sold == 0
    assert "Bought them at the market" in timeline(client.get(reverse("community_commerce:order", args=[order.pk])).content.decode())[-1]  # fmt: skip


def test_someone_elses_order_page_is_404(client, shop, deals):
    order = take(post(shop, deals, "flash_sale"), f.user(), 1).order
    stranger = logged_in(f.user())
    assert stranger.get(reverse("community_commerce:order", args=[order.pk])).status_code == 404
    assert stranger.post(reverse("community_commerce:order_action", args=[order.pk, "cancel"])).status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    response = client.get(reverse("community_commerce:order", args=[order.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_my_orders_lists_claims_and_orders_with_their_links(shop, deals):
    group_buy = post(shop, deals, "group_buy", title="Apples, 5 kg box")
    flash = post(shop, deals, "flash_sale", title="Strawberry punnets")
    buyer = f.user()
    take(group_buy, buyer, 2)
    order = take(flash, buyer, 4).order
    take(flash, f.user(), 1)  # someone else's: not listed

    client = logged_in(buyer)
    page = client.get(reverse("community_commerce:my_orders")).content.decode()
    rows = re.findall(r"<tr id=\"claim-\d+\">(.*?)</tr>", page, flags=re.S)
    assert len(rows) == 2
    newest, oldest = rows
    assert f'href="{flash.get_absolute_url()}"' in newest and "Strawberry punnets" in newest
    assert f'href="{reverse("community_commerce:order", args=[order.pk])}"' in newest and order.number in newest
    assert "€39.60" in text(newest) and "Waiting for payment" in newest
    assert f'href="{group_buy.get_absolute_url()}"' in oldest and "Committed" in oldest
    assert "€19.90 each" in text(oldest)
    nav = page[page.index('<nav class="site-nav"') :]
    assert f'href="{reverse("community_commerce:my_orders")}"' in nav
    assert f'href="{reverse("community_commerce:merchant_dashboard")}"' in nav


# --- merchant pages ------------------------------------------------------------------------------


def test_sell_leads_a_member_without_a_shop_to_the_application_which_then_shows_its_status():
    member = f.user()
    client = logged_in(member)
    response = client.get(reverse("community_commerce:merchant_dashboard"))
    assert response["Location"] == reverse("community_commerce:merchant_apply")
    page = client.get(response["Location"]).content.decode()
    form = form_to(page, reverse("community_commerce:merchant_apply"))
    assert "Pending review" not in page

    response = submit(
        client, form, display_name="Bea's Bakes", contact="bea@example.com", payment_instructions="Cash on pick-up."
    )
    assert response["Location"] == reverse("community_commerce:merchant_apply")
    merchant = Merchant.objects.get(user=member)
    assert merchant.status == Merchant.Status.PENDING
    page = client.get(response["Location"]).content.decode()
    assert "Pending review" in page and "Staff will review your shop soon." in page
    assert form_to(page, reverse("community_commerce:merchant_apply"))["fields"]["display_name"] == "Bea's Bakes"


def test_the_application_shows_errors_next_to_the_fields():
    client = logged_in(f.user())
    response = client.post(reverse("community_commerce:merchant_apply"), {"display_name": "Bea", "contact": ""})
    assert not Merchant.objects.exists()
    assert "This field is required." in field_block(response.content.decode(), "contact")
    assert 'value="Bea"' in field_block(response.content.decode(), "display_name")


@pytest.mark.parametrize("status", ["pending", "verified", "suspended"])
def test_the_dashboard_shows_the_merchant_status(status):
    member = f.user()
    merchant = merchants.apply(user=member, display_name="Bea's Bakes", contact="bea@example.com")
    if status == "verified":
        merchants.verify(merchant=merchant)
    elif status == "suspended":
        merchants.suspend(merchant=merchant, reason="Unpaid orders reported twice")
    page = text(logged_in(member).get(reverse("community_commerce:merchant_dashboard")).content.decode())
    expected = {
        "pending": "Pending review Staff will review your shop soon.",
        "verified": "Verified You can post offers in your own threads in the deals categories. Verified since",
        "suspended": "Suspended Your shop is suspended; you cannot post new offers. Reason: Unpaid orders reported twice",
    }[status]
    assert expected in page


def test_the_dashboard_lists_the_merchants_offers_with_sold_and_stock(shop, deals):
    flash = post(shop, deals, "flash_sale", title="Strawberry punnets", stock=10)
    group_buy = post(shop, deals, "group_buy", title="Apples, 5 kg box")
    take(flash, f.user(), 4)
    take(group_buy, f.user(), 6)
    other = f.merchant()
    post(other, f.commerce_thread(other), "flash_sale", title="Not my offer")
    page = logged_in(shop.user).get(reverse("community_commerce:merchant_dashboard")).content.decode()
    flash_row = text(re.search(rf'<tr id="offer-row-{flash.pk}">(.*?)</tr>', page, flags=re.S).group(1))
    gb_row = text(re.search(rf'<tr id="offer-row-{group_buy.pk}">(.*?)</tr>', page, flags=re.S).group(1))
    assert flash_row.startswith("Strawberry punnets Flash sale Live 4 / 10")
    assert gb_row.startswith("Apples, 5 kg box Group-buy Live 6 committed")
    assert f'href="{flash.get_absolute_url()}"' in page
    assert "Not my offer" not in page


# --- the thread page costs the same queries however many offers and claims ------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _viewer(who, shop):
    if who == "merchant":
        return shop.user, logged_in(shop.user)
    if who == "member":
        member = f.user("viewer")
        return member, logged_in(member)
    return None, Client()


@pytest.mark.parametrize("who", ["anonymous", "member", "merchant"])
def test_thread_page_queries_do_not_grow_with_offers(shop, deals, who):
    viewer, client = _viewer(who, shop)
    buyer = viewer if who == "member" else f.user()
    take(post(shop, deals, "group_buy"), buyer, 1)
    url = deals.get_absolute_url()
    client.get(url)  # warm up: session, caches
    one = _queries(client, url)
    take(post(shop, deals, "flash_sale"), buyer, 1)  # with an order
    take(post(shop, deals, "dutch_auction"), buyer, 1)
    three = _queries(client, url)
    assert Offer.objects.count() == 3
    assert one == three
    assert f"offer-{Offer.objects.order_by('-id').first().pk}" in client.get(url).content.decode()


def test_thread_page_queries_do_not_grow_with_the_viewers_claims(shop, deals):
    member = f.user("viewer")
    client = logged_in(member)
    group_buy = post(shop, deals, "group_buy")
    flash = post(shop, deals, "flash_sale", stock=50)
    take(group_buy, member, 1)
    take(flash, member, 1)
    url = deals.get_absolute_url()
    client.get(url)
    two = _queries(client, url)
    for _ in range(4):
        take(group_buy, member, 1)
        take(flash, member, 1)
    ten = _queries(client, url)
    assert Claim.objects.filter(buyer=member).count() == 10
    assert two == ten
    assert client.get(url).content.decode().count("Order CC-") == 5  # every order linked from its card


@pytest.mark.parametrize("who", ["anonymous", "member", "merchant"])
def test_offers_cost_no_query_over_the_same_thread_without_offers(shop, deals, who):
    """The offers query the page makes anyway also brings the buyers and the reader's own
    claims with their orders: a member holding claims pays +0, like everyone else."""
    viewer, client = _viewer(who, shop)
    bare = f.commerce_thread(shop, category_=deals.category, title="Nothing for sale here")
    client.get(bare.get_absolute_url())  # warm up: session, caches
    without = _queries(client, bare.get_absolute_url())
    buyer = viewer if who == "member" else f.user()
    take(post(shop, deals, "group_buy"), buyer, 1)
    take(post(shop, deals, "flash_sale"), buyer, 2)  # with an order
    client.get(deals.get_absolute_url())
    assert _queries(client, deals.get_absolute_url()) == without
    if who == "member":
        page = client.get(deals.get_absolute_url()).content.decode()
        assert "Your claims" in page and page.count("Order CC-") == 1


def test_money_is_shown_in_the_currency_s_decimals_with_its_symbol(shop, deals):
    offer = post(shop, deals, "flash_sale", terms={"unit_price": "7", "reservation_minutes": 15})
    assert offer.terms["unit_price"] == "7.00"
    html = card(thread_page(logged_in(f.user()), deals), offer)
    assert "€7.00" in text(html)
    order = take(offer, f.user("payer"), 3).order
    assert order.total == Decimal("21.00")
    page = logged_in(order.buyer).get(reverse("community_commerce:order", args=[order.pk])).content.decode()
    assert "Unit price €7.00" in text(page) and "Total €21.00" in text(page)


def test_three_units_at_9_90_from_the_thread_page_make_an_order_of_29_70(shop, deals):
    """Totals that binary floating point cannot hold exactly (9.90 x 3) must still make an order."""
    offer = post(shop, deals, "flash_sale", stock=10)
    buyer = f.user()
    client = logged_in(buyer)
    buy = form_to(card(thread_page(client, deals), offer), reverse("community_commerce:claim", args=[offer.pk]))
    response = submit(client, buy, quantity=3)
    order = Order.objects.get(buyer=buyer)
    assert response["Location"] == reverse("community_commerce:order", args=[order.pk])
    assert order.total == Decimal("29.70")
    assert "Total €29.70" in text(client.get(response["Location"]).content.decode())
