"""The commission ledger (services/commissions.py, services/payouts.py): what a paid order
earns, the states (pending, approved, paid, void, reversed, fraud), exactly once, the
fraud rules, and payouts that deduct reversals. On SQLite and on PostgreSQL."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from community_commerce.errors import Conflict, InvalidInput
from community_commerce.models import CategoryRate, CommissionEntry, Order, Programme
from community_commerce.services import commissions, payouts, schedule
from tests import factories
from tests.commerce.ledger_support import buy, coupon_for, flash, link_of, move, referred

pytestmark = pytest.mark.django_db

E = CommissionEntry


@pytest.fixture
def offer(merchant, merchant_thread):
    return flash(merchant, merchant_thread, price="20.00")


@pytest.fixture
def bob(db):
    return factories.user("bob", email="bob@example.com")


def entries(order, **filters):
    return {(e.beneficiary, e.kind): e for e in E.objects.filter(order=order, reverses=None, **filters)}


def by_status(**filters):
    return sorted(E.objects.filter(**filters).values_list("kind", "beneficiary", "status", "amount"))


# --- what a paid order earns ------------------------------------------------------------------------


def test_a_paid_order_owes_the_forum_its_cps_on_the_total_net_of_the_discount(offer, buyer):
    coupon = coupon_for(offer, value="2.00", code="SPRING")
    order = buy(offer, buyer, quantity=2, coupon=coupon.code)  # 2 x (20.00 - 2.00 off each) = 36.00
    assert order.total == Decimal("36.000")
    assert not E.objects.exists()  # nothing before payment
    move(order, "pay")
    forum = entries(order)[("forum", "cps")]
    assert (forum.status, forum.rate, forum.base, forum.amount) == (
        "pending",
        Decimal("5.00"),
        order.total,
        Decimal("1.800"),
    )
    assert forum.merchant_id == order.merchant_id and forum.member is None
    assert set(entries(order)) == {("forum", "cps")}  # no link, no referral: nothing for members


def test_the_member_whose_link_brought_the_sale_earns_the_referral_cps(offer, buyer, bob):
    link = link_of(bob, offer)
    order = move(buy(offer, buyer, ref=link.code), "pay")
    assert order.channel == "forum" and order.link_id == link.pk
    reward = entries(order)[("member", "cps")]
    assert (reward.member, reward.rate, reward.amount, reward.status) == (
        bob,
        Decimal("2.00"),
        Decimal("0.400"),
        "pending",
    )


def test_a_coupon_from_another_channel_took_the_sale_so_the_link_earns_nothing(offer, buyer, bob):
    coupon = coupon_for(offer, channel="newsletter", code="NEWS")
    order = move(buy(offer, buyer, ref=link_of(bob, offer).code, coupon=coupon.code), "pay")
    assert order.channel == "newsletter"
    assert set(entries(order)) == {("forum", "cps")}


def test_a_member_who_signed_up_through_a_link_earns_its_owner_one_cpa_on_the_first_order(offer, bob):
    newcomer = referred(link_of(bob, offer), "newcomer")
    first = move(buy(offer, newcomer), "pay")
    second = move(buy(offer, newcomer), "pay")
    cpa = entries(first)[("member", "cpa")]
    assert (cpa.member, cpa.amount, cpa.currency, cpa.rate) == (bob, Decimal("5.000"), "EUR", None)
    assert ("member", "cpa") not in entries(second)


def test_a_void_first_order_gives_the_acquisition_to_the_next_one(offer, bob):
    newcomer = referred(link_of(bob, offer), "newcomer")
    first = move(buy(offer, newcomer), "pay", "cancel")
    assert entries(first)[("member", "cpa")].status == "void"
    second = move(buy(offer, newcomer), "pay")
    assert entries(second)[("member", "cpa")].status == "pending"


def test_the_cpa_is_in_the_order_s_currency_and_decimals(merchant, merchant_thread, bob):
    yen = flash(merchant, merchant_thread, price="1500", currency="JPY")
    newcomer = referred(link_of(bob, yen), "newcomer")
    order = move(buy(yen, newcomer, ref=link_of(bob, yen).code), "pay")
    assert {k: (e.amount, e.currency) for k, e in entries(order).items()} == {
        ("forum", "cps"): (Decimal("75"), "JPY"),
        ("member", "cps"): (Decimal("30"), "JPY"),
        ("member", "cpa"): (Decimal("5"), "JPY"),
    }


def test_the_programme_in_the_admin_overrides_the_settings_and_a_category_may_have_its_own_rate(
    offer, buyer, settings, merchant_thread
):
    settings.COMMUNITY_COMMERCE_FORUM_CPS_PERCENT = "4"
    assert entries(move(buy(offer, buyer), "pay"))[("forum", "cps")].rate == Decimal("4")
    programme = Programme.objects.create(forum_cps_percent=Decimal("6.5"))
    assert entries(move(buy(offer, buyer), "pay"))[("forum", "cps")].amount == Decimal("1.300")
    CategoryRate.objects.create(programme=programme, category_id=merchant_thread.category_id, forum_cps_percent=3)
    assert entries(move(buy(offer, buyer), "pay"))[("forum", "cps")].amount == Decimal("0.600")


def _staff_client(**rights):
    from django.test import Client

    client = Client()
    client.force_login(factories.user(is_staff=True, **rights))
    return client


def _programme_form(**fields):
    return {
        "forum_cps_percent": "", "referral_cps_percent": "", "cpa_amount": "",
        "category_rates-TOTAL_FORMS": "0", "category_rates-INITIAL_FORMS": "0",
        **fields,
    }  # fmt: skip


def test_the_programme_s_admin_form_refuses_a_rate_over_100_and_saves_a_good_one_with_a_category_rate(
    offer, buyer, merchant_thread
):
    from django.urls import reverse

    add = reverse("admin:community_commerce_programme_add")
    assert _staff_client().post(add, _programme_form(forum_cps_percent="6.5")).status_code == 403  # no right to
    client = _staff_client(is_superuser=True)
    refused = client.post(add, _programme_form(forum_cps_percent="150"))
    assert refused.status_code == 200 and refused.context["adminform"].form.errors
    assert not Programme.objects.exists()
    category = {"category_rates-TOTAL_FORMS": "1", "category_rates-0-category_id": str(merchant_thread.category_id),
                "category_rates-0-forum_cps_percent": "3"}  # fmt: skip
    saved = client.post(add, _programme_form(forum_cps_percent="6.5", **category))
    assert saved.status_code == 302, saved.content[:400]
    assert CategoryRate.objects.get().forum_cps_percent == Decimal("3")
    assert entries(move(buy(offer, buyer), "pay"))[("forum", "cps")].rate == Decimal("3")
    assert client.get(add).status_code == 403  # one programme: no second one


def test_the_payout_form_in_the_admin_refuses_a_missing_reference_and_pays_nothing(offer, buyers):
    from django.urls import reverse

    order = move(buy(offer, buyers[0]), "pay", "ship", "complete")
    schedule_all = entries(order)
    response = _staff_client(is_superuser=True).post(
        reverse("admin:community_commerce_commissionentry_changelist"),
        {"action": "record_payout", "_selected_action": [e.pk for e in schedule_all.values()], "apply": "1",
         "reference": "", "up_to": "not-a-date"},
    )  # fmt: skip
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"reference", "up_to"}
    assert not CommissionEntry.objects.filter(payout__isnull=False).exists()


def test_the_rates_are_read_from_the_environment(monkeypatch):
    import importlib

    import config.settings

    monkeypatch.setenv("COMMUNITY_COMMERCE_REFERRAL_CPS_PERCENT", "3.5")
    monkeypatch.setenv("COMMUNITY_COMMERCE_FORUM_CPS_PERCENT_BY_CATEGORY", "12:4, 15:6.5")
    try:
        fresh = importlib.reload(config.settings)
        assert fresh.COMMUNITY_COMMERCE_REFERRAL_CPS_PERCENT == "3.5"
        assert fresh.COMMUNITY_COMMERCE_FORUM_CPS_PERCENT_BY_CATEGORY == {"12": "4", "15": "6.5"}
    finally:
        monkeypatch.undo()
        importlib.reload(config.settings)


# --- exactly once -----------------------------------------------------------------------------------


def test_the_paid_event_delivered_again_writes_nothing_more(offer, buyer, bob):
    newcomer = referred(link_of(bob, offer), "newcomer")
    order = move(buy(offer, newcomer, ref=link_of(bob, offer).code), "pay")
    assert len(entries(order)) == 3
    for _ in range(3):
        commissions.record_for_order(order_id=order.pk)
    assert E.objects.filter(order=order).count() == 3


def test_the_database_refuses_a_second_entry_for_the_same_order_beneficiary_and_kind(offer, buyer):
    order = move(buy(offer, buyer), "pay")
    first = entries(order)[("forum", "cps")]
    first.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save()


def test_a_late_paid_event_for_a_cancelled_order_earns_nothing(offer, buyer):
    order = move(buy(offer, buyer), "cancel", actor=buyer)
    assert commissions.record_for_order(order_id=order.pk) == []
    assert not E.objects.exists()


# --- the states --------------------------------------------------------------------------------------


def complete(order, *, days_ago):
    """Pay, ship and complete an order ``days_ago`` days back."""
    at = Order.objects.get(pk=order.pk).created_at
    at = at - timedelta(days=days_ago) if days_ago else at
    return move(order, "pay", "ship", "complete", now=at)


def test_the_sweeper_approves_only_completed_orders_past_the_refund_window(offer, buyers, settings):
    settings.COMMUNITY_COMMERCE_REFUND_DAYS = 7
    old = complete(buy(offer, buyers[0]), days_ago=8)
    recent = complete(buy(offer, buyers[1]), days_ago=3)
    shipped = move(buy(offer, buyers[2]), "pay", "ship")
    assert schedule.sweep()["approved"] == 1
    assert entries(old)[("forum", "cps")].status == "approved"
    assert entries(recent)[("forum", "cps")].status == "pending"
    assert entries(shipped)[("forum", "cps")].status == "pending"
    assert schedule.sweep()["approved"] == 0  # twice: nothing more


def test_approval_is_one_update_per_batch(offer, buyers, django_assert_max_num_queries):
    for member in buyers:
        complete(buy(offer, member), days_ago=30)
    with django_assert_max_num_queries(2):  # two batches of two (the second finds one)
        assert commissions.approve_due(batch=2) == 3


def test_cancelling_before_approval_voids_the_pending_entries(offer, buyer, bob):
    order = move(buy(offer, buyer, ref=link_of(bob, offer).code), "pay", "cancel", actor=offer.merchant.user)
    assert by_status(order=order) == [
        ("cps", "forum", "void", Decimal("1.000")),
        ("cps", "member", "void", Decimal("0.400")),
    ]


def test_only_staff_may_cancel_a_completed_order_and_then_its_approved_entries_are_reversed(offer, buyer):
    order = complete(buy(offer, buyer), days_ago=10)
    commissions.approve_due()
    with pytest.raises(Conflict):
        move(order, "cancel")  # the merchant: a completed order stays completed
    move(order, "cancel", actor=factories.staff())
    assert by_status(order=order) == [
        ("cps", "forum", "approved", Decimal("1.000")),
        ("cps", "forum", "reversed", Decimal("-1.000")),
    ]
    assert commissions.reverse_for_order(order_id=order.pk) == {"voided": 0, "reversed": 0}  # again: nothing
    assert E.objects.filter(order=order).count() == 2


def test_a_payout_pays_what_was_approved_up_to_its_date_then_the_next_deducts_a_reversal(offer, buyers):
    staff = factories.staff()
    a = complete(buy(offer, buyers[0]), days_ago=20)
    b = complete(buy(offer, buyers[1]), days_ago=20)
    commissions.approve_due()
    later = complete(buy(offer, buyers[2]), days_ago=0)  # not approved yet
    first = payouts.record_for(entries=E.objects.all(), up_to=date.today(), reference="BANK-1", by=staff)
    assert [(p.beneficiary, p.amount, p.entries) for p in first] == [("forum", Decimal("2.000"), 2)]
    assert by_status(status="paid") == [("cps", "forum", "paid", Decimal("1.000"))] * 2
    assert payouts.record_for(entries=E.objects.all(), up_to=date.today(), reference="BANK-1", by=staff) == []

    move(a, "cancel", actor=staff)  # refunded after it was paid
    commissions.approve_due(now=later.updated_at + timedelta(days=8))
    second = payouts.record_for(entries=E.objects.all(), up_to=date.today() + timedelta(days=9), reference="BANK-2")
    assert [(p.amount, p.entries) for p in second] == [(Decimal("0.000"), 2)]  # 1.00 for `later`, -1.00 for `a`
    assert E.objects.get(order=a, status="reversed").payout == second[0]
    assert by_status(order=b) == [("cps", "forum", "paid", Decimal("1.000"))]


def test_a_payout_needs_a_reference(offer, buyer):
    complete(buy(offer, buyer), days_ago=20)
    commissions.approve_due()
    with pytest.raises(InvalidInput):
        payouts.record_for(entries=E.objects.all(), up_to=date.today(), reference="  ")
    assert not E.objects.filter(status="paid").exists()


# --- fraud -------------------------------------------------------------------------------------------


def fraud(order):
    return {k: (e.status, e.rule, e.reason) for k, e in entries(order).items() if k[0] == "member"}


def test_self_referral_is_refused_with_its_reason(offer, bob):
    order = buy(offer, bob)
    Order.objects.filter(pk=order.pk).update(link=link_of(bob, offer))  # the claim path never lets it through
    move(order, "pay")
    assert fraud(order) == {("member", "cps"): ("fraud", "self_referral", commissions.RULES["self_referral"])}


def test_the_merchant_s_own_purchase_pays_nobody(offer, merchant, bob):
    order = buy(offer, factories.user("other"), ref=link_of(bob, offer).code)
    Order.objects.filter(pk=order.pk).update(buyer=merchant.user)
    move(order, "pay")
    assert {e.status for e in entries(order).values()} == {"fraud"}
    assert {e.rule for e in entries(order).values()} == {"merchant_purchase"}


def test_a_referrer_who_is_the_offer_s_merchant_earns_nothing(offer, merchant, buyer):
    link = link_of(factories.user("friend"), offer)
    order = buy(offer, buyer, ref=link.code)
    type(link).objects.filter(pk=link.pk).update(owner=merchant.user)
    move(order, "pay")
    assert fraud(order)[("member", "cps")][:2] == ("fraud", "merchant_offer")


@pytest.mark.parametrize(
    "referrer_email,buyer_email",
    [("alias@example.com", "alias+deals@example.com"), ("Alias+one@Example.com", "alias+two@example.COM")],
)
def test_buyer_and_referrer_sharing_an_email_alias_is_refused(offer, referrer_email, buyer_email):
    sharer = factories.user("sharer", email=referrer_email)
    newcomer = referred(link_of(sharer, offer), "newcomer", email=buyer_email)
    order = move(buy(offer, newcomer, ref=link_of(sharer, offer).code), "pay")
    assert fraud(order) == {
        ("member", "cps"): ("fraud", "email_alias", commissions.RULES["email_alias"]),
        ("member", "cpa"): ("fraud", "email_alias", commissions.RULES["email_alias"]),
    }
    assert entries(order)[("forum", "cps")].status == "pending"  # the forum's own is a real sale


def test_more_than_n_signups_through_one_link_within_an_hour_earn_no_cpa(offer, bob, settings):
    settings.COMMUNITY_COMMERCE_CPA_MAX_PER_LINK_HOUR = 2
    link = link_of(bob, offer)
    start = factories.user("clock").date_joined
    farm = [referred(link, f"farm{i}", at=start + timedelta(minutes=10 * i)) for i in range(4)]
    late = referred(link, "late", at=start + timedelta(hours=3))
    statuses = [entries(move(buy(offer, m), "pay"))[("member", "cpa")] for m in [*farm, late]]
    assert [(e.status, e.rule) for e in statuses] == [
        ("pending", ""), ("pending", ""), ("fraud", "velocity"), ("fraud", "velocity"), ("pending", ""),
    ]  # fmt: skip
    assert statuses[2].reason == "More than 2 sign-ups through this link within an hour."


def test_fraud_entries_are_never_approved_nor_paid(offer, bob):
    order = buy(offer, bob)
    Order.objects.filter(pk=order.pk).update(link=link_of(bob, offer))
    complete(order, days_ago=30)
    commissions.approve_due()
    assert entries(order)[("member", "cps")].status == "fraud"
    assert payouts.record_for(entries=E.objects.filter(member=bob), up_to=date.today(), reference="X") == []


def test_email_keys_ignore_case_and_plus_tags():
    assert commissions.email_key("A.B+x@Mail.COM") == "a.b@mail.com"
    assert commissions.email_key("") == commissions.email_key("nobody") == ""


def test_the_reversal_step_for_a_refunds_extension_point_runs_once_and_ignores_unpaid_orders(offer, buyer, buyers):
    from types import SimpleNamespace

    order = complete(buy(offer, buyer), days_ago=10)
    commissions.approve_due()
    for _ in range(2):
        commissions.reverse_step(SimpleNamespace(order=order, from_status="completed", reason="refund", now=None))
    assert by_status(order=order) == [
        ("cps", "forum", "approved", Decimal("1.000")),
        ("cps", "forum", "reversed", Decimal("-1.000")),
    ]
    unpaid = buy(offer, buyers[0])
    commissions.reverse_step(SimpleNamespace(order=unpaid, from_status="pending_payment", reason="", now=None))
    assert not E.objects.filter(order=unpaid).exists()
