"""Share links: create them, count their visits, remember who came through which.

A visit (``/r/<code>``) writes nothing to the database: the link is read from
the cache, and the visit is one Redis round trip (a counter, a set of visitors,
a "dirty" mark). The sweeper rolls the counts up (:func:`flush_visits`), each
count taken out of Redis before the database is written and given back if that
write fails, so a second run moves nothing twice; visitors are rows under a
unique constraint, so moving one twice counts it once. Bots (the well-known
crawler user-agent list) and the link's own people (its owner, the offer's
merchant) are neither counted nor remembered: self-referral never counts.

Attribution: the visit is remembered in a signed cookie for ATTRIBUTION_DAYS
(last link wins) and carried into the database when the visitor signs up or
logs in (:func:`carry_over`), so a claim from any device finds it. A claim's
channel (ARCHITECTURE.md rule 10) is its coupon's channel, else the last link
within the window, else ``forum`` (:func:`attribute`).
"""

import logging
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from crawleruseragents import is_crawler
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from community_commerce import errors
from community_commerce.adapters import get_adapter
from community_commerce.conf import conf
from community_commerce.errors import InvalidInput, NotAllowed, NotFound
from community_commerce.models import (
    Attribution,
    Claim,
    LinkVisitDay,
    LinkVisitor,
    Merchant,
    Offer,
    Order,
    Referral,
    ShareLink,
)
from community_commerce.models.link import FORUM_CHANNEL
from community_commerce.services.coupons import clean_channel
from community_commerce.services.stats import add_to_day

log = logging.getLogger(__name__)

COOKIE = "cc_ref"
_SALT = "community_commerce.ref"
LINK_CACHE_SECONDS = 3600
COUNTER_SECONDS = 3 * 86400  # an unflushed counter lives this long; the sweeper runs every few seconds
PAID_STATUSES = (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED)


# --- Creating links ------------------------------------------------------------------------------------


def get_or_create_link(*, user, offer_id=None, thread_id=None, channel=None) -> tuple[ShareLink, bool]:
    """The member's link to an offer or a thread (one per target and channel). A channel
    label makes it a campaign link: only the merchant of the target may name one."""
    if (offer_id is None) == (thread_id is None):
        raise InvalidInput(fields={"offer": [_("Give an offer or a thread, not both.")]})
    offer = None
    if offer_id is not None:
        offer = Offer.objects.select_related("merchant").filter(pk=offer_id).first()
        if offer is None:
            raise NotFound(_("No such offer."))
        thread_id = offer.thread_id
    else:
        get_adapter().get_thread(thread_id)  # 404 when it is not there
    merchant = Merchant.objects.filter(user=user, status=Merchant.Status.VERIFIED).first()
    own_offer = offer is not None and merchant is not None and offer.merchant_id == merchant.pk
    campaign = own_offer or (offer is None and merchant is not None and _authored(user, thread_id))
    if channel in (None, ""):
        label = FORUM_CHANNEL
    else:
        label = clean_channel(channel)
        if label != FORUM_CHANNEL and not campaign:
            raise NotAllowed(
                _("Only the merchant of this offer can label a campaign link with a channel."),
                code=errors.NOT_MERCHANT,
            )
    # A team's link (services/teams.py team_link) names the offer too, but is another link.
    found = ShareLink.objects.filter(
        owner=user, offer=offer, thread_id=thread_id, channel=label, team__isnull=True
    ).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            link = ShareLink.objects.create(
                code=secrets.token_urlsafe(9),  # 72 random bits, 12 characters
                owner=user,
                kind=ShareLink.Kind.CAMPAIGN if campaign else ShareLink.Kind.REFERRAL,
                merchant=merchant if campaign else None,
                offer=offer,
                thread_id=thread_id,
                channel=label,
            )
    except IntegrityError:  # the same member twice at once
        return ShareLink.objects.get(
            owner=user, offer=offer, thread_id=thread_id, channel=label, team__isnull=True
        ), False
    return link, True


def _authored(user, thread_id) -> bool:
    return get_adapter().get_thread(thread_id).author_id == user.pk


def target_url(link) -> str:
    if link.team_id is not None:  # a team buy's team: its page (services/teams.py)
        return reverse("community_commerce:team", args=[link.team_id])
    if link.offer_id is not None:
        return f"{get_adapter().thread_url(link.thread_id)}#offer-{link.offer_id}"
    return get_adapter().thread_url(link.thread_id)


# --- A visit: the hot path -----------------------------------------------------------------------------


def lookup(code) -> dict | None:
    """What a visit needs of a link, from the cache (a read of the database on a miss;
    links never change, so the entry only expires)."""
    code = str(code or "")
    if not code or len(code) > 24:
        return None
    key = f"cc:link:{code}"
    info = cache.get(key)
    if info is None:
        link = ShareLink.objects.select_related("offer__merchant", "merchant").filter(code=code).first()
        if link is None:
            return None
        info = info_of(link)
        cache.set(key, info, LINK_CACHE_SECONDS)
    return info


def info_of(link) -> dict:
    merchant_user = None
    if link.offer_id is not None:
        merchant_user = link.offer.merchant.user_id
    elif link.merchant_id is not None:
        merchant_user = link.merchant.user_id
    return {
        "id": link.pk,
        "code": link.code,
        "owner": link.owner_id,
        "merchant_user": merchant_user,
        "channel": link.channel,
        "url": target_url(link),
    }


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """A known crawler, by the crawler-user-agents list (a browser sends the same string
    on every request, so each is matched once per process)."""
    return is_crawler(user_agent)


def counts_visit(request, info) -> bool:
    """Not a bot, not the link's owner, not the merchant of its offer."""
    if is_bot(request.META.get("HTTP_USER_AGENT", "")[:512]):
        return False
    user = request.user
    return not (user.is_authenticated and user.pk in (info["owner"], info["merchant_user"]))


def record_visit(request, response, info, *, now=None) -> bool:
    """Count the visit in Redis and remember the link in the visitor's cookie (last link
    wins). No database write. Returns whether the visit counted."""
    if not counts_visit(request, info):
        return False
    now = now or timezone.now()
    previous = _cookie(request)
    visitor_id = previous["v"] if previous else secrets.token_urlsafe(12)
    user = request.user
    visitor = f"m:{user.pk}" if user.is_authenticated else "v:" + salted_hmac(_SALT, visitor_id).hexdigest()[:32]
    day = timezone.localdate(now).isoformat()
    try:
        _count(info["id"], day, visitor)
    except Exception:  # figures never break the redirect (Redis away): the visit is remembered anyway
        log.exception("counting a visit of link %s failed", info["id"])
    response.set_signed_cookie(
        COOKIE,
        f"{info['code']}:{int(now.timestamp())}:{visitor_id}",
        salt=_SALT,
        max_age=conf.ATTRIBUTION_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return True


def _redis():
    return cache._cache.get_client(write=True)


def _keys(link_id, day) -> tuple[str, str]:
    return cache.make_key(f"cc:lv:n:{link_id}:{day}"), cache.make_key(f"cc:lv:u:{link_id}:{day}")


def _dirty_key() -> str:
    return cache.make_key("cc:lv:dirty")


def _count(link_id, day, visitor) -> None:
    visits, visitors = _keys(link_id, day)
    pipe = _redis().pipeline(transaction=False)
    pipe.incr(visits)
    pipe.expire(visits, COUNTER_SECONDS)
    pipe.sadd(visitors, visitor)
    pipe.expire(visitors, COUNTER_SECONDS)
    pipe.sadd(_dirty_key(), f"{link_id}:{day}")
    pipe.execute()


def _cookie(request) -> dict | None:
    raw = request.get_signed_cookie(COOKIE, default=None, salt=_SALT, max_age=conf.ATTRIBUTION_DAYS * 86400)
    parts = str(raw or "").split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return {"c": parts[0], "t": int(parts[1]), "v": parts[2]}


def remembered(request) -> tuple[str, datetime] | None:
    """The link this browser last came through within the window: (code, when)."""
    data = _cookie(request)
    if data is None:
        return None
    return str(data["c"]), datetime.fromtimestamp(int(data["t"]), tz=timezone.get_current_timezone())


# --- The sweeper's roll-up -----------------------------------------------------------------------------


def flush_visits(*, now=None, batch=5000) -> int:
    """Move the visits and visitors counted in Redis into the database; returns the visits moved.

    Each link and day is taken off the dirty set before its counters are read, so a visit
    counted meanwhile marks it again for the next run. The visits read are decremented and
    the visitors popped before the database write, and given back if it fails: a second
    run moves nothing twice. One flush at a time."""
    if not cache.add("cc:lv:flush-lock", 1, timeout=60):
        return 0
    client = _redis()
    moved = 0
    try:
        for member in client.smembers(_dirty_key()):
            member = member.decode() if isinstance(member, bytes) else member
            client.srem(_dirty_key(), member)
            link_id, day = member.split(":", 1)
            moved += _flush_one(client, int(link_id), day, batch)
    finally:
        cache.delete("cc:lv:flush-lock")
    return moved


def _flush_one(client, link_id, day, batch) -> int:
    visits_key, visitors_key = _keys(link_id, day)
    pending = int(client.get(visits_key) or 0)
    visitors = [v.decode() for v in client.spop(visitors_key, batch) or []]
    if pending > 0:
        client.decrby(visits_key, pending)
    try:
        with transaction.atomic():
            if pending > 0:
                _add_visits(link_id, day, pending)
            if visitors:
                LinkVisitor.objects.bulk_create(
                    [LinkVisitor(link_id=link_id, day=day, visitor=v) for v in visitors], ignore_conflicts=True
                )
    except Exception:
        if not ShareLink.objects.filter(pk=link_id).exists():
            return 0  # the link is gone: nothing to keep its visits for
        pipe = client.pipeline(transaction=False)
        if pending > 0:
            pipe.incrby(visits_key, pending)
        if visitors:
            pipe.sadd(visitors_key, *visitors)
        pipe.sadd(_dirty_key(), f"{link_id}:{day}")
        pipe.execute()
        log.exception("flushing the visits of link %s on %s failed; the next sweep tries again", link_id, day)
        return 0
    if client.scard(visitors_key):  # more visitors than one batch: the next run takes the rest
        client.sadd(_dirty_key(), f"{link_id}:{day}")
    return max(pending, 0)


def _add_visits(link_id, day, visits) -> None:
    add_to_day(LinkVisitDay, "visits", visits, link_id=link_id, day=day)


def pending_visits(link_ids, *, now=None) -> dict[int, int]:
    """Visits counted in Redis and not flushed yet (today's and yesterday's counters), one MGET."""
    link_ids = list(link_ids)
    if not link_ids:
        return {}
    today = timezone.localdate(now or timezone.now())
    days = [(today - timedelta(days=i)).isoformat() for i in range(2)]
    keys = [(link_id, _keys(link_id, day)[0]) for link_id in link_ids for day in days]
    try:
        values = _redis().mget([key for _id, key in keys])
    except Exception:  # figures never break a page
        log.exception("reading pending link visits failed")
        return {}
    pending: dict[int, int] = {}
    for (link_id, _key), value in zip(keys, values, strict=True):
        pending[link_id] = pending.get(link_id, 0) + max(int(value or 0), 0)
    return pending


# --- Attribution -----------------------------------------------------------------------------------------


def _within(at, now) -> bool:
    return at is not None and now - timedelta(days=conf.ATTRIBUTION_DAYS) <= at <= now + timedelta(minutes=5)


def carry_over(*, request, user, signed_up=False, now=None) -> Attribution | None:
    """On signup and login: the link this browser came through becomes the member's (if it is
    newer than the one they have), and a signup through it is recorded as a referral."""
    found = remembered(request)
    if found is None:
        return None
    now = now or timezone.now()
    code, at = found
    info = lookup(code)
    if info is None or not _within(at, now) or user.pk in (info["owner"], info["merchant_user"]):
        return None
    if signed_up:
        Referral.objects.bulk_create(
            [
                Referral(
                    member=user, link_id=info["id"], referrer_id=info["owner"], channel=info["channel"],
                    via=Referral.Via.VISIT, visited_at=at, signed_up_at=user.date_joined or now, created_at=now,
                )
            ],
            ignore_conflicts=True,
        )  # fmt: skip
    return _remember(user.pk, info["id"], at)


def _remember(member_id, link_id, at) -> Attribution:
    """Last link wins: the stored link is replaced only by a later visit (one conditional UPDATE)."""
    Attribution.objects.filter(member_id=member_id, at__lt=at).update(link_id=link_id, at=at)
    attribution, _created = Attribution.objects.get_or_create(
        member_id=member_id, defaults={"link_id": link_id, "at": at}
    )
    key = _attribution_key(member_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
    return attribution


def _attribution_key(member_id) -> str:
    return f"cc:attr:{member_id}"


def _stored(member_id):
    """The member's stored link as (link id, when, channel), or None: from the cache, which
    :func:`_remember` clears, so a claim reads no row for it (most members have none)."""
    key = _attribution_key(member_id)
    value = cache.get(key)
    if value is None:
        row = Attribution.objects.filter(member_id=member_id).values_list("link_id", "at", "link__channel").first()
        value = list(row) if row else []
        cache.set(key, value, LINK_CACHE_SECONDS)
    return tuple(value) if value else None


def attribute(*, buyer, ref=None, ref_at=None, coupon=None, now) -> tuple[str, int | None]:
    """(channel, link id) of a claim made now: the coupon's channel, else the last link
    within the attribution window, else "forum". The link is the last one within the
    window that is not the buyer's own; ``ref`` is the link an app (or this browser's
    cookie) names, seen at ``ref_at`` (now for an app)."""
    candidates = []
    stored = _stored(buyer.pk)
    if stored is not None and _within(stored[1], now):
        candidates.append((stored[1], stored[0], {"channel": stored[2], "stored": True}))
    info = lookup(ref) if ref else None
    if info is not None and buyer.pk not in (info["owner"], info["merchant_user"]):
        at = ref_at or now
        if _within(at, now):
            candidates.append((at, info["id"], info))
    link_id = None
    channel = FORUM_CHANNEL
    if candidates:
        at, link_id, info = max(candidates, key=lambda c: c[0])
        channel = info["channel"]
        if not info.get("stored"):  # a newer link than the stored one: it becomes the member's
            if stored is None or stored[0] != link_id:
                _remember(buyer.pk, link_id, at)
            _referral_by_claim(buyer=buyer, info=info, at=at, now=now)
    if coupon is not None and coupon.channel:
        channel = coupon.channel
    return channel, link_id


def _referral_by_claim(*, buyer, info, at, now) -> None:
    """Apps: a member's first claim carrying a link's ref, within the window after signing up,
    records who brought them (a browser's signup is recorded by carry_over)."""
    joined = getattr(buyer, "date_joined", None)
    if joined is None or not _within(joined, now) or info["owner"] == buyer.pk:
        return
    if Referral.objects.filter(member=buyer).exists() or Claim.objects.filter(buyer=buyer).exists():
        return
    Referral.objects.bulk_create(
        [
            Referral(
                member=buyer, link_id=info["id"], referrer_id=info["owner"], channel=info["channel"],
                via=Referral.Via.CLAIM, visited_at=at, signed_up_at=joined, created_at=now,
            )
        ],
        ignore_conflicts=True,
    )  # fmt: skip


# --- A member's links and their numbers ----------------------------------------------------------------


def links_of(user):
    return ShareLink.objects.filter(owner=user).select_related("offer").order_by("-id")


def link_figures(links, *, now=None) -> dict[int, dict]:
    """Per link: visits (flushed + pending), unique visitors, signups, claims, paid orders
    and revenue per currency (paid, shipped or completed, net of discounts). Five queries
    for any number of links, one Redis read."""
    links = list(links)
    ids = [link.pk for link in links]
    if not ids:
        return {}
    visits = dict(
        LinkVisitDay.objects.filter(link_id__in=ids)
        .values("link_id")
        .annotate(n=Sum("visits"))
        .values_list("link_id", "n")
    )
    visitors = dict(
        LinkVisitor.objects.filter(link_id__in=ids)
        .values("link_id")
        .annotate(n=Count("visitor", distinct=True))
        .values_list("link_id", "n")
    )
    signups = dict(
        Referral.objects.filter(link_id__in=ids).values("link_id").annotate(n=Count("id")).values_list("link_id", "n")
    )
    claims = dict(
        Claim.objects.filter(link_id__in=ids).values("link_id").annotate(n=Count("id")).values_list("link_id", "n")
    )
    order_rows = (
        Order.objects.filter(link_id__in=ids, status__in=PAID_STATUSES)
        .values("link_id", "currency")
        .annotate(n=Count("id"), revenue=Sum("total"))
        .order_by("link_id", "currency")
    )
    pending = pending_visits(ids, now=now)
    figures = {
        link_id: {
            "visits": (visits.get(link_id) or 0) + pending.get(link_id, 0),
            "visitors": visitors.get(link_id, 0),
            "signups": signups.get(link_id, 0),
            "claims": claims.get(link_id, 0),
            "paid_orders": 0,
            "revenue": [],
        }
        for link_id in ids
    }
    for row in order_rows:
        figure = figures[row["link_id"]]
        figure["paid_orders"] += row["n"]
        figure["revenue"].append({"currency": row["currency"], "amount": row["revenue"]})
    return figures


def merchant_offers_for_links(user):
    """The offers a merchant may make campaign links for (their own, newest first)."""
    return Offer.objects.filter(merchant__user=user).filter(Q(closed_at__isnull=True)).order_by("-id")[:100]
