"""What the plugin shows on forum pages: the offer panel of a thread, the badges of a
page of threads, merchant badges, the profile's shop panel. The template tags
(templatetags/commerce.py) and the bundled forum's extension hooks (adapters/bundled.py)
both call these. Each loads what a whole page needs in a fixed number of queries.
Threads come as ThreadRefs (adapters/base.py)."""

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community_commerce.adapters import get_adapter
from community_commerce.models import Claim, Merchant, Offer
from community_commerce.money import format_money
from community_commerce.services import card_coupons, points, stats, thread_events
from community_commerce.services.offer_state import live_states, reader_claims, reader_guesses, with_buyer_counts


def merchant_badges(user_ids) -> dict:
    verified = Merchant.objects.filter(user_id__in=list(user_ids), status=Merchant.Status.VERIFIED)
    return {
        user_id: [{"label": _("Merchant: %(name)s") % {"name": name}, "css": "merchant"}]
        for user_id, name in verified.values_list("user_id", "display_name")
    }


def thread_offer_ids(thread_ids) -> dict:
    ids: dict[int, list[int]] = {tid: [] for tid in thread_ids}
    for offer_id, thread_id in Offer.objects.filter(thread_id__in=list(thread_ids)).values_list("id", "thread_id"):
        ids.setdefault(thread_id, []).append(offer_id)
    return {tid: {"offers": sorted(offer_ids)} for tid, offer_ids in ids.items()}


def may_add_offer(user, thread, *, commerce_enabled=None) -> bool:
    """Whether to offer ``user`` the "Add an offer" link on ``thread`` (a ThreadRef): their
    own thread, in a category with commerce, and a verified shop. Nothing is asked of the
    database for anyone but the thread's author. ``commerce_enabled``: when the caller
    knows it already (the forum loaded the category), no query for it."""
    if not (user.is_authenticated and thread.author_id == user.pk):
        return False
    if commerce_enabled is None:
        commerce_enabled = get_adapter().commerce_enabled(thread.category_id)
    return bool(commerce_enabled) and Merchant.objects.filter(user=user, status=Merchant.Status.VERIFIED).exists()


def thread_offer_panel(request, thread, *, commerce_enabled=None) -> str:
    """The offer cards at the top of a thread (a ThreadRef), with the claim forms. One
    query for the offers with their counts, the reader's claims and, when the plugin
    keeps the thread events itself, those events too."""
    user = request.user
    adapter = get_adapter()
    offers = card_coupons.with_coupons(
        with_buyer_counts(Offer.objects.filter(thread_id=thread.id), reader=user), reader=user
    )
    if adapter.events_in_panel:
        offers = thread_events.with_events(offers)
    offers = list(offers.select_related("merchant", "merchant__reputation").order_by("id"))  # + the shop's reputation
    stats.note_thread_offers(request, thread.id, bool(offers))  # the view counter needs no query of its own
    may_add = may_add_offer(user, thread, commerce_enabled=commerce_enabled)
    if not offers and not may_add:
        return ""
    for offer in offers:
        offer._thread_url = thread.url  # known: no adapter call for the offers' links
    now = timezone.now()
    states = live_states(offers, now=now)
    parts = viewer_parts(user, offers)
    cards = [offer_card(offer, state, parts[offer.pk]) for offer, state in zip(offers, states, strict=True)]
    # Rendered without the request: the page's context processors (the unread count...)
    # have run once already; the cards need only the member and the CSRF token.
    return render_to_string(
        "community_commerce/thread_offers.html",
        {
            "cards": cards,
            "thread": thread,
            "events": thread_events.events_of(offers),
            "may_add": may_add,
            "server_now": iso(now),
            "user": user,
            "csrf_token": get_token(request) if user.is_authenticated else "",
        },
    )


def iso(moment) -> str:
    """ISO 8601 to the millisecond, the form every browser's Date.parse reads ("" for none)."""
    return timezone.localtime(moment).isoformat(timespec="milliseconds") if moment else ""


def polls(offer) -> bool:
    """A card keeps polling for its live numbers until the offer is final."""
    return offer.closed_at is None and offer.status != Offer.Status.CANCELLED


def viewer_parts(user, offers) -> dict[int, dict]:
    """Each card's part that depends on who reads it: their claims (with orders),
    the units they hold, how many more they may take, and whether the offer is
    theirs. Offers from with_buyer_counts carry the reader's claims already (no
    query); others cost one query for all of them, none for a visitor."""
    mine: dict[int, list] = {}
    loose = []
    for offer in offers:
        claims = reader_claims(offer)
        if claims is None:
            loose.append(offer)
        else:
            mine[offer.pk] = claims
    if user.is_authenticated and loose:
        for claim in Claim.objects.filter(offer__in=loose, buyer=user).select_related("order").order_by("id"):
            mine.setdefault(claim.offer_id, []).append(claim)
    card_coupons.load(offers, user)
    now = timezone.now()
    parts = {}
    for offer in offers:
        claims = mine.get(offer.pk, [])
        held = sum(c.quantity for c in claims if c.status in Claim.HOLDING)
        is_merchant = user.is_authenticated and offer.merchant.user_id == user.pk
        my_guesses = None
        if offer.kind == Offer.Kind.LOWEST_UNIQUE and user.is_authenticated:
            my_guesses = reader_guesses(offer)
            if my_guesses is None:  # not annotated: the games' own service asks
                from community_commerce.services import guesses

                my_guesses = [g.amount for g in guesses.guesses_of(offer_ids=[offer.pk], member=user).get(offer.pk, [])]
        parts[offer.pk] = {
            "my_claims": claims,
            "my_guesses": my_guesses or [],
            "my_team_ids": {c.team_id for c in claims if c.team_id and c.status in Claim.HOLDING},
            "is_merchant": is_merchant,
            "held": held,
            "can_take": None if offer.per_user_limit is None else max(offer.per_user_limit - held, 0),
            **card_coupons.card_coupons(offer, claims=claims, is_merchant=is_merchant, now=now),
        }
    return parts


def time_until(moment, now) -> str:
    """How long until ``moment``, as a reader without JavaScript sees it:
    "42 seconds", "4 minutes", "2 hours, 3 minutes"."""
    if moment is None:
        return ""
    seconds = int((moment - now).total_seconds())
    if seconds < 60:
        seconds = max(seconds, 0)
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    return timeuntil(moment, now)


def offer_card(offer, state, part, live_html=None) -> dict:
    """What offer_card.html takes: the offer, its live state, the moments its
    countdowns aim at (ISO, and in words from the server's clock), the viewer's
    part, and whether the card polls."""
    now = state["server_time"]
    return {
        "offer": offer,
        "state": state,
        "clock": {
            "starts": iso(state["starts_at"]),
            "ends": iso(state["ends_at"]),
            "next_drop": iso(state.get("next_price_at")),
            "starts_in": time_until(state["starts_at"], now),
            "ends_in": time_until(state["ends_at"], now),
            "next_drop_in": time_until(state.get("next_price_at"), now),
        },
        "polls": polls(offer),
        "live_html": live_html,
        **part,
    }


def profile_merchant_panel(request, member) -> str:
    """On a profile: the member's shop, and for their own profile the way to apply or manage it."""
    merchant = Merchant.objects.filter(user=member).select_related("reputation").first()
    own = request.user.is_authenticated and request.user.pk == member.pk
    if merchant is None and not own:
        return ""
    context = {"merchant": merchant, "own": own, "member": member}
    if own:  # a member's points are their own business: shown on their own profile only
        context["points"] = points.balance_of(member)
    return render_to_string("community_commerce/profile_panel.html", context, request=request)


# --- Thread lists: a compact badge per open or recently ended offer ----------

BADGE_RECENTLY_ENDED_DAYS = 3  # an ended offer keeps its badge this long, then the list forgets it


def _badge_time(delta) -> str:
    """A compact duration for a badge: "45 min", "2 h", "3 d" (rounded down, like timesince)."""
    from django.utils.translation import ngettext

    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 3600:
        n = max(seconds // 60, 1)
        return ngettext("%(n)d min", "%(n)d min", n) % {"n": n}
    if seconds < 2 * 86400:
        n = seconds // 3600
        return ngettext("%(n)d h", "%(n)d h", n) % {"n": n}
    n = seconds // 86400
    return ngettext("%(n)d d", "%(n)d d", n) % {"n": n}


def _offer_badge(state, now) -> dict:
    kind = {
        "group_buy": _("Group-buy"),
        "flash_sale": _("Flash sale"),
        "dutch_auction": _("Dutch"),
        "team_buy": _("Team buy"),
        "lowest_unique": _("Guess"),
    }[state["kind"]]
    status = state["status"]
    if status == Offer.Status.LIVE and state["stock_left"] == 0:
        status = Offer.Status.SOLD_OUT  # the last unit went before the status caught up
    if status == Offer.Status.SCHEDULED:
        label = _("%(kind)s · Starts in %(time)s") % {"kind": kind, "time": _badge_time(state["starts_at"] - now)}
    elif status == Offer.Status.LIVE and state["kind"] == Offer.Kind.GROUP_BUY:
        label = _("Group-buy %(claimed)d/%(needed)d · %(time)s left") % {
            "claimed": state["quantity_claimed"],
            "needed": state["min_quantity"],
            "time": _badge_time(state["ends_at"] - now),
        }
    elif status == Offer.Status.LIVE and state["kind"] == Offer.Kind.FLASH_SALE:
        label = _("Flash sale · %(left)d left") % {"left": state["stock_left"]}
    elif status == Offer.Status.LIVE and state["kind"] == Offer.Kind.TEAM_BUY:
        label = ngettext("Team buy · %(n)d team open", "Team buy · %(n)d teams open", state["teams_open"]) % {
            "n": state["teams_open"]
        }
    elif status == Offer.Status.LIVE and state["kind"] == Offer.Kind.LOWEST_UNIQUE:
        label = ngettext("Guess · %(n)d guess", "Guess · %(n)d guesses", state["guesses"]) % {"n": state["guesses"]}
    elif status == Offer.Status.LIVE:
        label = _("Dutch · %(price)s now") % {"price": format_money(state["current_unit_price"], state["currency"])}
    else:
        outcome = {
            Offer.Status.SOLD_OUT: _("Sold out"),
            Offer.Status.SUCCEEDED: _("Succeeded"),
            Offer.Status.FAILED: _("Failed"),
            Offer.Status.CLOSED: _("Ended"),
            Offer.Status.CANCELLED: _("Cancelled"),
        }.get(status, status)
        label = _("%(kind)s · %(outcome)s") % {"kind": kind, "outcome": outcome}
    return {"label": label, "css": f"offer-badge offer-badge-{status} offer-badge-{state['kind']}"}


def thread_offer_badges(thread_ids) -> dict:
    """Thread lists: a badge per open or recently ended offer of each thread
    ("Group-buy 23/30 · 2 h left", "Flash sale · 12 left", "Dutch · €64.00 now").
    The offers of the whole page and their buyers in one query."""
    from datetime import timedelta

    from django.db.models import Q

    now = timezone.now()
    recent = now - timedelta(days=BADGE_RECENTLY_ENDED_DAYS)
    offers = list(
        with_buyer_counts(Offer.objects.filter(thread_id__in=list(thread_ids)))
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=recent))
        .select_related("merchant")
        .order_by("thread_id", "id")
    )
    for offer in offers:
        offer._thread_url = ""  # a badge links nowhere: no adapter call for the offers' URLs
    badges: dict[int, list[dict]] = {}
    for offer, state in zip(offers, live_states(offers, now=now), strict=True):
        badges.setdefault(offer.thread_id, []).append(_offer_badge(state, now))
    return badges


def shop_trust(merchant) -> dict:
    """What a merchant's dashboard shows of buyer protection: the shop's reputation (read
    with it), its open disputes and the ratings waiting for its side."""
    from community_commerce.models import Dispute, MerchantReputation, Rating
    from community_commerce.services import limits

    completed = limits.completed_orders(merchant)
    return {
        "merchant": merchant,
        "reputation": MerchantReputation.objects.filter(pk=merchant.pk).first(),
        "disputes": list(
            Dispute.objects.filter(order__merchant=merchant, status=Dispute.Status.OPEN)
            .select_related("order")
            .order_by("id")[:50]
        ),
        "to_reply": list(
            Rating.objects.filter(merchant=merchant, replied_at__isnull=True)
            .exclude(order__status="refunded")
            .select_related("order")
            .order_by("id")[:50]
        ),
        "completed": completed,
        "limits": limits.limits_of(merchant, completed),
    }
