"""An offer attached while starting a thread (the new-thread composer), the live
preview of an offer, and the offer badges of thread lists. Forms are sent as a
browser sends them; data is built through the services."""

import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community_commerce.models import Offer
from community_commerce.services import claim as claim_service
from community_commerce.services import lifecycle, merchants, post_offer
from forum.models import Post, Thread
from tests import factories as f
from tests.headings import skipped_levels

pytestmark = pytest.mark.django_db

PREVIEW = reverse("community_commerce:offer_preview")


# --- data, through the services ------------------------------------------------------------------


@pytest.fixture
def shop(db, flood_off):
    """A verified merchant (``shop.user`` sells), verified by staff through the service."""
    merchant = merchants.apply(user=f.user("seller"), display_name="Corner Shop", contact="1 Market Street")
    merchants.verify(merchant=merchant, actor=f.staff("staffer"), reason="known shop")
    return merchant


@pytest.fixture
def deals(db):
    return f.category("Deals", slug="deals", commerce_enabled=True)


def logged_in(member):
    client = Client()
    client.force_login(member)
    return client


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def offer_fields(kind, **changes):
    """The composer's offer fields as a merchant fills them in (prefix "offer-")."""
    now = timezone.now()
    data = {
        "attach": "on",
        "kind": kind,
        "title": "Typed offer title",
        "description": "Typed offer description.",
        "currency": "EUR",
        "starts_at": _local(now - timedelta(minutes=1)),
        "ends_at": _local(now + timedelta(days=1)),
        "stock": "" if kind == "group_buy" else "25",
        "per_user_limit": "",
        "reservation_minutes": "20",
        **{
            "group_buy": {"unit_price": "19.90", "min_quantity": "10", "tiers": "30 17.90\n50 15.90"},
            "flash_sale": {"unit_price": "9.90"},
            "dutch_auction": {"start_price": "100", "floor_price": "40", "step": "5", "step_seconds": "60"},
        }[kind],
    }
    data.update(changes)
    return {f"offer-{name}": value for name, value in data.items() if value is not None}


def thread_data(**offer):
    return {"title": "Typed thread title", "body": "Typed first post that must survive an error.", **offer}


def post_offer_as(shop, thread, kind, *, start=None, lasts=timedelta(days=1), stock=None, terms=None):
    start = start or timezone.now() - timedelta(minutes=1)
    return post_offer.create_offer(
        user=shop.user,
        thread_id=thread.pk,
        kind=kind,
        title=f"Test {kind}",
        description="",
        currency="EUR",
        starts_at=start,
        ends_at=start + lasts,
        stock=stock,
        per_user_limit=None,
        terms=terms or f.OFFER_TERMS[kind],
    )


def take(offer, member, quantity):
    return claim_service.claim(offer_id=offer.pk, buyer=member, quantity=quantity)[0]


# --- reading pages -------------------------------------------------------------------------------


def text(html):
    """Visible text, whitespace collapsed, entities decoded: what a reader reads."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def field_block(html, name):
    """The wrapper of one offer field: label, help, errors and input."""
    start = html.index(f'id="field-{name}"')
    return html[start : html.index("</div>", start)]


class _Form(HTMLParser):
    """The values a browser would send from the first form posting to ``action``."""

    def __init__(self, action):
        super().__init__()
        self.action, self.inside, self.values, self._textarea, self._select = action, False, {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("action") == self.action:
            self.inside = True
        elif not self.inside:
            return
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.values[attrs["name"]] = attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and ("selected" in attrs or self._select not in self.values):
            self.values[self._select] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_values(html, action):
    parser = _Form(action)
    parser.feed(html)
    return {k: v.removeprefix("\n") for k, v in parser.values.items()}


def new_thread_url(category):
    return reverse("forum:new_thread", args=[category.slug])


# --- the composer ----------------------------------------------------------------------------------


def test_a_verified_merchant_sees_the_offer_section_with_help_on_every_field(shop, deals):
    html = logged_in(shop.user).get(new_thread_url(deals)).content.decode()
    section = html[html.index('id="offer-section"') :]
    assert re.search(r'<details class="offer-composer" id="offer-section"\s+hx-on', html)  # closed at first
    assert 'name="offer-attach"' in section and "Attach this offer to the new thread" in section
    fields = ["kind", "title", "description", "starts_at", "ends_at", "stock", "per_user_limit", "currency"]
    fields += ["unit_price", "min_quantity", "tiers", "reservation_minutes", "start_price", "floor_price", "step"]
    for name in [*fields, "step_seconds"]:
        block = field_block(html, f"offer-{name}")
        assert f'name="offer-{name}"' in block
        assert 'class="help"' in block, f"no help text for {name}"
        assert "required" not in re.findall(r"<(?:input|select|textarea)[^>]*>", block)[0]  # no offer, no blocker
    # the thread's own fields keep their names: nothing clashes
    assert 'name="title"' in html and 'name="body"' in html
    assert "Fill in Unit price and Units needed to succeed to see the preview." in text(section)
    preview = re.search(r'<div id="offer-preview"[^>]*>', html).group(0)
    assert f'hx-post="{PREVIEW}"' in preview and 'hx-include="closest form"' in preview
    assert "input changed delay:400ms" in preview


def test_the_open_composer_keeps_heading_order(shop, deals):
    """axe heading-order: the page's h1 is followed by the preview's h2, never an h3."""
    client = logged_in(shop.user)
    assert skipped_levels(client.get(new_thread_url(deals)).content.decode()) == []
    # the composer comes back open with errors: the same headings, still in order
    response = client.post(new_thread_url(deals), thread_data(**offer_fields("flash_sale", unit_price="abc")))
    html = response.content.decode()
    assert re.search(r'id="offer-section"\s+open', html)
    assert skipped_levels(html) == []


@pytest.mark.parametrize("kind", ["group_buy", "flash_sale", "dutch_auction"])
def test_a_merchant_starts_a_thread_with_an_offer_in_one_post(shop, deals, kind):
    client = logged_in(shop.user)
    response = client.post(new_thread_url(deals), thread_data(**offer_fields(kind)))
    thread = Thread.objects.get()
    offer = Offer.objects.get()
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    assert (thread.title, thread.author, thread.category) == ("Typed thread title", shop.user, deals)
    assert (offer.thread_id, offer.kind, offer.title, offer.status) == (thread.pk, kind, "Typed offer title", "live")
    assert offer.description == "Typed offer description."
    if kind == "group_buy":
        assert offer.terms["tiers"] == [
            {"min_quantity": 30, "unit_price": "17.90"},
            {"min_quantity": 50, "unit_price": "15.90"},
        ]
    else:
        assert offer.stock == 25 and offer.terms["reservation_minutes"] == 20
    page = client.get(response["Location"]).content.decode()
    assert f'id="offer-{offer.pk}"' in page and "Typed offer title" in page


def test_offer_fields_without_the_attach_box_are_ignored(shop, deals):
    response = logged_in(shop.user).post(new_thread_url(deals), thread_data(**offer_fields("flash_sale", attach=None)))
    assert response.status_code == 302
    assert Thread.objects.count() == 1 and not Offer.objects.exists()


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    [
        ("dutch_auction", {"floor_price": "100"}, "floor_price", "must be lower than start_price"),
        ("dutch_auction", {"step_seconds": ""}, "step_seconds", "required"),
        ("group_buy", {"tiers": "30 17.90\n50 18.50"}, "tiers", "tiers must fall strictly in price"),
        ("group_buy", {"tiers": "30"}, "tiers", "Line 1: write units then price"),
        ("group_buy", {"title": "ab"}, "title", "Give a title of 3 to 200 characters."),
        ("flash_sale", {"stock": ""}, "stock", "This field is required."),
        ("flash_sale", {"unit_price": "lots"}, "unit_price", "use the digits 0-9 and an optional '.', e.g. 19.90"),
        ("flash_sale", {"currency": "XYZ"}, "currency", "Give a known ISO 4217 currency code"),
    ],
)
def test_an_invalid_offer_saves_nothing_and_shows_the_error_next_to_its_field(
    shop, deals, kind, changes, field, message
):
    posts_before = Post.objects.count()
    data = thread_data(**offer_fields(kind, **changes))
    response = logged_in(shop.user).post(new_thread_url(deals), data)
    assert response.status_code == 400
    assert not Thread.objects.exists() and Post.objects.count() == posts_before and not Offer.objects.exists()
    html = response.content.decode()
    block = field_block(html, f"offer-{field}")
    assert 'class="errorlist"' in block and message in unescape(block)
    assert 'aria-invalid="true"' in block
    assert re.search(r'<details class="offer-composer" id="offer-section"\s+open', html)
    assert "The thread is not started yet: correct the offer fields marked below." in text(html)
    # every typed value is still in the form, as the browser will send it again
    sent_again = form_values(html, new_thread_url(deals))
    for name, value in data.items():
        assert sent_again.get(name) == value, name


def test_an_offer_ending_before_it_starts_is_refused_next_to_the_end(shop, deals):
    now = timezone.now()
    changes = {"starts_at": _local(now + timedelta(days=2)), "ends_at": _local(now + timedelta(days=1))}
    response = logged_in(shop.user).post(new_thread_url(deals), thread_data(**offer_fields("group_buy", **changes)))
    assert response.status_code == 400 and not Thread.objects.exists() and not Offer.objects.exists()
    html = response.content.decode()
    assert "The end must be after the start." in field_block(html, "offer-ends_at")
    # without JavaScript the preview is there already, drawn from what was sent
    preview = text(html[html.index('id="offer-preview"') :])
    assert "1–29 units €19.90" in preview and "30–49 units €17.90" in preview


def test_a_thread_error_keeps_a_valid_offer_and_saves_nothing(shop, deals):
    data = {**thread_data(**offer_fields("dutch_auction")), "title": ""}
    response = logged_in(shop.user).post(new_thread_url(deals), data)
    assert response.status_code == 400 and not Thread.objects.exists() and not Offer.objects.exists()
    html = response.content.decode()
    assert 'class="errorlist"' not in html[html.index('id="offer-section"') :]  # the offer is fine
    sent_again = form_values(html, new_thread_url(deals))
    assert {k: sent_again.get(k) for k in data} == data


@pytest.mark.parametrize("who", ["member", "pending_merchant", "suspended_merchant"])
def test_a_member_who_cannot_sell_gets_no_section_and_cannot_attach_an_offer(deals, flood_off, who):
    member = f.user()
    if who != "member":
        merchant = merchants.apply(user=member, display_name="Not yet", contact="somewhere")
        if who == "suspended_merchant":
            merchants.verify(merchant=merchant)
            merchants.suspend(merchant=merchant, reason="complaints")
    client = logged_in(member)
    assert 'name="offer-attach"' not in client.get(new_thread_url(deals)).content.decode()

    data = thread_data(**offer_fields("flash_sale"))
    response = client.post(new_thread_url(deals), data)
    assert response.status_code == 400
    assert not Thread.objects.exists() and not Offer.objects.exists()
    html = response.content.decode()
    assert "Only verified merchants can post offers." in text(html)
    assert "send the form again to start it without an offer" in text(html)
    assert reverse("community_commerce:merchant_apply") in html
    assert 'name="offer-kind"' not in html  # still no offer form for them
    again = form_values(html, new_thread_url(deals))
    assert (again["title"], again["body"]) == (data["title"], data["body"])

    response = client.post(new_thread_url(deals), again)  # the thread alone, as they were told
    assert response.status_code == 302
    assert Thread.objects.get().title == "Typed thread title" and not Offer.objects.exists()


def test_a_category_without_commerce_shows_no_section_and_takes_no_offer(shop):
    plain = f.category("Chat", slug="chat")
    client = logged_in(shop.user)
    assert 'name="offer-attach"' not in client.get(new_thread_url(plain)).content.decode()
    response = client.post(new_thread_url(plain), thread_data(**offer_fields("group_buy")))
    assert response.status_code == 400 and not Thread.objects.exists() and not Offer.objects.exists()
    assert "Offers can only be posted in deal categories." in text(response.content.decode())


# --- the preview -------------------------------------------------------------------------------


@pytest.fixture
def client(db):
    """The preview answers members (both pages that show it need a login)."""
    return logged_in(f.user("typist"))


def preview(client, data, method="post"):
    response = getattr(client, method)(PREVIEW, data)
    assert response.status_code == 200
    return response.content.decode()


def rows(html):
    """The preview table's rows, each as its cells' text."""
    return [
        [text(cell) for cell in re.findall(r"<td\b[^>]*>(.*?)</td>", row, flags=re.S)]
        for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", html, flags=re.S)
        if "<td" in row
    ]


def test_the_preview_shows_a_group_buys_price_per_tier_and_its_minimum(client):
    html = preview(client, offer_fields("group_buy"))
    assert rows(html) == [["1–29 units", "€19.90"], ["30–49 units", "€17.90"], ["50+ units", "€15.90"]]
    assert "It goes through only if at least 10 units are committed in total by the end; otherwise nobody pays." in (
        text(html)
    )


def test_the_preview_takes_the_add_offer_pages_plain_field_names_and_a_stock_cap(client):
    data = {k.removeprefix("offer-"): v for k, v in offer_fields("group_buy", stock="40").items()}
    html = preview(client, data, method="get")
    assert rows(html) == [
        ["1–29 units", "€19.90"],
        ["30–40 units", "€17.90"],
        ["50+ units (never reached: only 40 for sale)", "€15.90"],
    ]


def test_the_preview_shows_a_dutch_auctions_price_at_each_step_down_to_the_floor(client):
    html = preview(client, offer_fields("dutch_auction"))
    table = rows(html)
    assert [(offset, price) for offset, _at, price in table] == [
        (f"00:{minute:02d}", f"€{100 - 5 * minute:.2f}") for minute in range(13)
    ]
    assert table[-1][2] == "€40.00"  # the floor, and nothing below it
    assert "falls by €5.00 every 60 s, down to the floor of €40.00" in text(html)


def test_a_long_dutch_schedule_is_cut_at_thirty_rows_then_names_the_floor(client):
    html = preview(client, offer_fields("dutch_auction", step="1", step_seconds="120"))
    table = rows(html)
    assert len(table) == 29
    assert (table[0][0], table[0][2]) == ("00:00", "€100.00")
    assert (table[-1][0], table[-1][2]) == ("00:56", "€72.00")
    assert "… floor €40.00 from 02:00" in text(html)


def test_a_dutch_auction_ending_before_the_floor_says_so(client):
    now = timezone.now()
    data = offer_fields("dutch_auction", starts_at=_local(now), ends_at=_local(now + timedelta(minutes=5)))
    html = preview(client, data)
    assert [(offset, price) for offset, _at, price in rows(html)] == [
        ("00:00", "€100.00"),
        ("00:01", "€95.00"),
        ("00:02", "€90.00"),
        ("00:03", "€85.00"),
        ("00:04", "€80.00"),
    ]
    assert "It ends at 00:05, before the price reaches the floor." in text(html)


def test_the_preview_shows_a_flash_sales_price_stock_limit_and_time_to_pay(client):
    html = text(preview(client, offer_fields("flash_sale", per_user_limit="2")))
    assert "Price €9.90 per unit" in html
    assert "Units for sale 25" in html
    assert "At most 2 per member." in html
    assert "20 minutes after claiming; unpaid units go back on sale" in html


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        ({}, "Fill in Unit price and Units needed to succeed to see the preview."),
        (
            {"offer-kind": "dutch_auction", "offer-start_price": "100"},
            "Fill in Floor price, Price drop per step and Seconds per step to see the preview.",
        ),
        ({"offer-kind": "flash_sale", "offer-unit_price": ""}, "Fill in Unit price to see the preview."),
        ({"offer-kind": "nonsense"}, "Fill in Kind of offer to see the preview."),
    ],
)
def test_partial_input_gives_a_hint_not_an_error(client, data, hint):
    html = preview(client, data)
    assert hint in text(html)
    assert "<table" not in html


@pytest.mark.parametrize(
    ("kind", "changes", "problem"),
    [
        ("group_buy", {"unit_price": "abc"}, "Unit price: use the digits 0-9 and an optional '.', e.g. 19.90"),
        ("group_buy", {"unit_price": "1e400"}, "Unit price:"),
        ("group_buy", {"tiers": "30 21.00"}, "Tiers: tiers must fall strictly in price"),
        ("group_buy", {"tiers": "x y z"}, "Tiers: Line 1"),
        ("group_buy", {"min_quantity": "99999999999999999999"}, "Units needed to succeed:"),
        ("group_buy", {"starts_at": "yesterday", "ends_at": "2020-13-45T99:99"}, "1–29 units"),
        ("dutch_auction", {"starts_at": "9999-12-31T23:00", "ends_at": ""}, "too far in the future"),
        (
            "dutch_auction",
            {
                "start_price": "9999999999.99",
                "floor_price": "0.01",
                "step": "0.01",
                "starts_at": "2030-01-01T00:00",
                "ends_at": "2030-01-02T00:00",
            },
            "… €9,999,999,985.60 when it ends at 1 d 00:00, above the floor",
        ),
        (
            "dutch_auction",
            {
                "start_price": "9999999999.99",
                "floor_price": "0.01",
                "step": "0.01",
                "step_seconds": "604800",
                "ends_at": "",
            },
            "… and on down towards the floor.",
        ),
    ],
)
def test_invalid_input_gives_a_friendly_preview_never_a_server_error(client, kind, changes, problem):
    html = preview(client, offer_fields(kind, **changes))
    assert problem in text(html)


def test_the_preview_is_for_members_only():
    response = Client().post(PREVIEW, offer_fields("group_buy"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_add_offer_page_hooks_up_the_preview(shop, deals):
    thread = f.commerce_thread(shop, category_=deals)
    html = logged_in(shop.user).get(f"{reverse('community_commerce:new_offer')}?thread={thread.pk}").content.decode()
    box = re.search(r'<div id="offer-preview"[^>]*>', html).group(0)
    assert f'hx-post="{PREVIEW}"' in box and 'hx-include="closest form"' in box
    assert "input changed delay:400ms from:closest form" in box


# --- thread-list badges ------------------------------------------------------------------------


def badges(html, thread):
    """The badges beside one thread's title in a listing."""
    start = html.index(f'href="{thread.get_absolute_url()}"')
    row = html[start : html.index("</p>", start)]
    return [text(b) for b in re.findall(r'<span class="badge offer-badge[^"]*">(.*?)</span>', row, flags=re.S)]


@pytest.fixture
def listed(shop, deals, clock):
    """One thread per case, each with one offer in the state its name says."""
    buyer = f.user("buyer")
    threads = {}

    def thread(name):
        threads[name] = f.commerce_thread(shop, category_=deals, title=f"Thread {name}")
        return threads[name]

    now = clock.now
    gb_terms = {"unit_price": "19.90", "min_quantity": 30}
    take(post_offer_as(shop, thread("group_buy"), "group_buy", lasts=timedelta(hours=2, minutes=31), terms=gb_terms), buyer, 23)  # fmt: skip
    take(post_offer_as(shop, thread("flash_sale"), "flash_sale", stock=20), buyer, 8)
    dutch = {"start_price": "100.00", "floor_price": "40.00", "step": "4.00", "step_seconds": 60}
    post_offer_as(shop, thread("dutch"), "dutch_auction", start=now - timedelta(minutes=9, seconds=30), stock=5, terms=dutch)  # fmt: skip
    post_offer_as(shop, thread("scheduled"), "flash_sale", start=now + timedelta(hours=3, minutes=10), stock=5)
    take(post_offer_as(shop, thread("sold_out"), "flash_sale", stock=2), buyer, 2)
    won = post_offer_as(shop, thread("succeeded"), "group_buy", lasts=timedelta(hours=1), terms={"unit_price": "5.00", "min_quantity": 2})  # fmt: skip
    take(won, buyer, 2)
    cancelled = post_offer_as(shop, thread("cancelled"), "dutch_auction", stock=5)
    lifecycle.cancel_offer(offer_id=cancelled.pk, actor=shop.user, reason="Out of stock")
    lifecycle.close_offer(offer_id=won.pk, now=now + timedelta(hours=1))
    clock.set(now - timedelta(days=4, hours=1))  # an offer that ended four days ago
    old = post_offer_as(shop, thread("long_ago"), "flash_sale", lasts=timedelta(hours=1), stock=5)
    lifecycle.close_offer(offer_id=old.pk, now=now - timedelta(days=4))
    clock.set(now)
    thread("no_offer")
    return threads


EXPECTED_BADGES = {
    "group_buy": (["Group-buy 23/30 · 2 h left"], "offer-badge offer-badge-live offer-badge-group_buy"),
    "flash_sale": (["Flash sale · 12 left"], "offer-badge offer-badge-live offer-badge-flash_sale"),
    "dutch": (["Dutch · €64.00 now"], "offer-badge offer-badge-live offer-badge-dutch_auction"),
    "scheduled": (["Flash sale · Starts in 3 h"], "offer-badge offer-badge-scheduled offer-badge-flash_sale"),
    "sold_out": (["Flash sale · Sold out"], "offer-badge offer-badge-sold_out offer-badge-flash_sale"),
    "succeeded": (["Group-buy · Succeeded"], "offer-badge offer-badge-succeeded offer-badge-group_buy"),
    "cancelled": (["Dutch · Cancelled"], "offer-badge offer-badge-cancelled offer-badge-dutch_auction"),
    "long_ago": ([], None),
    "no_offer": ([], None),
}


def test_the_category_page_shows_a_badge_per_offer_by_kind_and_state(listed, deals):
    html = Client().get(deals.get_absolute_url()).content.decode()
    for name, (labels, css) in EXPECTED_BADGES.items():
        assert badges(html, listed[name]) == labels, name
        if css:
            assert f'<span class="badge {css}">' in html, name


def test_the_index_shows_the_same_badges_in_its_latest_threads(listed):
    html = logged_in(f.user()).get(reverse("forum:index")).content.decode()
    for name, (labels, _css) in EXPECTED_BADGES.items():
        if name in ("long_ago", "no_offer"):
            continue
        assert badges(html, listed[name]) == labels, name


def test_a_thread_with_two_offers_shows_two_badges(shop, deals):
    thread = f.commerce_thread(shop, category_=deals)
    post_offer_as(shop, thread, "flash_sale", stock=7)
    post_offer_as(shop, thread, "group_buy", lasts=timedelta(days=3, hours=1))
    html = Client().get(deals.get_absolute_url()).content.decode()
    assert badges(html, thread) == ["Flash sale · 7 left", "Group-buy 0/10 · 3 d left"]


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "member"])
@pytest.mark.parametrize("page", ["category", "index"])
def test_listing_queries_do_not_grow_with_offer_threads(shop, deals, who, page):
    client = Client() if who == "anonymous" else logged_in(f.user("reader"))
    buyer = f.user("buyer")
    url = deals.get_absolute_url() if page == "category" else reverse("forum:index")
    kinds = ["group_buy", "flash_sale", "dutch_auction", "group_buy", "flash_sale"]

    def add(i):
        offer = post_offer_as(shop, f.commerce_thread(shop, category_=deals, title=f"Deal {i}"), kinds[i], stock=9 if kinds[i] != "group_buy" else None)  # fmt: skip
        take(offer, buyer, 1)

    add(0)
    client.get(url)  # warm up: session, caches
    one, html = _queries(client, url)
    assert html.count("offer-badge ") == 1
    for i in range(1, 5):
        add(i)
    five, html = _queries(client, url)
    assert html.count("offer-badge ") == 5
    assert one == five
