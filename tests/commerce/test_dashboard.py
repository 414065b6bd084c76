"""The merchant's dashboard (revenue per currency, the participation funnel, orders to
fulfil one by one or in bulk) and the buyer's pages (My deals grouped by state, the
order page, the links in notifications). Data is built through the services."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community_commerce.models import Offer, Order, OrderEvent
from community_commerce.services import lifecycle, merchants, orders, withdraw
from community_commerce.services.reminders import remind
from community_commerce.services.schedule import sweep
from forum.models import Notification
from tests import factories as f
from tests.commerce.test_pages import PAY_HOW, form_to, forms, logged_in, messages_of, post, take, text

pytestmark = pytest.mark.django_db

S = Order.Status
DASHBOARD = "community_commerce:merchant_dashboard"


@pytest.fixture
def shop(db):
    seller = f.user("seller")
    merchant = merchants.apply(
        user=seller, display_name="Corner Shop", contact="555-0100", payment_instructions=PAY_HOW
    )
    merchants.verify(merchant=merchant, actor=f.staff("staffer"), reason="known shop")
    return merchant


@pytest.fixture
def deals(shop):
    return f.commerce_thread(shop, category_=f.category("Deals", commerce_enabled=True), title="Corner shop deals")


@pytest.fixture
def rival(db):
    """Another verified merchant, with a flash sale of its own and an unpaid order on it."""
    merchant = f.merchant(f.user("rival"), display_name="Rival Shop")
    offer = f.offer("flash_sale", merchant_=merchant, title="Rival's plums")
    order = take(offer, f.user("rival_buyer"), 1).order
    return merchant, order


def order_in(offer, status, *, quantity=1, merchant_user=None, buyer=None):
    """An order on ``offer`` moved to ``status`` the way the people involved would move it."""
    order = take(offer, buyer or f.user(), quantity).order
    seller = merchant_user or offer.merchant.user
    path = {
        S.PENDING_PAYMENT: [],
        S.PAID: [(S.PAID, seller)],
        S.SHIPPED: [(S.PAID, seller), (S.SHIPPED, seller)],
        S.COMPLETED: [(S.PAID, seller), (S.SHIPPED, seller), (S.COMPLETED, order.buyer)],
        S.CANCELLED: [(S.CANCELLED, order.buyer)],
        S.EXPIRED: [(S.EXPIRED, None)],
    }[status]
    for to_status, actor in path:
        orders.transition(order_id=order.pk, to_status=to_status, actor=actor)
    order.refresh_from_db()
    assert order.status == status
    return order


def dashboard(client):
    response = client.get(reverse(DASHBOARD))
    assert response.status_code == 200
    return response.content.decode()


def funnel_of(html, offer):
    block = re.search(rf'<li class="card funnel-card" id="funnel-{offer.pk}">(.*?)</li>', html, flags=re.S).group(1)
    return dict(re.findall(r"<dt>(.*?)</dt>\s*<dd><span class=\"funnel-n\">(\d+)</span>", block))


def offer_row(html, offer):
    return text(re.search(rf'<tr id="offer-row-{offer.pk}">(.*?)</tr>', html, flags=re.S).group(1))


def tiles(html):
    return text(html[html.index('<ul class="stat-tiles"') : html.index("</ul>", html.index('<ul class="stat-tiles"'))])


# --- revenue and the funnel -------------------------------------------------------------------------


def test_the_dashboard_shows_revenue_per_currency_and_each_offer_s_funnel(shop, deals, rival):
    strawberries = post(shop, deals, "flash_sale", title="Strawberry punnets", stock=30)
    ann, ben, cat = f.user("ann"), f.user("ben"), f.user("cat")
    order_in(strawberries, S.PENDING_PAYMENT, quantity=2, buyer=ann)  # not revenue yet
    order_in(strawberries, S.PAID, quantity=1, buyer=ben)  # 9.90
    order_in(strawberries, S.SHIPPED, quantity=3, buyer=cat)  # 29.70
    order_in(strawberries, S.COMPLETED, quantity=1)  # 9.90
    order_in(strawberries, S.CANCELLED, quantity=2)
    order_in(strawberries, S.EXPIRED, quantity=1)
    order_in(strawberries, S.PAID, quantity=1, buyer=ben)  # ben's second order: one buyer who paid, 9.90
    dollars = f.offer("flash_sale", merchant_=shop, thread_=f.commerce_thread(shop), currency="USD", title="Cherries")
    order_in(dollars, S.PAID, quantity=2)  # 19.80 USD
    order_in(rival[1].offer, S.PAID, merchant_user=rival[0].user)  # the rival's money is not ours

    for client, times in ((logged_in(ann), 3), (logged_in(ben), 1), (Client(), 1), (logged_in(shop.user), 2)):
        for _ in range(times):
            client.get(deals.get_absolute_url())
    sweep()
    logged_in(cat).get(deals.get_absolute_url())  # not flushed yet: still shown

    html = dashboard(logged_in(shop.user))
    assert "€59.40" in tiles(html) and "$19.80" in tiles(html)
    assert "Waiting for payment 1" in tiles(html) and "To ship 3" in tiles(html)
    # 8 units held: the cancelled and expired orders' units went back on sale
    assert offer_row(html, strawberries).startswith("Strawberry punnets Flash sale Live 8 / 30 €59.40")
    assert offer_row(html, dollars).startswith("Cherries Flash sale Live 2 / 10 $19.80")
    assert funnel_of(html, strawberries) == {
        "Thread views": "6",  # ann 3, ben 1, a visitor 1, cat 1; the merchant's own 2 are not counted
        "Unique viewers": "4",
        "Claimed": "6",  # buyers who claimed (ben twice counts once), whatever became of it
        "Paid": "3",  # ben (twice), cat, the completed one
        "Completed": "1",
    }
    assert funnel_of(html, dollars) == {
        "Thread views": "0",
        "Unique viewers": "0",
        "Claimed": "1",
        "Paid": "1",
        "Completed": "0",
    }
    assert "Rival" not in html


def test_views_before_an_offer_was_posted_do_not_count_for_it(shop, deals, clock):
    post(shop, deals, "group_buy", title="Old apples", lasts=timedelta(hours=1))
    logged_in(f.user()).get(deals.get_absolute_url())
    sweep()
    clock.advance(days=2)
    sweep()  # closes the old one
    fresh = post(shop, deals, "flash_sale", title="New pears")
    # posted at the stopped clock's "now" (the field's default reads the real clock)
    Offer.objects.filter(pk=fresh.pk).update(created_at=timezone.now())
    logged_in(f.user()).get(deals.get_absolute_url())
    sweep()
    assert funnel_of(dashboard(logged_in(shop.user)), fresh)["Thread views"] == "1"


# --- orders to fulfil: one by one and in bulk ---------------------------------------------------------


def bulk(client, action, ids):
    response = client.post(reverse(DASHBOARD), {"action": action, "order": [str(i) for i in ids]})
    assert response.status_code == 302 and response["Location"] == reverse(DASHBOARD)
    return messages_of(client.get(response["Location"]).content.decode())


def test_the_orders_table_has_a_tick_box_per_order_for_the_bulk_form(shop, deals):
    offer = post(shop, deals, "flash_sale")
    waiting, paid = order_in(offer, S.PENDING_PAYMENT), order_in(offer, S.PAID)
    html = dashboard(logged_in(shop.user))
    bulk_form = form_to(html, reverse(DASHBOARD))
    assert bulk_form["buttons"] == ["Mark paid", "Mark shipped"] and bulk_form["fields"]["csrfmiddlewaretoken"]
    assert re.search(r'<form id="bulk-orders" method="post"', html)
    for order in (waiting, paid):
        row = re.search(rf'<tr id="order-{order.pk}">(.*?)</tr>', html, flags=re.S).group(1)
        assert re.search(rf'<input type="checkbox" name="order" value="{order.pk}" form="bulk-orders"', row)
    # and each row keeps its own one-click button
    assert form_to(html, reverse("community_commerce:order_action", args=[waiting.pk, "pay"]))
    assert form_to(html, reverse("community_commerce:order_action", args=[paid.pk, "ship"]))


def test_bulk_mark_paid_changes_the_unpaid_orders_and_reports_the_one_already_paid(shop, deals):
    offer = post(shop, deals, "flash_sale")
    waiting = [order_in(offer, S.PENDING_PAYMENT) for _ in range(3)]
    already = order_in(offer, S.PAID)

    assert bulk(logged_in(shop.user), "pay", [o.pk for o in [*waiting, already]]) == [
        "3 marked paid, 1 skipped (already paid)."
    ]
    for order in waiting:
        order.refresh_from_db()
        assert order.status == S.PAID
        assert OrderEvent.objects.filter(order=order, to_status=S.PAID, actor=shop.user).count() == 1
    assert OrderEvent.objects.filter(order=already, to_status=S.PAID).count() == 1  # not paid twice


def test_bulk_actions_skip_what_cannot_take_the_step_and_never_touch_another_merchant_s_order(shop, deals, rival):
    rival_order = rival[1]
    offer = post(shop, deals, "flash_sale")
    waiting, paid, expired = order_in(offer, S.PENDING_PAYMENT), order_in(offer, S.PAID), order_in(offer, S.EXPIRED)
    seller = logged_in(shop.user)

    ids = [waiting.pk, paid.pk, expired.pk, rival_order.pk, 999999]
    assert bulk(seller, "pay", ids) == ["1 marked paid, 4 skipped (1 already paid, 1 expired, 2 not found)."]
    assert bulk(seller, "ship", ids) == ["2 marked shipped, 3 skipped (1 expired, 2 not found)."]
    statuses = dict(Order.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {waiting.pk: S.SHIPPED, paid.pk: S.SHIPPED, expired.pk: S.EXPIRED, rival_order.pk: S.PENDING_PAYMENT}  # fmt: skip
    assert not OrderEvent.objects.filter(order=rival_order).exclude(to_status=S.PENDING_PAYMENT).exists()
    assert bulk(seller, "ship", [waiting.pk]) == ["0 marked shipped, 1 skipped (already shipped)."]


def test_bulk_mark_shipped_skips_unpaid_orders(shop, deals):
    offer = post(shop, deals, "flash_sale")
    paid = [order_in(offer, S.PAID), order_in(offer, S.PAID)]
    unpaid = order_in(offer, S.PENDING_PAYMENT)
    assert bulk(logged_in(shop.user), "ship", [unpaid.pk, *(o.pk for o in paid)]) == [
        "2 marked shipped, 1 skipped (not paid yet)."
    ]
    unpaid.refresh_from_db()
    assert unpaid.status == S.PENDING_PAYMENT


def test_a_merchant_who_is_also_staff_still_cannot_bulk_change_another_merchant_s_orders(shop, deals, rival):
    shop.user.is_staff = True
    shop.user.save(update_fields=["is_staff"])
    rival_order = rival[1]
    seller = logged_in(shop.user)
    assert rival_order.number not in dashboard(seller)
    assert bulk(seller, "pay", [rival_order.pk]) == ["0 marked paid, 1 skipped (not found)."]
    rival_order.refresh_from_db()
    assert rival_order.status == S.PENDING_PAYMENT


def test_the_dashboard_lists_only_the_merchant_s_own_orders(shop, deals, rival):
    mine = order_in(post(shop, deals, "flash_sale"), S.PENDING_PAYMENT)
    html = dashboard(logged_in(shop.user))
    assert mine.number in html and rival[1].number not in html
    assert rival[1].number in dashboard(logged_in(rival[0].user)) and mine.number not in dashboard(logged_in(rival[0].user))  # fmt: skip


@pytest.mark.parametrize(("data", "message"), [({"action": "pay"}, "Tick the orders first."), ({"action": "refund", "order": ["1"]}, "Choose what to do with the orders.")])  # fmt: skip
def test_a_bulk_post_without_orders_or_a_known_action_changes_nothing(shop, deals, data, message):
    order = order_in(post(shop, deals, "flash_sale"), S.PENDING_PAYMENT)
    client = logged_in(shop.user)
    response = client.post(reverse(DASHBOARD), data)
    assert messages_of(client.get(response["Location"]).content.decode()) == [message]
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


def test_transition_many_puts_each_order_in_its_own_transaction(shop, deals):
    offer = post(shop, deals, "flash_sale")
    a, b = order_in(offer, S.PENDING_PAYMENT), order_in(offer, S.CANCELLED)
    result = orders.transition_many(order_ids=[a.pk, b.pk], to_status=S.PAID, actor=shop.user, merchant=shop)
    assert result == {"changed": [a.pk], "skipped": {b.pk: S.CANCELLED}}
    a.refresh_from_db()
    assert a.status == S.PAID  # b's refusal did not undo a


# --- queries stay flat -----------------------------------------------------------------------------


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_dashboard_s_queries_do_not_grow_with_offers_orders_or_views(shop, deals):
    seller = logged_in(shop.user)
    url = reverse(DASHBOARD)
    order_in(post(shop, deals, "flash_sale"), S.PAID)
    one = _count(seller, url)
    for kind in ("flash_sale", "dutch_auction"):
        offer = post(shop, deals, kind, stock=30)
        for status in (S.PENDING_PAYMENT, S.PAID, S.SHIPPED, S.COMPLETED, S.CANCELLED):
            order_in(offer, status)
    take(post(shop, f.commerce_thread(shop), "group_buy"), f.user(), 3)
    for _ in range(3):
        logged_in(f.user()).get(deals.get_absolute_url())
    sweep()
    many = _count(seller, url)
    assert one == many


def test_my_deals_queries_do_not_grow_with_claims_and_orders(shop, deals):
    buyer = f.user("buyer")
    client = logged_in(buyer)
    url = reverse("community_commerce:my_orders")
    order_in(post(shop, deals, "flash_sale", stock=50), S.PENDING_PAYMENT, buyer=buyer)
    one = _count(client, url)
    offer = post(shop, deals, "flash_sale", stock=50)
    for status in (S.PAID, S.SHIPPED, S.COMPLETED, S.CANCELLED, S.EXPIRED):
        order_in(offer, status, buyer=buyer)
    take(post(shop, deals, "group_buy"), buyer, 2)
    many = _count(client, url)
    assert one == many


# --- the buyer's pages ------------------------------------------------------------------------------


def sections(html):
    """{group: [claim ids, in order]} of My deals."""
    found = {}
    for key, body in re.findall(r'<section class="deal-group deal-group-(\w+)"(.*?)</section>', html, flags=re.S):
        found[key] = [int(i) for i in re.findall(r'<tr id="claim-(\d+)">', body)]
    return found


def test_my_deals_groups_claims_by_what_they_wait_for(shop, deals):
    buyer = f.user("buyer")
    flash = post(shop, deals, "flash_sale", stock=50)
    group_buy = post(shop, deals, "group_buy", title="Apples")
    failing = post(shop, deals, "group_buy", title="Pears", lasts=timedelta(hours=1))

    pending = order_in(flash, S.PENDING_PAYMENT, buyer=buyer)
    committed = take(group_buy, buyer, 2)
    paid = order_in(flash, S.PAID, buyer=buyer)
    shipped = order_in(flash, S.SHIPPED, buyer=buyer)
    completed = order_in(flash, S.COMPLETED, buyer=buyer)
    expired = order_in(flash, S.EXPIRED, buyer=buyer)
    cancelled = order_in(flash, S.CANCELLED, buyer=buyer)
    withdrawn = take(group_buy, buyer, 1)
    withdraw.withdraw(claim_id=withdrawn.pk, buyer=buyer)
    released = take(failing, buyer, 1)
    assert lifecycle.close_offer(offer_id=failing.pk, now=failing.ends_at + timedelta(seconds=1))
    take(flash, f.user(), 1)  # someone else's

    html = logged_in(buyer).get(reverse("community_commerce:my_orders")).content.decode()
    assert sections(html) == {
        "pending": [pending.claim_id],
        "active": [committed.pk],
        "underway": [shipped.claim_id, paid.claim_id],
        "completed": [completed.claim_id],
        "ended": [released.pk, withdrawn.pk, cancelled.claim_id, expired.claim_id],
    }
    titles = re.findall(r'<h2 id="deals-\w+">(.*?) <span', html)
    assert titles == ["Waiting for your payment", "Commitments", "Paid or on the way", "Completed", "Ended"]
    waiting = html[html.index('<section class="deal-group deal-group-pending"') :]
    waiting = waiting[: waiting.index("</section>")]
    assert "Pay before" in text(waiting)
    assert f'<time datetime="{timezone.localtime(pending.payment_due_at).isoformat()}"' in waiting
    assert f'href="{reverse("community_commerce:order", args=[pending.pk])}"' in waiting
    assert f'href="{flash.get_absolute_url()}"' in waiting
    active = html[html.index('<section class="deal-group deal-group-active"') :]
    assert "Deadline" in text(active[: active.index("</section>")])


def test_the_order_page_shows_where_the_order_stands_and_how_to_pay_while_unpaid(shop, deals):
    offer = post(shop, deals, "flash_sale")
    order = order_in(offer, S.PENDING_PAYMENT)
    buyer = logged_in(order.buyer)
    url = reverse("community_commerce:order", args=[order.pk])

    page = buyer.get(url).content.decode()
    steps = re.search(r'<ol class="order-steps"[^>]*>(.*?)</ol>', page, flags=re.S).group(1)
    assert re.findall(r"<li[^>]*>\s*(.*?)\s*</li>", steps) == ["Ordered", "Waiting for payment", "Shipped", "Completed"]
    assert re.search(r'<li class="is-current" aria-current="step">Waiting for payment</li>', steps)
    assert PAY_HOW in page and "Pay before" in text(page)
    assert '<a href="/me/orders/">My deals</a>' in page or "My deals" in text(page)

    orders.transition(order_id=order.pk, to_status=S.PAID, actor=shop.user)
    page = buyer.get(url).content.decode()
    assert 'class="pay-box"' not in page
    assert re.search(r'<li class="is-current" aria-current="step">To be shipped</li>', page)


def test_notifications_link_to_the_order_and_the_offer_pages(shop, deals, django_capture_on_commit_callbacks):
    buyer = f.user("buyer")
    client = logged_in(buyer)
    offer = post(shop, deals, "flash_sale")
    order = take(offer, buyer, 1).order
    with django_capture_on_commit_callbacks(execute=True):
        orders.transition(order_id=order.pk, to_status=S.PAID, actor=shop.user)
    note = Notification.objects.get(recipient=buyer, kind="order_paid")
    response = client.get(reverse("forum:notification_open", args=[note.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("community_commerce:order", args=[order.pk])
    assert order.number in response.content.decode() and "Paid" in text(response.content.decode())

    starts = timezone.now() + timedelta(minutes=10)
    scheduled = post(shop, deals, "group_buy", title="Pumpkins", start=starts)
    remind(offer_id=scheduled.pk, user=buyer)
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=starts + timedelta(seconds=1))
    note = Notification.objects.filter(recipient=buyer).exclude(kind__in=["order_paid", "offer_joined"]).get()
    assert note.url == scheduled.get_absolute_url() and note.url.endswith(f"#offer-{scheduled.pk}")
    response = client.get(reverse("forum:notification_open", args=[note.pk]), follow=True)
    assert response.status_code == 200
    assert f'<article id="offer-{scheduled.pk}"' in response.content.decode()
    assert forms(response.content.decode())  # the thread page, with its forms
