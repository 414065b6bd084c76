"""The reports (services/reports.py) against a fixture whose every figure is worked out
by hand below: cancelled orders count nothing, a sale with a coupon of channel A and a link
of channel B counts once for A, ROI is null without a cost, currencies are never mixed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community_commerce.errors import InvalidInput, NotAllowed, NotFound
from community_commerce.models import LinkVisitDay, LinkVisitor, Order
from community_commerce.services import commissions, reports
from tests import factories
from tests.commerce.ledger_support import buy, coupon_for, flash, link_of, move, referred

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def shop(merchant, merchant_thread):
    """Five orders of one merchant:

    | order | channel | how | total | status | forum 5% |
    |---|---|---|---|---|---|
    | o1 | poster | the merchant's campaign link | 10.00 EUR | completed | 0.50 |
    | o2 | newsletter | coupon NEWS (channel newsletter, 1.00 off) + bob's link (channel forum) | 9.00 EUR | paid | 0.45 |
    | o3 | forum | nothing | 10.00 EUR | paid, then cancelled | void |
    | o4 | forum | nothing | 1000 JPY | shipped | 50 |
    | o5 | forum | nothing | 10.00 EUR | waiting for payment | none |

    The poster link: 30 visits, 2 visitors, 1 sign-up; bob's link: 5 visits, 1 visitor.
    Cost entered: 20.00 EUR on poster."""
    euro = flash(merchant, merchant_thread, price="10.00")
    yen = flash(merchant, merchant_thread, price="1000", currency="JPY")
    poster = link_of(merchant.user, euro, channel="poster")
    bobs = link_of(factories.user("bob"), euro)
    news = coupon_for(euro, channel="newsletter", code="NEWS")
    today = timezone.localdate()
    for link, visits, visitors in ((poster, 30, ["v:a", "v:b"]), (bobs, 5, ["v:c"])):
        LinkVisitDay.objects.create(link=link, day=today, visits=visits)
        LinkVisitor.objects.bulk_create([LinkVisitor(link=link, day=today, visitor=v) for v in visitors])
    newcomer = referred(poster, "newcomer")
    o1 = move(buy(euro, newcomer, ref=poster.code), "pay", "ship", "complete")
    o2 = move(buy(euro, factories.user("reader"), ref=bobs.code, coupon=news.code), "pay")
    o3 = move(buy(euro, factories.user("quitter")), "pay", "cancel")
    o4 = move(buy(yen, factories.user("tourist")), "pay", "ship")
    o5 = buy(euro, factories.user("slow"))
    reports.add_cost(user=merchant.user, offer_id=euro.pk, channel="poster", amount="20.00", note="A3 posters")
    return {"merchant": merchant, "euro": euro, "yen": yen, "orders": [o1, o2, o3, o4, o5], "bob_link": bobs}


def row(report, channel, currency):
    found = [r for r in report["rows"] if (r["channel"], r["currency"]) == (channel, currency)]
    assert len(found) == 1, report["rows"]
    return found[0]


def test_the_hand_computed_figures_of_each_channel_and_currency(shop):
    o1, o2, o3, o4, _o5 = shop["orders"]
    assert [o.channel for o in (o1, o2, o3, o4)] == ["poster", "newsletter", "forum", "forum"]
    report = reports.channel_report(merchant=shop["merchant"])
    assert sorted((r["channel"], r["currency"]) for r in report["rows"]) == [
        ("forum", "EUR"), ("forum", "JPY"), ("newsletter", "EUR"), ("poster", "EUR"),
    ]  # fmt: skip
    assert row(report, "poster", "EUR") == {
        "channel": "poster", "currency": "EUR", "visits": 30, "visitors": 2, "signups": 1, "claims": 1,
        "paid_orders": 1, "completed_orders": 1, "revenue": D("10.00"), "discounts": D("0.00"),
        "commissions": D("0.50"), "cost": D("20.00"), "roi": D("-0.50"),
    }  # fmt: skip
    news = row(report, "newsletter", "EUR")  # coupon from newsletter, link from forum: counted once, for newsletter
    assert (news["paid_orders"], news["revenue"], news["discounts"], news["commissions"]) == (
        1,
        D("9.00"),
        D("1.00"),
        D("0.45"),
    )
    assert news["visits"] == 0 and news["roi"] is None  # no cost, no ROI
    forum = row(report, "forum", "EUR")  # bob's link's traffic; o3 cancelled and o5 unpaid count nothing
    assert (forum["visits"], forum["visitors"], forum["claims"], forum["paid_orders"]) == (5, 1, 2, 0)
    assert (forum["revenue"], forum["commissions"]) == (D("0.00"), D("0.00"))
    yen = row(report, "forum", "JPY")
    assert (yen["paid_orders"], yen["completed_orders"], yen["revenue"], yen["commissions"]) == (
        1,
        0,
        D("1000"),
        D("50"),
    )
    eur_total = next(t for t in report["totals"] if t["currency"] == "EUR")
    assert (eur_total["revenue"], eur_total["claims"], eur_total["cost"], eur_total["roi"]) == (
        D("19.00"),
        4,
        D("20.00"),
        D("-0.05"),
    )
    assert [t["currency"] for t in report["totals"]] == ["EUR", "JPY"]  # never added together


def test_a_sale_counts_for_one_channel_only_whatever_the_link(shop):
    report = reports.channel_report(merchant=shop["merchant"])
    assert sum(r["paid_orders"] for r in report["rows"] if r["currency"] == "EUR") == 2
    assert Order.objects.filter(link=shop["bob_link"]).count() == 1  # o2 carries bob's link, counted for newsletter


def test_revenue_counts_orders_as_they_are_at_the_time_of_the_report(shop, django_capture_on_commit_callbacks):
    o1 = shop["orders"][0]
    before = row(reports.channel_report(merchant=shop["merchant"]), "poster", "EUR")
    move(o1, "cancel", actor=factories.staff())  # refunded after completion
    after = row(reports.channel_report(merchant=shop["merchant"]), "poster", "EUR")
    assert (before["revenue"], after["revenue"]) == (D("10.00"), D("0.00"))
    assert after["commissions"] == D("0.00")  # pending, so voided
    assert after["roi"] == D("-1.00")


def test_a_reversal_cancels_its_approved_entry_in_the_report(shop):
    o4 = move(shop["orders"][3], "complete")
    commissions.approve_due(now=timezone.now() + timedelta(days=30))
    move(o4, "cancel", actor=factories.staff())
    assert row(reports.channel_report(merchant=shop["merchant"]), "forum", "JPY")["commissions"] == D("0")


def test_one_offer_and_a_date_range(shop):
    report = reports.channel_report(merchant=shop["merchant"], offer=shop["yen"])
    assert [(r["channel"], r["currency"], r["revenue"]) for r in report["rows"]] == [("forum", "JPY", D("1000"))]
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert reports.channel_report(merchant=shop["merchant"], first=tomorrow)["rows"] == []
    yesterday = timezone.localdate() - timedelta(days=1)
    assert (
        len(reports.channel_report(merchant=shop["merchant"], first=yesterday, last=timezone.localdate())["rows"]) == 4
    )


def test_the_report_is_a_fixed_number_of_queries(shop):
    with CaptureQueriesContext(connection) as queries:
        reports.channel_report(merchant=shop["merchant"])
    assert len(queries) == 6  # orders (their commissions too), claims, costs, visits, visitors, sign-ups
    for query in queries.captured_queries:
        assert "GROUP BY" in query["sql"]


def test_another_merchant_s_orders_are_not_in_the_report(shop):
    other = factories.merchant()
    move(buy(flash(other, factories.commerce_thread(other)), factories.user("elsewhere")), "pay")
    mine = reports.channel_report(merchant=shop["merchant"])
    assert sum(r["paid_orders"] for r in mine["rows"]) == 3
    everyone = reports.channel_report()
    assert sum(r["paid_orders"] for r in everyone["rows"]) == 4


def test_the_forum_s_commissions_per_month_and_the_rewards_owed(shop, merchant):
    months = reports.forum_by_month()
    month = timezone.localdate().strftime("%Y-%m")
    assert months == [
        {"month": month, "currency": "EUR", "amount": D("0.95"), "approved": D("0.00")},
        {"month": month, "currency": "JPY", "amount": D("50"), "approved": D("0")},
    ]
    bob = factories.user("bob2")
    newcomer = referred(link_of(bob, shop["euro"]), "newcomer2")
    move(buy(shop["euro"], newcomer, ref=link_of(bob, shop["euro"]).code), "pay")
    assert reports.rewards_owed() == [
        {"member": "bob2", "currency": "EUR", "amount": D("5.20"), "pending": D("5.20"), "approved": D("0.00")}
    ]  # 2% of 10.00 and a CPA of 5.00


def test_revenue_and_orders_per_day(shop):
    days = reports.daily(merchant=shop["merchant"])
    today = timezone.localdate()
    assert days == [
        {"day": today, "currency": "EUR", "orders": 2, "revenue": D("19.00")},
        {"day": today, "currency": "JPY", "orders": 1, "revenue": D("1000")},
    ]


def test_participation_per_offer_from_thread_views_to_completed(shop, merchant_thread):
    factories.post(thread_=merchant_thread, author=factories.user("chatty"))
    funnel = reports.participation([shop["euro"]])[shop["euro"].pk]
    assert funnel == {
        "views": 0, "viewers": 0, "replies": 1, "shares": 2, "link_visits": 35, "claims": 4, "paid": 2, "completed": 1,
    }  # fmt: skip


def test_a_cost_is_entered_by_the_offer_s_merchant_only_with_a_valid_channel_and_amount(shop, merchant):
    euro = shop["euro"]
    with pytest.raises(NotAllowed):
        reports.add_cost(user=factories.user("nosy"), offer_id=euro.pk, channel="poster", amount="5")
    with pytest.raises(NotFound):
        reports.add_cost(user=merchant.user, offer_id=999999, channel="poster", amount="5")
    with pytest.raises(InvalidInput) as bad:
        reports.add_cost(user=merchant.user, offer_id=euro.pk, channel="Big Poster", amount="5.001")
    assert set(bad.value.fields) == {"channel", "amount"}
    cost = reports.add_cost(user=merchant.user, offer_id=shop["yen"].pk, channel="wechat-group", amount="3000")
    assert (cost.amount, cost.currency) == (D("3000"), "JPY")
    assert row(reports.channel_report(merchant=merchant), "wechat-group", "JPY")["roi"] == D("-1.00")


@pytest.mark.parametrize("value", ["2026-13-01", "26-01-01", "yesterday", "0001-01-01", "2026-1-1"])
def test_dates_that_are_not_dates_are_refused_naming_the_field(value):
    with pytest.raises(InvalidInput) as refused:
        reports.day_range(value, None)
    assert list(refused.value.fields) == ["from"]


def test_roi_has_two_decimals_and_none_without_cost():
    assert reports.roi(D("150"), D("100")) == D("0.50")
    assert reports.roi(D("1"), D("3")) == D("-0.67")
    assert reports.roi(D("10"), D("0")) is None
