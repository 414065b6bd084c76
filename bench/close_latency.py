"""2. Close latency: offers ending at staggered times with a Celery worker and
beat running; how late is each close (closed_at - ends_at, and when the close
was visible to a reader)? Then again with the precise ETA tasks lost, so that
the sweeper alone closes them. Baseline, same run: Celery's own ETA precision,
a built-in do-nothing task (celery.accumulate) due at the same moments."""

import re
import time
from datetime import datetime, timedelta

from bench.common import celery, median, percentile

TITLE = "2. Close latency"

OFFERS = 50
LEAD, STEP = 8.0, 0.5  # the first end LEAD s after creation, then one every STEP s (~25 s of ends)


def make_offers(seller, thread, buyers, *, lose_precise_tasks=False):
    """``lose_precise_tasks``: the sweeper queues each precise task once per offer and moment
    (a cache.add); taking that mark as each offer is made means it never queues them."""
    from django.core.cache import cache
    from django.utils import timezone

    from community_commerce.models import Claim, Offer
    from tests import factories

    start = timezone.now() + timedelta(seconds=LEAD)
    offers = []
    for i in range(OFFERS):
        kind = ("group_buy", "flash_sale", "dutch_auction")[i % 3]
        offer = factories.offer(
            kind, merchant_=seller, thread_=thread, ends_at=start + timedelta(seconds=i * STEP),
            stock=None if kind == "group_buy" else 10,
            terms={"unit_price": "20.00", "min_quantity": 5} if kind == "group_buy" else None,
        )  # fmt: skip
        if kind == "group_buy":  # ten commitments: the close makes ten orders
            Claim.objects.bulk_create(
                [Claim(offer=offer, buyer=b, quantity=1, unit_price=offer.terms["unit_price"]) for b in buyers]
            )
            Offer.objects.filter(pk=offer.pk).update(sold=len(buyers))
        if lose_precise_tasks:
            offer.refresh_from_db(fields=["ends_at"])
            cache.add(f"cc:eta:close:{offer.pk}:{offer.ends_at.timestamp()}", 1, timeout=600)
        offers.append(offer)
    return offers


def watch(offers, timeout):
    """Poll until every offer is closed; {id: (closed_at - ends_at, seen - ends_at)} in seconds."""
    from django.utils import timezone

    from community_commerce.models import Offer

    ends = {o.pk: o.ends_at for o in offers}
    seen = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(offers) and time.monotonic() < deadline:
        now = timezone.now()
        for pk, closed_at in Offer.objects.filter(pk__in=list(ends), closed_at__isnull=False).values_list(
            "pk", "closed_at"
        ):
            if pk not in seen:
                seen[pk] = ((closed_at - ends[pk]).total_seconds(), (now - ends[pk]).total_seconds())
        time.sleep(0.02)
    return seen


def stats(values):
    return {"p50": median(values), "p99": percentile(values, 99), "max": max(values) if values else float("nan")}


def eta_lateness(log, etas):
    """When the worker logged each do-nothing task as done, minus its ETA (the log is in local time)."""
    late = []
    for task_id, eta in etas.items():
        found = re.search(
            rf"\[(\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d+): INFO/[^\]]+\] Task celery\.accumulate\[{task_id}\] succeeded",
            log,
        )
        if found:
            done = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")
            late.append((done - eta.astimezone().replace(tzinfo=None)).total_seconds())
    return late


def run(out):
    from bench.common import members
    from community_commerce.conf import conf
    from config.celery import app
    from tests import factories

    sweep = conf.SWEEP_SECONDS
    seller = factories.merchant()
    thread = factories.commerce_thread(seller)
    buyers = members(10, "closer")
    app.control.purge()
    worker = celery("worker", "bench-worker", "--concurrency", "2")
    beat = None
    try:
        beat = celery("beat", "bench-beat")
        # Phase 1: everything up. The do-nothing tasks share the offers' moments.
        offers = make_offers(seller, thread, buyers)
        accumulate = app.tasks["celery.accumulate"]
        etas = {accumulate.apply_async(eta=o.ends_at).id: o.ends_at for o in offers}
        up = watch(offers, timeout=LEAD + OFFERS * STEP + sweep * 2 + 20)
        baseline = eta_lateness(worker.output(), etas)

        # Phase 2: the precise tasks are lost; the sweeper alone closes the offers.
        mark = len(worker.output())
        offers2 = make_offers(seller, thread, buyers, lose_precise_tasks=True)
        lost = watch(offers2, timeout=LEAD + OFFERS * STEP + sweep * 3 + 20)
        precise_in_phase2 = len(re.findall(r"tasks\.close_offer\[[^\]]+\] received", worker.output()[mark:]))
    finally:
        if beat is not None:
            beat.stop()
        worker.stop()
        app.control.purge()

    result = {
        "sweep": sweep,
        "offers": OFFERS,
        "up_closed": stats([v[0] for v in up.values()]),
        "up_seen": stats([v[1] for v in up.values()]),
        "up_missing": OFFERS - len(up),
        "lost_closed": stats([v[0] for v in lost.values()]),
        "lost_seen": stats([v[1] for v in lost.values()]),
        "lost_missing": OFFERS - len(lost),
        "baseline": stats(baseline),
        "baseline_n": len(baseline),
        "precise_in_phase2": precise_in_phase2,
    }
    b, u, us, lo = result["baseline"], result["up_closed"], result["up_seen"], result["lost_closed"]
    out.line(f"bare Celery ETA (celery.accumulate, {len(baseline)} tasks): p50 {b['p50']:.3f} s  p99 {b['p99']:.3f} s")
    out.line(
        f"worker + beat : closed_at-ends_at p50 {u['p50']:.3f} s  p99 {u['p99']:.3f} s  max {u['max']:.3f} s; "
        f"visible p50 {us['p50']:.3f} s  p99 {us['p99']:.3f} s; not closed: {result['up_missing']}"
    )
    out.line(
        f"ETA tasks lost: closed_at-ends_at p50 {lo['p50']:.3f} s  p99 {lo['p99']:.3f} s  max {lo['max']:.3f} s "
        f"(sweep every {sweep} s); not closed: {result['lost_missing']}; close tasks seen: {precise_in_phase2}"
    )
    out.line(
        f"ratio p99 with worker / bare ETA p99: {u['p99'] / b['p99']:.2f}; "
        f"p99 ETA lost / sweep interval: {lo['p99'] / sweep:.2f}"
    )
    return result
