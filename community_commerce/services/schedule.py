"""The sweeper and the precise ETA tasks.

Beat runs :func:`sweep` every few seconds: it opens offers whose start has come,
closes every overdue offer (each in its own transaction, so one failure never
blocks the rest), expires unpaid reservations, tells buyers about their new claims
(services/claim_notices.py), rolls up share-link visits (services/links.py), approves the
commissions whose refund window has passed (services/commissions.py), and queues an ETA task for each
offer that opens or ends before the next sweep, for precision. ETA tasks are
only ever a few seconds ahead (Redis redelivers far-ahead ones after the
visibility timeout); if one is lost the next sweep does its work.

It also keeps buyer protection by the clock (:func:`sweep_trust`): orders nobody
received in time complete, ratings publish after their blind days, reputations refresh.
"""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from community_commerce import stock
from community_commerce.conf import conf
from community_commerce.kinds import KINDS
from community_commerce.models import Offer
from community_commerce.services import (
    claim_notices,
    commissions,
    lifecycle,
    links,
    points,
    ratings,
    receipt,
    reputation,
    stats,
    teams,
)

log = logging.getLogger(__name__)


def sweep(*, now=None) -> dict:
    now = now or timezone.now()
    counts = {"opened": 0, "closed": 0, "failed": 0, "expired": 0}
    # First: a claim made just before its offer closes is told "you joined" before the result.
    counts["told"] = claim_notices.send_pending(now=now)
    due_open = Offer.objects.filter(status=Offer.Status.SCHEDULED, starts_at__lte=now, ends_at__gt=now).values_list(
        "id", flat=True
    )
    for offer_id in list(due_open):
        counts["opened"] += lifecycle.open_offer(offer_id=offer_id, now=now)
    due_close = Offer.objects.filter(closed_at__isnull=True, ends_at__lte=now).exclude(status=Offer.Status.CANCELLED)
    for offer_id in list(due_close.values_list("id", flat=True)):
        try:
            counts["closed"] += lifecycle.close_offer(offer_id=offer_id, now=now)
        except Exception:  # one broken offer must not block the others
            counts["failed"] += 1
            log.exception("closing offer %s failed; the next sweep tries again", offer_id)
    counts["expired"] = lifecycle.expire_reservations(now=now)
    counts.update(sweep_trust(now=now))
    log.debug("rebuilt %d stock gates", resync_gates(now=now))
    soon = Offer.objects.filter(closed_at__isnull=True).exclude(status=Offer.Status.CANCELLED)
    horizon = now + timedelta(seconds=conf.SWEEP_SECONDS + 1)
    upcoming = soon.filter(ends_at__gt=now, ends_at__lte=horizon) | soon.filter(
        status=Offer.Status.SCHEDULED, starts_at__gt=now, starts_at__lte=horizon
    )
    queue_precise_tasks(offers=upcoming, now=now)
    stats.flush_view_counts(now=now)  # thread views counted in Redis, into the database
    links.flush_visits(now=now)  # share-link visits too
    try:  # commissions past the refund window: one UPDATE per batch
        counts["approved"] = commissions.approve_due(now=now)
    except Exception:
        log.exception("approving commissions failed; the next sweep tries again")
    try:  # points past the refund window become available: one UPDATE per batch
        counts["points"] = points.release_due(now=now)
    except Exception:
        log.exception("releasing points failed; the next sweep tries again")
    try:  # teams whose time is up fail (their ETA task lost), and the next ones get theirs
        counts["teams_failed"] = teams.fail_due(now=now)
        teams.queue_precise_tasks(now=now)
    except Exception:
        log.exception("failing expired teams failed; the next sweep tries again")
    return counts


def sweep_trust(*, now) -> dict:
    """Buyer protection by the clock: reminders before an order completes by itself, the
    completion itself (services/receipt.py), ratings published after their blind days
    (services/ratings.py), stale reputations recomputed (services/reputation.py). Each
    part on its own: one failure never blocks the rest, nor the offers' closing."""
    counts = {}
    for name, part in (
        ("reminded", receipt.send_reminders),
        ("received", receipt.auto_receive),
        ("published", ratings.publish_due),
        ("reputations", reputation.refresh_due),
    ):
        try:
            counts[name] = part(now=now)
        except Exception:
            counts[name] = 0
            log.exception("the sweeper's %s failed; the next sweep tries again", name)
    log.debug("refreshed %d reputations", counts.pop("reputations"))  # housekeeping, like the gates
    return counts


def resync_gates(*, now) -> int:
    """Rebuild the Redis gate of every running crowd sale from the database, so a
    gate that drifted (a process died between the gate and the database) heals."""
    running = Offer.objects.filter(
        closed_at__isnull=True, starts_at__lte=now, ends_at__gt=now, stock__isnull=False,
        kind__in=[code for code, kind in KINDS.items() if kind.creates_order_on_claim],
    ).exclude(status=Offer.Status.CANCELLED)  # fmt: skip
    count = 0
    for offer in running:
        if stock.gated(offer):
            stock.gate.rebuild(offer=offer)
            count += 1
    return count


def close_when_due(*, offer_id, now=None) -> bool:
    """The precise close. A task that arrives a little early (clocks of two hosts
    differ) queues itself again for the remaining moment, rather than leave the
    close to the next sweep."""
    from community_commerce import tasks

    now = now or timezone.now()
    if lifecycle.close_offer(offer_id=offer_id, now=now):
        return True
    early = Offer.objects.filter(
        pk=offer_id,
        closed_at__isnull=True,
        ends_at__gt=now,
        ends_at__lte=now + timedelta(seconds=conf.SWEEP_SECONDS + 1),
    ).values_list("ends_at", flat=True)
    for ends_at in early:  # once per offer and moment: a retry never queues another retry
        _queue_once(tasks.close_offer, offer_id, ends_at + timedelta(milliseconds=20), "close-retry")
    return False


def queue_precise_tasks(*, offers, now) -> int:
    """An ETA task for each start or end due before the next sweep, queued once per offer and moment."""
    from community_commerce import tasks

    horizon = now + timedelta(seconds=conf.SWEEP_SECONDS + 1)
    queued = 0
    for offer in offers:
        if offer.status == Offer.Status.SCHEDULED and now < offer.starts_at <= horizon:
            queued += _queue_once(tasks.open_offer, offer.pk, offer.starts_at, "open")
        if now < offer.ends_at <= horizon:
            queued += _queue_once(tasks.close_offer, offer.pk, offer.ends_at, "close")
    return queued


def _queue_once(task, offer_id, eta, what) -> bool:
    """Each sweep sees the same upcoming moment; only the first one queues its task."""
    if not cache.add(f"cc:eta:{what}:{offer_id}:{eta.timestamp()}", 1, timeout=conf.SWEEP_SECONDS * 4):
        return False
    task.apply_async(args=[offer_id], eta=eta)
    return True
