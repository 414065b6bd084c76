"""Verified ratings: only the buyer of a completed order that was not refunded rates it,
1 to 5 stars and a short comment, once.

Double-blind, in Sharetribe's sense: the merchant writes their reply (their side of the
deal) without seeing the rating, and nobody else sees either until the rating is
published, when the merchant has replied or RATING_BLIND_DAYS have passed (the sweeper).
Neither side can then answer the other's words with a grudge. The merchant replies once.
Moderators hide an abusive comment with a reason; its stars still count. A rating counts
in the shop's reputation from its publication (services/reputation.py).
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community_commerce import errors
from community_commerce.adapters import get_adapter
from community_commerce.conf import conf
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Order, Rating
from community_commerce.money import parse_whole
from community_commerce.services import orders, reputation

S = Order.Status
COMMENT_MAX = 500
REPLY_MAX = 500

RATED = gettext_noop(
    "The buyer of order %(number)s rated it. Write your side of the deal: both are published once you have, "
    "or on %(date)s."
)
REPLIED = gettext_noop("The merchant replied to your rating of order %(number)s; both are published now.")
PUBLISHED = gettext_noop("The rating of order %(number)s is published.")
HIDDEN = gettext_noop("Moderators hid your comment on order %(number)s: %(reason)s")


def _comment(value, field, maximum, *, required) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise InvalidInput(fields={field: [_("This field is required.")]})
    if len(text) > maximum:
        raise InvalidInput(fields={field: [_("At most %d characters.") % maximum]})
    return text


def _stars(value) -> int:
    stars = None if isinstance(value, bool) else parse_whole(value)
    if stars is None or not 1 <= stars <= 5:
        raise InvalidInput(
            _("Give 1 to 5 stars."),
            fields={"stars": [_("Give a whole number from 1 to 5.")]},
            code=errors.INVALID_STARS,
        )
    return stars


def _refusal(order) -> Conflict | None:
    if Rating.objects.filter(order_id=order.pk).exists():
        return Conflict(_("You rated this order already."), code=errors.ALREADY_RATED)
    if order.status == S.REFUNDED:
        return Conflict(_("A refunded order is not rated."), code=errors.ORDER_REFUNDED)
    if order.status != S.COMPLETED:
        return Conflict(_("An order is rated once it is completed."), code=errors.NOT_COMPLETED)
    return None


def may_rate(user, order) -> bool:
    """Whether to offer this user the rating form on the order's page."""
    return orders.role_of(user, order) == "buyer" and _refusal(order) is None


def rate(*, order_id, buyer, stars, comment="", now=None) -> Rating:
    """The buyer's rating; the merchant is told to write their side (not what it says)."""
    now = now or timezone.now()
    order = orders.get_for(buyer, order_id)
    if orders.role_of(buyer, order) != "buyer":
        raise NotAllowed(_("Only the buyer of an order rates it."), code=errors.NOT_BUYER)
    stars = _stars(stars)
    comment = _comment(comment, "comment", COMMENT_MAX, required=False)
    refusal = _refusal(order)
    if refusal is not None:
        raise refusal
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                order=order, merchant_id=order.merchant_id, buyer=buyer, stars=stars, comment=comment, created_at=now
            )
            get_adapter().notify(
                recipients=[order.merchant.user_id],
                kind="order_rated",
                message=RATED,
                params={"number": order.number, "date": timezone.localdate(blind_until(rating)).isoformat()},
                url=orders.order_url(order),
                actor=buyer,
            )
    except IntegrityError:  # the same rating sent twice at once: the one-to-one keeps one
        raise Conflict(_("You rated this order already."), code=errors.ALREADY_RATED) from None
    return rating


def blind_until(rating):
    return rating.created_at + timedelta(days=conf.RATING_BLIND_DAYS)


def get_visible(user, rating_id) -> Rating:
    """A rating this user may see: a published one (anyone), or its buyer's, its merchant's
    (that it exists, not what it says: see :func:`shown_to`) and moderators'."""
    rating = Rating.objects.select_related("order", "merchant", "buyer").filter(pk=rating_id).first()
    if rating is None or not (rating.is_published or _party_or_moderator(user, rating)):
        raise NotFound(_("No such rating."))
    return rating


def _party_or_moderator(user, rating) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.pk in (rating.buyer_id, rating.merchant.user_id) or get_adapter().is_moderator(user)


def shown_to(user, rating) -> bool:
    """Whether the stars and comment show to this user: once published, to anyone; before,
    to its buyer and moderators only (the merchant writes their reply blind)."""
    if rating.is_published:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return user.pk == rating.buyer_id or get_adapter().is_moderator(user)


def reply(*, rating_id, merchant_user, body, now=None) -> Rating:
    """The merchant's reply, once; it publishes the rating (and itself) at once."""
    now = now or timezone.now()
    rating = get_visible(merchant_user, rating_id)
    if rating.merchant.user_id != merchant_user.pk:
        raise NotAllowed(_("Only the order's merchant replies to its rating."))
    body = _comment(body, "body", REPLY_MAX, required=True)
    with transaction.atomic():
        won = Rating.objects.filter(pk=rating.pk, replied_at__isnull=True).update(
            reply=body, replied_at=now, published_at=Coalesce("published_at", now)
        )
        if not won:
            raise Conflict(_("You replied to this rating already."), code=errors.ALREADY_REPLIED)
        get_adapter().notify(
            recipients=[rating.buyer_id],
            kind="rating_replied",
            message=REPLIED,
            params={"number": rating.order.number},
            url=orders.order_url(rating.order),
        )
        reputation.refresh_on_commit(rating.merchant_id)
    rating.refresh_from_db()
    return rating


def hide(*, rating_id, moderator, reason, now=None) -> tuple[Rating, bool]:
    """A moderator hides an abusive comment, with a reason; the stars still count.
    Hiding again changes nothing."""
    now = now or timezone.now()
    if not get_adapter().is_moderator(moderator):
        raise NotAllowed(_("Only moderators hide comments."))
    rating = get_visible(moderator, rating_id)
    reason = " ".join(str(reason or "").split())[:300]
    if not reason:
        raise InvalidInput(fields={"reason": [_("Say why the comment is hidden.")]})
    with transaction.atomic():
        won = Rating.objects.filter(pk=rating.pk, hidden_at__isnull=True).update(
            hidden_at=now, hidden_by=moderator, hidden_reason=reason
        )
        if won:
            get_adapter().notify(
                recipients=[rating.buyer_id],
                kind="rating_hidden",
                message=HIDDEN,
                params={"number": rating.order.number, "reason": reason},
                url=orders.order_url(rating.order),
                actor=moderator,
            )
    rating.refresh_from_db()
    return rating, bool(won)


def publish_due(*, now=None, limit=500) -> int:
    """The sweeper's part: ratings blind for RATING_BLIND_DAYS are published, each once (the
    rows are locked with ``skip_locked`` and updated in one transaction), the merchants told,
    and their shops' reputations refreshed."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Rating.objects.select_for_update(skip_locked=True)
            .filter(published_at__isnull=True, created_at__lte=now - timedelta(days=conf.RATING_BLIND_DAYS))
            .order_by("id")
            .values_list("id", "merchant_id", "order_id")[:limit]
        )
        if not due:
            return 0
        Rating.objects.filter(pk__in=[r[0] for r in due], published_at__isnull=True).update(published_at=now)
        found = Order.objects.filter(pk__in=[r[2] for r in due]).select_related("merchant")
        url_of = orders.order_url_maker()
        get_adapter().deliver_each(
            kind="rating_published",
            items=[(order.merchant.user_id, PUBLISHED, {"number": order.number}, url_of(order.pk)) for order in found],
        )
        for merchant_id in {r[1] for r in due}:
            reputation.refresh_on_commit(merchant_id)
    return len(due)


def published(merchant):
    """The shop's published ratings (of orders not refunded), newest first, with their orders
    and buyers."""
    return (
        Rating.objects.filter(merchant=merchant, published_at__isnull=False)
        .exclude(order__status=S.REFUNDED)
        .select_related("buyer", "order")
        .order_by("-published_at", "-id")
    )
