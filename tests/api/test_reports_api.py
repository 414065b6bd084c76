"""Commissions and reports through the JSON API (shared/API.md, "Commissions and reports"):
shapes, who may read what, and refusals that change nothing."""

import pytest

from community_commerce.models import CommissionEntry, PromotionCost
from community_commerce.services import commissions
from tests import factories
from tests.api.test_commerce_api import Api, error_of
from tests.commerce.ledger_support import buy, flash, link_of, move, referred

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    merchant = factories.merchant(factories.user("seller"), display_name="Tea House")
    return {"merchant": merchant, "offer": flash(merchant, factories.commerce_thread(merchant), price="25.00")}


@pytest.fixture
def bob():
    return factories.user("bob")


@pytest.fixture
def sale(shop, bob):
    """A newcomer bob brought buys twice through his link; the first sale is cancelled after payment."""
    offer = shop["offer"]
    newcomer = referred(link_of(bob, offer), "newcomer")
    code = link_of(bob, offer).code
    kept = move(buy(offer, newcomer, ref=code), "pay")
    cancelled = move(buy(offer, factories.user("other"), ref=code), "pay", "cancel")
    return {"kept": kept, "cancelled": cancelled}


def test_a_member_reads_their_rewards_with_totals_per_status_and_currency(sale, bob):
    response = Api(bob).get("/me/rewards")
    assert response.status_code == 200, response.content
    body = response.json()
    kinds = sorted((e["kind"], e["status"], e["amount"], e["order_number"]) for e in body["entries"])
    assert kinds == [
        ("cpa", "pending", "5.00", sale["kept"].number),
        ("cps", "pending", "0.50", sale["kept"].number),
        ("cps", "void", "0.50", sale["cancelled"].number),
    ]
    assert body["totals"] == [
        {"status": "pending", "currency": "EUR", "amount": "5.50", "count": 2},
        {"status": "void", "currency": "EUR", "amount": "0.50", "count": 1},
    ]
    assert body["count"] == 3
    cps = next(e for e in body["entries"] if e["kind"] == "cps" and e["status"] == "pending")
    assert (cps["rate"], cps["base"], cps["beneficiary"]) == ("2.00", "25.00", "member")
    assert Api(factories.user("stranger")).get("/me/rewards").json() == {"entries": [], "totals": [], "count": 0}


def test_rewards_need_a_login():
    error_of(Api().get("/me/rewards"), 401, "not_authenticated")


def test_a_merchant_reads_what_it_owes_by_month(sale, shop):
    seller = Api(shop["merchant"].user)
    body = seller.get("/merchant/commissions").json()
    assert sorted((e["beneficiary"], e["kind"], e["status"], e["amount"]) for e in body["entries"]) == [
        ("forum", "cps", "pending", "1.25"), ("forum", "cps", "void", "1.25"),
        ("member", "cpa", "pending", "5.00"), ("member", "cps", "pending", "0.50"), ("member", "cps", "void", "0.50"),
    ]  # fmt: skip
    month = sale["kept"].created_at.strftime("%Y-%m")
    assert seller.get("/merchant/commissions", month=month).json()["count"] == 5
    assert seller.get("/merchant/commissions", month="2001-01").json()["count"] == 0
    bad = error_of(seller.get("/merchant/commissions", month="2026-13"), 400, "invalid")
    assert list(bad["fields"]) == ["month"]
    error_of(Api(factories.user("nobody")).get("/merchant/commissions"), 403, "not_merchant")


def test_costs_are_entered_by_the_offer_s_merchant(shop):
    offer, seller = shop["offer"], Api(shop["merchant"].user)
    made = seller.post(f"/offers/{offer.pk}/costs", {"channel": "poster", "amount": "120.5", "note": "Print shop"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["channel"], body["amount"], body["currency"], body["note"]) == (
        "poster",
        "120.50",
        "EUR",
        "Print shop",
    )
    before = PromotionCost.objects.count()
    error_of(seller.post(f"/offers/{offer.pk}/costs", {"channel": "Poster!", "amount": "5"}), 400, "invalid_channel")
    bad = error_of(seller.post(f"/offers/{offer.pk}/costs", {"channel": "poster", "amount": "-5"}), 400, "invalid")
    assert list(bad["fields"]) == ["amount"]
    error_of(
        Api(factories.user("nosy")).post(f"/offers/{offer.pk}/costs", {"channel": "x", "amount": "1"}),
        403,
        "not_merchant",
    )
    error_of(seller.post("/offers/999999/costs", {"channel": "x", "amount": "1"}), 404, "not_found")
    assert PromotionCost.objects.count() == before


def test_the_merchant_report_by_channel_with_its_roi(sale, shop):
    seller = Api(shop["merchant"].user)
    seller.post(f"/offers/{shop['offer'].pk}/costs", {"channel": "forum", "amount": "10"})
    body = seller.get("/merchant/report", offer=shop["offer"].pk).json()
    assert body["rows"] == [
        {
            "channel": "forum",
            "currency": "EUR",
            "visits": 0,
            "visitors": 0,
            "signups": 1,
            "claims": 2,
            "paid_orders": 1,
            "completed_orders": 0,
            "revenue": "25.00",
            "discounts": "0.00",
            "commissions": "6.75",
            "cost": "10.00",
            "roi": "1.50",
        }
    ]  # fmt: skip  (commissions: 1.25 forum + 0.50 bob's CPS + 5.00 bob's CPA; the cancelled sale's are void)
    assert body["totals"][0]["roi"] == "1.50"
    assert seller.get("/merchant/report", **{"from": "2001-01-01", "to": "2001-01-31"}).json()["rows"] == []
    bad = error_of(seller.get("/merchant/report", **{"from": "2026-02-30"}), 400, "invalid")
    assert list(bad["fields"]) == ["from"]
    bad = error_of(seller.get("/merchant/report", **{"from": "2026-03-02", "to": "2026-03-01"}), 400, "invalid")
    assert list(bad["fields"]) == ["to"]
    other = factories.merchant()
    elsewhere = flash(other, factories.commerce_thread(other))
    error_of(seller.get("/merchant/report", offer=elsewhere.pk), 404, "not_found")
    error_of(Api(factories.user("nobody")).get("/merchant/report"), 403, "not_merchant")


def test_the_forum_wide_report_is_for_staff(sale, bob):
    error_of(Api(bob).get("/reports/channels"), 403, "forbidden")
    body = Api(factories.staff()).get("/reports/channels").json()
    assert [(r["channel"], r["revenue"]) for r in body["rows"]] == [("forum", "25.00")]
    month = sale["kept"].created_at.strftime("%Y-%m")
    assert body["forum_commissions"] == [{"month": month, "currency": "EUR", "amount": "1.25", "approved": "0.00"}]
    assert body["rewards_owed"] == [
        {"member": "bob", "currency": "EUR", "amount": "5.50", "pending": "5.50", "approved": "0.00"}
    ]


def test_a_refused_entry_says_why_in_the_member_s_language(shop, bob):
    offer = shop["offer"]
    order = buy(offer, bob)
    type(order).objects.filter(pk=order.pk).update(link=link_of(bob, offer))
    move(order, "pay")
    entry = CommissionEntry.objects.get(member=bob)
    assert entry.status == "fraud"
    api = Api(bob)
    english = api.get("/me/rewards").json()["entries"][0]["reason"]
    assert english == commissions.RULES["self_referral"]
    api.client.cookies["django_language"] = "zh-hans"
    chinese = api.client.get("/api/v1/me/rewards", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["entries"][0]["reason"]
    assert chinese and chinese != english
