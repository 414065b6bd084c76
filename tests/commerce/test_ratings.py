"""Verified, double-blind ratings (services/ratings.py): only the buyer of a completed order
that was not refunded rates it, once, 1 to 5 stars; the merchant replies once without
seeing it; it is published when the merchant has replied or after RATING_BLIND_DAYS;
moderators hide an abusive comment with a reason and the stars still count."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community_commerce import errors
from community_commerce.errors import NotFound
from community_commerce.models import Order, Rating
from community_commerce.services import disputes, ratings, reputation
from community_commerce.services.schedule import sweep
from tests.commerce.conftest import notes
from tests.commerce.trust_support import Shop, refused

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def shop():
    return Shop()


def test_the_buyer_rates_a_completed_order_once(shop, django_capture_on_commit_callbacks):
    order = shop.order(S.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        rating = ratings.rate(order_id=order.pk, buyer=shop.buyer, stars="4", comment="  Crisp   apples ")
    assert (rating.stars, rating.comment, rating.is_published, rating.merchant) == (
        4,
        "Crisp apples",
        False,
        shop.merchant,
    )
    (note,) = notes(shop.seller, "order_rated")
    assert note.text.startswith(f"The buyer of order {order.number} rated it. Write your side of the deal")
    # The stars stay blind: no 4 once the order's number and the publication date are left out.
    assert "4" not in re.sub(r"\d{4}-\d{2}-\d{2}", "", note.text.replace(order.number, ""))
    refused(lambda: ratings.rate(order_id=order.pk, buyer=shop.buyer, stars=5), errors.ALREADY_RATED)


@pytest.mark.parametrize("stars", [0, 6, -1, "five", 4.5, True, None, ""])
def test_stars_outside_1_to_5_are_refused(shop, stars):
    order = shop.order(S.COMPLETED)
    refused(lambda: ratings.rate(order_id=order.pk, buyer=shop.buyer, stars=stars), errors.INVALID_STARS)


def test_a_comment_is_short(shop):
    order = shop.order(S.COMPLETED)
    refused(lambda: ratings.rate(order_id=order.pk, buyer=shop.buyer, stars=3, comment="x" * 501), "invalid")


def test_only_the_buyer_rates(shop):
    order = shop.order(S.COMPLETED)
    refused(lambda: ratings.rate(order_id=order.pk, buyer=shop.seller, stars=5), errors.NOT_BUYER)
    refused(lambda: ratings.rate(order_id=order.pk, buyer=shop.staff, stars=1), errors.NOT_BUYER)
    refused(lambda: ratings.rate(order_id=order.pk, buyer=shop.stranger, stars=1), "not_found")


@pytest.mark.parametrize(("status", "code"), [(S.REFUNDED, errors.ORDER_REFUNDED), (S.SHIPPED, errors.NOT_COMPLETED), (S.PAID, errors.NOT_COMPLETED), (S.DISPUTED, errors.NOT_COMPLETED)])  # fmt: skip
def test_only_a_completed_order_not_refunded_is_rated(shop, status, code):
    order = shop.order(status)
    refused(lambda: ratings.rate(order_id=order.pk, buyer=shop.buyer, stars=5), code)


def test_a_rating_of_an_order_refunded_later_stops_counting(shop):
    rating = shop.rated(stars=1)
    ratings.reply(rating_id=rating.pk, merchant_user=shop.seller, body="Sorry")
    assert reputation.refresh(shop.merchant.pk).rating_count == 1
    dispute = disputes.open_dispute(order_id=rating.order_id, buyer=shop.buyer, reason="not_as_described", details="x")
    disputes.resolve(dispute_id=dispute.pk, actor=shop.staff, outcome="refund", reason="Fair")
    assert reputation.refresh(shop.merchant.pk).rating_count == 0
    assert list(ratings.published(shop.merchant)) == []


def test_double_blind_the_merchant_replies_without_seeing_the_rating(shop, django_capture_on_commit_callbacks):
    rating = shop.rated(stars=2, comment="Late and bruised")
    assert ratings.shown_to(shop.buyer, rating) and ratings.shown_to(shop.moderator, rating)
    assert not ratings.shown_to(shop.seller, rating)
    with pytest.raises(NotFound):  # the public does not know it exists
        ratings.get_visible(shop.stranger, rating.pk)
    order_url = reverse("community_commerce:order", args=[rating.order_id])
    seller = Client()
    seller.force_login(shop.seller)
    page = seller.get(order_url).content.decode()
    assert "Late and bruised" not in page and "The buyer rated this order" in page
    assert reverse("community_commerce:rating_reply", args=[rating.pk]) in page
    with django_capture_on_commit_callbacks(execute=True):
        replied = ratings.reply(rating_id=rating.pk, merchant_user=shop.seller, body="The van broke down, sorry.")
    assert replied.is_published and replied.published_at == replied.replied_at
    assert [n.kind for n in notes(shop.buyer, "rating_replied")] == ["rating_replied"]
    page = seller.get(order_url).content.decode()
    assert "Late and bruised" in page and "The van broke down, sorry." in page
    assert ratings.get_visible(shop.stranger, rating.pk) == rating
    refused(lambda: ratings.reply(rating_id=rating.pk, merchant_user=shop.seller, body="Again"), errors.ALREADY_REPLIED)


def test_only_the_merchant_replies(shop):
    rating = shop.rated()
    refused(lambda: ratings.reply(rating_id=rating.pk, merchant_user=shop.buyer, body="me"), "forbidden")
    refused(lambda: ratings.reply(rating_id=rating.pk, merchant_user=shop.stranger, body="me"), "not_found")


def test_a_rating_is_published_by_the_sweeper_after_seven_days_once(shop, django_capture_on_commit_callbacks):
    rating = shop.rated(stars=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=timezone.now() + timedelta(days=6, hours=23))["published"] == 0
        assert sweep(now=timezone.now() + timedelta(days=7, minutes=1))["published"] == 1
        assert sweep(now=timezone.now() + timedelta(days=8))["published"] == 0
    rating.refresh_from_db()
    assert rating.is_published
    assert [n.kind for n in notes(shop.seller, "rating_published")] == ["rating_published"]
    row = reputation.refresh(shop.merchant.pk)
    assert (row.rating_count, row.rating_average) == (1, 3)
    # the merchant may still reply once, now seeing it
    assert ratings.shown_to(shop.seller, rating)
    ratings.reply(rating_id=rating.pk, merchant_user=shop.seller, body="Thanks")


def test_moderators_hide_an_abusive_comment_with_a_reason_and_the_stars_still_count(
    shop, django_capture_on_commit_callbacks
):
    rating = shop.rated(stars=1, comment="The grocer is a thief and a ****")
    ratings.reply(rating_id=rating.pk, merchant_user=shop.seller, body="Please talk to me.")
    refused(lambda: ratings.hide(rating_id=rating.pk, moderator=shop.seller, reason="rude"), "forbidden")
    refused(lambda: ratings.hide(rating_id=rating.pk, moderator=shop.moderator, reason=" "), "invalid")
    with django_capture_on_commit_callbacks(execute=True):
        hidden, changed = ratings.hide(rating_id=rating.pk, moderator=shop.moderator, reason="Insults")
    assert (changed, hidden.hidden_reason, hidden.hidden_by) == (True, "Insults", shop.moderator)
    _again, changed = ratings.hide(rating_id=rating.pk, moderator=shop.moderator, reason="Insults")
    assert changed is False
    assert (
        notes(shop.buyer, "rating_hidden")[0].text
        == f"Moderators hid your comment on order {rating.order.number}: Insults"
    )
    assert reputation.refresh(shop.merchant.pk).rating_count == 1
    page = Client().get(reverse("community_commerce:merchant", args=[shop.merchant.pk])).content.decode()
    assert "thief" not in page and "The comment was hidden by the moderators: Insults" in page
    assert "Please talk to me." in page


def test_the_rating_form_on_the_order_page(shop):
    order = shop.order(S.COMPLETED)
    client = Client()
    client.force_login(shop.buyer)
    url = reverse("community_commerce:order", args=[order.pk])
    page = client.get(url).content.decode()
    rate = reverse("community_commerce:order_rate", args=[order.pk])
    assert rate in page and 'name="stars"' in page
    response = client.post(rate, {"stars": "9", "comment": "?"})
    assert response["Location"] == url and not Rating.objects.exists()
    client.post(rate, {"stars": "5", "comment": "Perfect strawberries"})
    assert Rating.objects.get().stars == 5
    page = client.get(url).content.decode()
    assert rate not in page and "Perfect strawberries" in page and "Not published yet" in page
