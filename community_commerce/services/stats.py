"""The merchant's numbers: who read the thread, who claimed, who paid, and the revenue.

Thread views are cheap to record: a page view is one Redis increment, and a
viewer's first view of a thread on a day is one ``INSERT ... ON CONFLICT DO
NOTHING``, guarded by ``cache.add`` so their later views that day write
nothing. The sweeper moves the Redis counters into :class:`ThreadViewDay`, so a
Redis flush loses at most one sweep's worth of views and never the history
(the viewer rows are in the database from the start). Redis only counts; the
dashboard reads the database (plus the few views not flushed yet).
"""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac

from community_commerce.models import Claim, Offer, Order, ThreadViewDay, ThreadViewer

log = logging.getLogger(__name__)

COUNTER_DAYS = 3  # an unflushed counter lives this long; the sweeper runs every few seconds
VIEWER_SECONDS = 26 * 3600  # the "already counted today" mark: a day, and the hour a clock change adds
PAID_STATUSES = (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED)
_THREADS_WITH_OFFERS = "_community_commerce_threads_with_offers"
_THREADS_COUNTED = "_community_commerce_threads_counted"


def _views_key(thread_id, day) -> str:
    return f"cc:tv:n:{thread_id}:{day.isoformat()}"


def _viewer_mark(thread_id, day, viewer) -> str:
    return f"cc:tv:u:{thread_id}:{day.isoformat()}:{viewer}"


# --- recording -------------------------------------------------------------------------------------


def record_view(*, thread_id, viewer, now=None) -> bool:
    """Count one page view of a thread by ``viewer`` (see :func:`viewer_of`).
    Returns True when it is the viewer's first view of the thread that day,
    which costs one insert; every other view costs no query."""
    day = timezone.localdate(now or timezone.now())
    key = _views_key(thread_id, day)
    try:
        cache.incr(key)
    except ValueError:  # the day's first view (or a flushed Redis)
        if not cache.add(key, 1, timeout=COUNTER_DAYS * 86400):
            cache.incr(key)
    if not cache.add(_viewer_mark(thread_id, day, viewer), 1, timeout=VIEWER_SECONDS):
        return False
    # The unique constraint makes a second insert (a flushed Redis, a race) a no-op; the
    # savepoint keeps a failed insert from spoiling a surrounding transaction.
    with transaction.atomic():
        ThreadViewer.objects.bulk_create(
            [ThreadViewer(thread_id=thread_id, day=day, viewer=viewer)], ignore_conflicts=True
        )
    return True


def viewer_of(request) -> str:
    """Who is reading: ``m:<id>`` for a member; for a visitor an HMAC of the session
    key (or, with no session, of the address and browser), so the table never holds
    a session key and one visitor counts once a day."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"m:{user.pk}"
    session = getattr(request, "session", None)
    raw = session.session_key if session is not None else None
    if not raw:
        raw = "|".join((request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_USER_AGENT", "")[:200]))
    return "v:" + salted_hmac("community_commerce.viewer", raw).hexdigest()[:32]


def note_thread_offers(request, thread_id, has_offers: bool) -> None:
    """The offer panel has just looked the thread's offers up: remember it for
    :func:`thread_view_listener`, which then needs no query of its own."""
    cache_ = getattr(request, _THREADS_WITH_OFFERS, None)
    if cache_ is None:
        cache_ = {}
        setattr(request, _THREADS_WITH_OFFERS, cache_)
    cache_[thread_id] = has_offers


def thread_view_listener(request, thread) -> None:
    """A thread page was served (the adapter calls it; ``thread`` is a ThreadRef):
    counts views of threads that carry offers, not the merchant's own. Statistics
    never break a page: a failure (Redis down, say) is logged and the page is served.
    A page counts once, however many hooks report it (a forum's view signal and the
    offer panel tag both may)."""
    counted = request.__dict__.setdefault(_THREADS_COUNTED, set())
    if thread.id in counted:
        return
    counted.add(thread.id)
    has_offers = getattr(request, _THREADS_WITH_OFFERS, {}).get(thread.id)
    if has_offers is None:  # the panel did not run first: ask once
        has_offers = Offer.objects.filter(thread_id=thread.id).exists()
    user = request.user
    if not has_offers or (user.is_authenticated and user.pk == thread.author_id):
        return
    try:
        record_view(thread_id=thread.id, viewer=viewer_of(request))
    except Exception:
        log.exception("recording a view of thread %s failed", thread.id)


# --- the sweeper's flush ---------------------------------------------------------------------------


def flush_view_counts(*, now=None) -> int:
    """Move the page views counted in Redis into the database; returns how many.

    Each counter is read and then decremented by what was read before the
    database is written: views counted meanwhile stay for the next run, and a
    second run with nothing new moves nothing (idempotent). Should the write
    fail, the views are given back to the counter. One flush at a time."""
    now = now or timezone.now()
    if not cache.add("cc:tv:flush-lock", 1, timeout=60):
        return 0
    try:
        today = timezone.localdate(now)
        days = [today - timedelta(days=i) for i in range(COUNTER_DAYS)]
        # Every counted view has a viewer row for its thread and day: they say which counters exist.
        pairs = ThreadViewer.objects.filter(day__in=days).values_list("thread_id", "day").distinct()
        keys = {_views_key(thread_id, day): (thread_id, day) for thread_id, day in pairs}
        moved = 0
        for key, pending in cache.get_many(list(keys)).items():
            pending = int(pending)
            if pending <= 0:
                continue
            thread_id, day = keys[key]
            try:
                cache.decr(key, pending)
            except ValueError:  # expired meanwhile (only after days without a sweep)
                continue
            try:
                _add_views(thread_id=thread_id, day=day, views=pending)
            except Exception:
                cache.incr(key, pending)
                log.exception(
                    "flushing the views of thread %s on %s failed; the next sweep tries again", thread_id, day
                )
                continue
            moved += pending
        return moved
    finally:
        cache.delete("cc:tv:flush-lock")


def _add_views(*, thread_id, day, views) -> None:
    add_to_day(ThreadViewDay, "views", views, thread_id=thread_id, day=day)


def add_to_day(model, field, n, **key) -> None:
    """``field += n`` on the row of ``key`` (a thing and a day), made if it is not there yet:
    an UPDATE, else an INSERT, else (made meanwhile) the UPDATE again. Share-link visits too."""
    rows = model.objects.filter(**key)
    if rows.update(**{field: F(field) + n}):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **{field: n})
    except IntegrityError:  # created meanwhile
        rows.update(**{field: F(field) + n})


# --- the merchant's dashboard ----------------------------------------------------------------------


def _window(offer, today):
    """The days an offer was on its thread: from posting to its close (or today)."""
    end = timezone.localdate(offer.closed_at) if offer.closed_at else today
    return timezone.localdate(offer.created_at), max(end, timezone.localdate(offer.created_at))


def offer_funnels(offers, *, now=None) -> dict[int, dict]:
    """For each offer: its thread's views and unique viewers while the offer was
    on it, the members who claimed, paid and completed, the units claimed and the
    revenue (paid, shipped or completed orders) per currency.

    Four queries for any number of offers (each aggregate is computed by the
    database for the whole page at once), and one Redis read for the views not
    flushed yet."""
    offers = list(offers)
    if not offers:
        return {}
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = [o.pk for o in offers]
    threads = {o.thread_id for o in offers}
    windows = {o.pk: _window(o, today) for o in offers}

    def in_window(offer):
        first, last = windows[offer.pk]
        return Q(thread_id=offer.thread_id, day__gte=first, day__lte=last)

    views = ThreadViewDay.objects.filter(thread_id__in=threads).aggregate(
        **{f"o{o.pk}": Sum("views", filter=in_window(o)) for o in offers}
    )
    viewers = ThreadViewer.objects.filter(thread_id__in=threads).aggregate(
        **{f"o{o.pk}": Count("viewer", distinct=True, filter=in_window(o)) for o in offers}
    )
    claimers = dict(
        Claim.objects.filter(offer_id__in=ids)
        .values("offer_id")
        .annotate(n=Count("buyer_id", distinct=True))
        .values_list("offer_id", "n")
    )
    order_rows = (
        Order.objects.filter(offer_id__in=ids)
        .values("offer_id", "currency")
        .annotate(
            paid=Count("buyer_id", distinct=True, filter=Q(status__in=PAID_STATUSES)),
            completed=Count("buyer_id", distinct=True, filter=Q(status=Order.Status.COMPLETED)),
            revenue=Sum("total", filter=Q(status__in=PAID_STATUSES)),
        )
        .order_by("offer_id", "currency")
    )
    # Views counted since the last flush (today's and yesterday's counters).
    recent = [today - timedelta(days=i) for i in range(2)]
    pending = cache.get_many([_views_key(t, d) for t in threads for d in recent])

    funnels = {
        o.pk: {
            "views": views[f"o{o.pk}"] or 0,
            "viewers": viewers[f"o{o.pk}"] or 0,
            "claimed": claimers.get(o.pk, 0),
            "paid": 0,
            "completed": 0,
            "units": o.sold,
            "revenue": [],
        }
        for o in offers
    }
    for offer in offers:
        first, last = windows[offer.pk]
        funnels[offer.pk]["views"] += sum(
            max(int(pending.get(_views_key(offer.thread_id, d), 0)), 0) for d in recent if first <= d <= last
        )
    for row in order_rows:
        funnel = funnels[row["offer_id"]]
        funnel["paid"] += row["paid"]
        funnel["completed"] += row["completed"]
        if row["revenue"]:
            funnel["revenue"].append({"currency": row["currency"], "amount": row["revenue"]})
    return funnels


def merchant_revenue(merchant) -> list[dict]:
    """The merchant's revenue in each currency: paid, shipped and completed orders (one query)."""
    return list(
        Order.objects.filter(merchant=merchant, status__in=PAID_STATUSES)
        .values("currency")
        .annotate(amount=Sum("total"), orders=Count("id"))
        .order_by("currency")
    )
