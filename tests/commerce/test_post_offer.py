"""Posting and editing offers (services.post_offer): who may, what is checked, and
that the terms freeze once the first buyer is in."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from community_commerce import errors
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Offer
from community_commerce.services import claim as claim_service
from community_commerce.services import merchants, reminders
from community_commerce.services.post_offer import create_offer, update_offer
from community_commerce.services.withdraw import withdraw
from forum.services import subscriptions
from tests import factories
from tests.commerce.conftest import notes, thread_events

pytestmark = pytest.mark.django_db

TERMS = {
    "group_buy": {"unit_price": "19.90", "min_quantity": 10, "tiers": [{"min_quantity": 30, "unit_price": "17.90"}]},
    "flash_sale": {"unit_price": "9.90", "reservation_minutes": 15},
    "dutch_auction": {"start_price": "100.00", "floor_price": "40.00", "step": "5.00", "step_seconds": 60},
}


def fields(kind="flash_sale", **overrides):
    """A valid offer body of this kind, live since a minute ago."""
    now = timezone.now()
    body = {
        "kind": kind,
        "title": "Green tea, 1 kg",
        "description": "Fresh from the spring harvest.",
        "currency": "EUR",
        "starts_at": now - timedelta(minutes=1),
        "ends_at": now + timedelta(days=2),
        "stock": None if kind == "group_buy" else 20,
        "per_user_limit": None,
        "terms": TERMS[kind],
    }
    body.update(overrides)
    return body


def refused(exc_type, user, thread_id, **body):
    before = Offer.objects.count()
    with pytest.raises(exc_type) as exc:
        create_offer(user=user, thread_id=thread_id, **body)
    assert Offer.objects.count() == before  # a refused offer leaves nothing behind
    return exc.value


# --- Who may post -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["group_buy", "flash_sale", "dutch_auction"])
def test_verified_merchant_posts_a_live_offer_in_their_own_deals_thread(
    kind, merchant, merchant_thread, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields(kind, currency="eur"))
    offer.refresh_from_db()
    assert offer.kind == kind
    assert offer.status == Offer.Status.LIVE
    assert offer.opened_at is not None
    assert offer.merchant == merchant
    assert offer.thread_id == merchant_thread.pk
    assert offer.currency == "EUR"
    assert offer.terms["unit_price" if kind != "dutch_auction" else "start_price"] in ("19.90", "9.90", "100.00")
    label = dict(Offer.Kind.choices)[kind]
    assert thread_events(merchant_thread) == [f"{label} is live: Green tea, 1 kg"]


def test_offer_starting_later_is_scheduled_and_announced_nowhere_yet(
    merchant, merchant_thread, django_capture_on_commit_callbacks
):
    starts = timezone.now() + timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        offer = create_offer(
            user=merchant.user,
            thread_id=merchant_thread.pk,
            **fields(starts_at=starts, ends_at=starts + timedelta(hours=1)),
        )
    assert offer.status == Offer.Status.SCHEDULED
    assert offer.opened_at is None
    assert thread_events(merchant_thread) == []


def test_terms_are_stored_as_the_kind_cleaned_them(merchant, merchant_thread):
    offer = create_offer(
        user=merchant.user,
        thread_id=merchant_thread.pk,
        **fields("group_buy", terms={"unit_price": 19.9, "min_quantity": "10", "tiers": []}),
    )
    offer.refresh_from_db()
    assert offer.terms == {"unit_price": "19.90", "min_quantity": 10, "tiers": [], "lock_when_reached": False}
    assert Decimal(offer.terms["unit_price"]) == Decimal("19.90")


@pytest.mark.parametrize("status", ["pending", "suspended"])
def test_unverified_merchant_is_refused(status, commerce_category):
    seller = factories.merchant(status=status)
    own_thread = factories.commerce_thread(seller, category_=commerce_category)
    exc = refused(NotAllowed, seller.user, own_thread.pk, **fields())
    assert exc.code == errors.NOT_MERCHANT
    assert exc.status == 403


def test_member_without_a_shop_is_refused(commerce_category):
    member = factories.user()
    own_thread = factories.thread(author=member, category_=commerce_category)
    assert refused(NotAllowed, member, own_thread.pk, **fields()).code == errors.NOT_MERCHANT


def test_merchant_suspended_by_staff_can_no_longer_post(merchant, merchant_thread):
    create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields())
    merchants.suspend(merchant=merchant, actor=factories.staff(), reason="Unpaid orders")
    assert refused(NotAllowed, merchant.user, merchant_thread.pk, **fields()).code == errors.NOT_MERCHANT


def test_another_members_thread_is_refused(merchant, commerce_category):
    other_thread = factories.thread(author=factories.user(), category_=commerce_category)
    exc = refused(NotAllowed, merchant.user, other_thread.pk, **fields())
    assert exc.code == errors.NOT_YOUR_THREAD


def test_another_merchants_thread_is_refused(merchant, commerce_category):
    rival = factories.merchant()
    rival_thread = factories.commerce_thread(rival, category_=commerce_category)
    assert refused(NotAllowed, merchant.user, rival_thread.pk, **fields()).code == errors.NOT_YOUR_THREAD


def test_thread_outside_a_deals_category_is_refused(merchant):
    chat = factories.category("Chat", commerce_enabled=False)
    own_thread = factories.thread(author=merchant.user, category_=chat)
    assert refused(NotAllowed, merchant.user, own_thread.pk, **fields()).code == errors.COMMERCE_DISABLED


def test_locked_thread_is_refused(merchant, commerce_category):
    own_thread = factories.commerce_thread(merchant, category_=commerce_category, locked=True)
    assert refused(NotAllowed, merchant.user, own_thread.pk, **fields()).code == "thread_locked"


def test_missing_or_deleted_thread_is_not_found(merchant, merchant_thread):
    refused(NotFound, merchant.user, 999_999, **fields())
    merchant_thread.deleted_at = timezone.now()
    merchant_thread.save(update_fields=["deleted_at"])
    refused(NotFound, merchant.user, merchant_thread.pk, **fields())


# --- Common validation --------------------------------------------------------------------------


def _now():
    return timezone.now()


def _same_start_and_end():
    at = timezone.now() + timedelta(hours=1)
    return {"starts_at": at, "ends_at": at}


@pytest.mark.parametrize(
    ("kind", "overrides", "field"),
    [
        ("flash_sale", lambda: {"ends_at": _now() - timedelta(minutes=1)}, "ends_at"),  # before the start
        ("flash_sale", lambda: _same_start_and_end(), "ends_at"),  # ends_at must be *after* the start
        (
            "flash_sale",
            lambda: {"starts_at": _now() - timedelta(hours=2), "ends_at": _now() - timedelta(hours=1)},
            "ends_at",
        ),  # in the past
        ("flash_sale", lambda: {"currency": "EURO"}, "currency"),
        ("flash_sale", lambda: {"currency": "XYZ"}, "currency"),
        ("flash_sale", lambda: {"currency": ""}, "currency"),
        ("flash_sale", lambda: {"stock": None}, "stock"),
        ("dutch_auction", lambda: {"stock": None}, "stock"),
        ("dutch_auction", lambda: {"stock": ""}, "stock"),
        ("flash_sale", lambda: {"stock": 0}, "stock"),
        ("flash_sale", lambda: {"stock": "-1"}, "stock"),
        ("flash_sale", lambda: {"stock": 2.5}, "stock"),
        ("flash_sale", lambda: {"stock": True}, "stock"),
        ("group_buy", lambda: {"stock": 0}, "stock"),
        ("group_buy", lambda: {"stock": 9}, "stock"),  # fewer units than its minimum of 10: it could never succeed
        ("flash_sale", lambda: {"per_user_limit": 0}, "per_user_limit"),
        ("flash_sale", lambda: {"per_user_limit": "many"}, "per_user_limit"),
        ("flash_sale", lambda: {"starts_at": datetime(2030, 1, 1, 12, 0)}, "starts_at"),  # naive
        ("flash_sale", lambda: {"ends_at": datetime(2030, 1, 1, 12, 0)}, "ends_at"),  # naive
        ("flash_sale", lambda: {"ends_at": "2030-01-01T12:00:00"}, "ends_at"),  # naive ISO text
        ("flash_sale", lambda: {"starts_at": "next monday"}, "starts_at"),
        ("flash_sale", lambda: {"starts_at": None}, "starts_at"),
        ("flash_sale", lambda: {"title": "ab"}, "title"),
        ("flash_sale", lambda: {"terms": "cheap"}, "terms.unit_price"),
        ("flash_sale", lambda: {"terms": {"unit_price": "9.999"}}, "terms.unit_price"),
        ("group_buy", lambda: {"terms": {**TERMS["group_buy"], "min_quantity": 0}}, "terms.min_quantity"),
    ],
)
def test_invalid_offer_is_refused_naming_the_field(kind, overrides, field, merchant, merchant_thread):
    exc = refused(InvalidInput, merchant.user, merchant_thread.pk, **fields(kind, **overrides()))
    assert exc.status == 400
    assert field in exc.fields, exc.fields


def test_every_problem_is_reported_at_once(merchant, merchant_thread):
    exc = refused(
        InvalidInput,
        merchant.user,
        merchant_thread.pk,
        **fields(currency="ZZZ", stock=0, per_user_limit=0, terms={"unit_price": "0"}),
    )
    assert {"currency", "stock", "per_user_limit", "terms.unit_price"} <= set(exc.fields)


def test_unknown_kind_is_refused(merchant, merchant_thread):
    assert "kind" in refused(InvalidInput, merchant.user, merchant_thread.pk, **{**fields(), "kind": "raffle"}).fields


def test_iso_datetimes_with_an_offset_are_accepted(merchant, merchant_thread):
    starts = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    offer = create_offer(
        user=merchant.user,
        thread_id=merchant_thread.pk,
        **fields(
            starts_at=starts.astimezone(timezone.get_fixed_timezone(60)).isoformat(),
            ends_at=(starts + timedelta(hours=2)).isoformat(),
        ),
    )
    offer.refresh_from_db()
    assert offer.starts_at == starts
    assert offer.ends_at == starts + timedelta(hours=2)


def test_group_buy_needs_no_stock_and_limits_are_optional(merchant, merchant_thread):
    offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields("group_buy"))
    assert offer.stock is None
    assert offer.per_user_limit is None
    capped_group = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields("group_buy", stock=10))
    assert capped_group.stock == 10
    capped = create_offer(
        user=merchant.user, thread_id=merchant_thread.pk, **fields("flash_sale", stock="1", per_user_limit="1")
    )
    assert (capped.stock, capped.per_user_limit) == (1, 1)


# --- Editing ------------------------------------------------------------------------------------


def test_merchant_edits_terms_before_the_first_claim(merchant, merchant_thread):
    offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields())
    edited = update_offer(
        user=merchant.user, offer_id=offer.pk, terms={"unit_price": "8.50", "reservation_minutes": 30}, stock=25
    )
    offer.refresh_from_db()
    assert offer.terms == {"unit_price": "8.50", "reservation_minutes": 30}
    assert offer.stock == 25
    assert offer.revision == 1
    assert edited.terms == offer.terms


def test_edit_is_validated_like_a_new_offer(merchant, merchant_thread):
    offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields())
    with pytest.raises(InvalidInput) as exc:
        update_offer(user=merchant.user, offer_id=offer.pk, terms={"unit_price": "-1"})
    assert "terms.unit_price" in exc.value.fields
    offer.refresh_from_db()
    assert offer.terms["unit_price"] == "9.90"
    assert offer.revision == 0


def test_edit_moving_the_start_later_makes_the_offer_scheduled(merchant, merchant_thread):
    offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields())
    later = timezone.now() + timedelta(hours=5)
    update_offer(user=merchant.user, offer_id=offer.pk, starts_at=later, ends_at=later + timedelta(hours=1))
    offer.refresh_from_db()
    assert offer.status == Offer.Status.SCHEDULED


def test_kind_cannot_change(merchant, merchant_thread):
    offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields())
    with pytest.raises(InvalidInput) as exc:
        update_offer(user=merchant.user, offer_id=offer.pk, kind="dutch_auction", terms=TERMS["dutch_auction"])
    assert "kind" in exc.value.fields
    offer.refresh_from_db()
    assert offer.kind == "flash_sale"


@pytest.mark.parametrize("kind", ["group_buy", "flash_sale"])
def test_terms_freeze_with_the_first_claim(kind, merchant, merchant_thread, buyer):
    offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields(kind))
    claim_service.claim(offer_id=offer.pk, buyer=buyer, quantity=1)
    new_terms = {**offer.terms, "unit_price": "1.00"}
    if kind == "group_buy":
        new_terms["tiers"] = []
    with pytest.raises(Conflict) as exc:
        update_offer(user=merchant.user, offer_id=offer.pk, terms=new_terms)
    assert exc.value.code == errors.TERMS_FROZEN
    with pytest.raises(Conflict):
        update_offer(user=merchant.user, offer_id=offer.pk, title="A brand new title")
    offer.refresh_from_db()
    assert offer.terms["unit_price"] != "1.00"
    assert offer.title == "Green tea, 1 kg"
    assert offer.revision == 0


def test_terms_stay_frozen_after_the_only_claim_is_withdrawn(merchant, merchant_thread, buyer):
    offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields("group_buy"))
    taken, _ = claim_service.claim(offer_id=offer.pk, buyer=buyer, quantity=2)
    assert withdraw(claim_id=taken.pk, buyer=buyer) is True
    with pytest.raises(Conflict) as exc:
        update_offer(user=merchant.user, offer_id=offer.pk, terms={**offer.terms, "unit_price": "1.00", "tiers": []})
    assert exc.value.code == errors.TERMS_FROZEN


def test_only_its_merchant_may_edit(merchant, merchant_thread):
    offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields())
    rival = factories.merchant()
    for intruder in (rival.user, factories.user(), factories.staff()):
        with pytest.raises(NotAllowed):
            update_offer(user=intruder, offer_id=offer.pk, title="Stolen")
    offer.refresh_from_db()
    assert offer.title == "Green tea, 1 kg"


def test_suspended_merchant_cannot_edit(merchant, merchant_thread):
    offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields())
    merchants.suspend(merchant=merchant, reason="Complaints")
    with pytest.raises(NotAllowed) as exc:
        update_offer(user=merchant.user, offer_id=offer.pk, title="Still selling")
    assert exc.value.code == errors.NOT_MERCHANT


def test_cancelled_offer_cannot_be_edited(merchant, merchant_thread):
    from community_commerce.services.lifecycle import cancel_offer

    offer = create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields())
    cancel_offer(offer_id=offer.pk, actor=merchant.user, reason="Supplier let us down")
    with pytest.raises(Conflict) as exc:
        update_offer(user=merchant.user, offer_id=offer.pk, title="Back again")
    assert exc.value.code == errors.CLOSED


def test_watchers_are_told_when_a_scheduled_offer_opens(merchant, merchant_thread, django_capture_on_commit_callbacks):
    from community_commerce.services.schedule import sweep

    watcher = factories.user("watcher")
    subscriptions.watch(user=watcher, thread=merchant_thread)
    starts = timezone.now() + timedelta(hours=1)
    create_offer(
        user=merchant.user,
        thread_id=merchant_thread.pk,
        **fields(starts_at=starts, ends_at=starts + timedelta(hours=1)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=starts)
    assert [n.kind for n in notes(watcher)] == ["offer_live"]


def test_watchers_are_told_when_an_offer_goes_live_at_once(
    merchant, merchant_thread, django_capture_on_commit_callbacks
):
    watcher = factories.user("watcher")
    subscriptions.watch(user=watcher, thread=merchant_thread)
    with django_capture_on_commit_callbacks(execute=True):
        create_offer(user=merchant.user, thread_id=merchant_thread.pk, **fields())
    assert [n.kind for n in notes(watcher)] == ["offer_live"]


def test_moving_a_scheduled_start_to_now_still_tells_members_who_asked_to_be_reminded(
    merchant, merchant_thread, buyer, django_capture_on_commit_callbacks
):
    starts = timezone.now() + timedelta(hours=3)
    offer = create_offer(
        user=merchant.user,
        thread_id=merchant_thread.pk,
        **fields(starts_at=starts, ends_at=starts + timedelta(hours=1)),
    )
    assert reminders.remind(offer_id=offer.pk, user=buyer) is True
    with django_capture_on_commit_callbacks(execute=True):
        update_offer(user=merchant.user, offer_id=offer.pk, starts_at=timezone.now())
    offer.refresh_from_db()
    assert offer.status == Offer.Status.LIVE
    assert [n.kind for n in notes(buyer)] == ["offer_live"]
    assert thread_events(merchant_thread) == ["Flash sale is live: Green tea, 1 kg"]
