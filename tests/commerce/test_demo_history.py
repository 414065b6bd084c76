"""The demo's commission story (`make run`: seed_demo then seed_commerce_demo): the figures a
newcomer sees on the dashboards, each one worked out from the demo's orders
(community_commerce/management/demo_history.py lists them), and made once however often
the demo is loaded."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from community_commerce.models import CommissionEntry, Merchant, Offer, Order, Payout
from community_commerce.services import reports

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def demo():
    for _ in range(2):
        call_command("seed_demo", verbosity=0)
        call_command("seed_commerce_demo", verbosity=0)
    return Merchant.objects.get(user__username="greengrocer")


HISTORY = "Wildflower honey, 500 g jar"  # the past sale; the live one carries bob's rated order and dispute


def entries(**filters):
    return sorted(CommissionEntry.objects.filter(**filters).values_list("kind", "status", "amount"))


def test_the_forum_s_commission_from_greengrocer(demo):
    assert entries(beneficiary="forum", merchant=demo, order__offer__title=HISTORY) == [
        ("cps", "paid", D("0.350")), ("cps", "paid", D("0.400")), ("cps", "paid", D("0.800")),
        ("cps", "paid", D("1.200")), ("cps", "reversed", D("-1.200")), ("cps", "void", D("0.400")),
    ]  # fmt: skip
    payout = Payout.objects.get(reference="DEMO-BANK-0001")
    assert (payout.amount, payout.entries) == (D("2.750"), 4)


def test_bob_s_referral_reward_for_the_sale_his_link_brought(demo):
    carol = Order.objects.get(buyer__username="carol")
    assert entries(member__username="bob", order=carol) == [
        ("cpa", "approved", D("5.000")),
        ("cps", "approved", D("0.320")),
    ]
    assert entries(member__username="bob", order__buyer__username="frank") == [("cps", "void", D("0.160"))]
    client = Client()
    client.force_login(carol.buyer.__class__.objects.get(username="bob"))
    page = client.get(reverse("community_commerce:rewards")).content.decode()
    assert carol.number in page and "€5.32" in page


def test_a_reversal_after_a_refund(demo):
    alice = Order.objects.get(buyer__username="alice", offer__title="Wildflower honey, 500 g jar")
    assert alice.status == "refunded"  # by staff, after completion
    reversal = CommissionEntry.objects.get(order=alice, status="reversed")
    assert reversal.amount == D("-1.200") and reversal.payout is None  # for the next payout
    assert reversal.reverses.status == "paid"


def test_the_report_by_channel_its_roi_and_chart(demo):
    report = reports.channel_report(merchant=demo, offer=Offer.objects.get(title=HISTORY))
    rows = {(r["channel"], r["currency"]): r for r in report["rows"]}
    poster, news = rows[("poster", "EUR")], rows[("newsletter", "EUR")]
    assert (poster["visits"], poster["visitors"], poster["revenue"], poster["cost"], poster["roi"]) == (
        40, 25, D("8.00"), D("12.00"), D("-0.33"),
    )  # fmt: skip
    assert (news["revenue"], news["discounts"], news["cost"], news["roi"]) == (
        D("7.00"),
        D("1.00"),
        D("5.00"),
        D("0.40"),
    )
    forum = rows[("forum", "EUR")]  # carol's 16.00 counts; alice's and frank's refunds count nothing
    assert (forum["revenue"], forum["signups"], forum["visits"]) == (D("16.00"), 1, 12)
    client = Client()
    client.force_login(demo.user)
    page = client.get(reverse("community_commerce:merchant_dashboard")).content.decode()
    assert 'id="chart-channels-EUR"' in page and "-0.33" in page
    csv_file = client.get(reverse("community_commerce:merchant_report_csv"))
    assert csv_file.status_code == 200 and b"poster,EUR,40,25" in csv_file.content


def test_the_demo_history_is_made_once(demo):
    call_command("seed_commerce_demo", verbosity=0)
    assert Order.objects.filter(offer__title="Wildflower honey, 500 g jar").count() == 5
    assert Payout.objects.count() == 1
