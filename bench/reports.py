"""7. The commission programme at scale on PostgreSQL. The merchant's channel report
(services/reports.channel_report: every figure of every channel and currency, six
GROUP BY queries; the commissions come with the orders' pass, from the sum each order
keeps of its ledger entries) over 100,000 orders in 20 channels, each order with its
claim and a ledger entry, against one `SELECT sum(total)` over the same orders, the two measured in
alternating rounds. Then the sweeper's settlement (commissions.approve_due, one UPDATE
per batch of SETTLE_BATCH) of 100,000 approved-to-be entries, against one bare
`UPDATE ... SET status = 'approved'` of the same rows, alternating too (the rows are put
back to pending and vacuumed before each round, untimed)."""

import time

from bench.common import median, members

TITLE = "7. Reports and settlement over 100,000 orders"

ORDERS = 100_000
CHANNELS = [f"channel-{n:02d}" for n in range(20)]
ROUNDS = 5
SETTLE_ROUNDS = 3


def _timed(call):
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def run(out):
    from django.db import connection
    from django.utils import timezone

    from community_commerce.conf import conf
    from community_commerce.models import CommissionEntry, Order
    from community_commerce.services import commissions, reports
    from tests import factories
    from tests.ledger_rows import bulk_orders

    seller = factories.merchant()
    offer = factories.offer("flash_sale", merchant_=seller, stock=None, terms={"unit_price": "12.50"})
    started = time.perf_counter()
    bulk_orders(offer=offer, buyers=members(2000, "rep"), count=ORDERS, channels=CHANNELS)
    table = connection.ops.quote_name(CommissionEntry._meta.db_table)
    orders_table = connection.ops.quote_name(Order._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does to tables this size
    out.line(
        f"{ORDERS} orders in {len(CHANNELS)} channels with claims, events and entries, in {time.perf_counter() - started:.0f} s"
    )

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT sum(total) FROM {orders_table} WHERE merchant_id = %s", [seller.pk])
            cursor.fetchone()

    def report():
        found = reports.channel_report(merchant=seller)
        assert len(found["rows"]) == len(CHANNELS)

    report()  # warm both: the first query of a connection pays for its plan
    baseline()
    sums, runs = [], []
    for _round in range(ROUNDS):
        sums.append(_timed(baseline))
        runs.append(_timed(report))
    total = reports.channel_report(merchant=seller)["totals"][0]
    assert total["paid_orders"] == ORDERS
    report_s, sum_s = median(runs), median(sums)
    out.line(f"merchant report: median {report_s * 1000:.1f} ms ({', '.join(f'{t * 1000:.0f}' for t in runs)})")
    out.line(f"baseline SELECT sum(total): median {sum_s * 1000:.1f} ms ({', '.join(f'{t * 1000:.0f}' for t in sums)})")
    out.line(f"ratio report/baseline: {report_s / sum_s:.2f}")

    def reset():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET status = 'pending', approved_at = NULL")
            cursor.execute(f"VACUUM ANALYZE {table}")

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = 'approved', approved_at = %s WHERE status = 'pending'", [timezone.now()]
            )
            assert cursor.rowcount == ORDERS

    def settle():
        assert commissions.approve_due(max_batches=ORDERS) == ORDERS

    bares, settles = [], []
    for _round in range(SETTLE_ROUNDS):
        reset()
        bares.append(_timed(bare))
        reset()
        settles.append(_timed(settle))
    assert CommissionEntry.objects.filter(status="approved").count() == ORDERS
    settle_s, bare_s = median(settles), median(bares)
    out.line(
        f"settlement of {ORDERS} entries (batches of {conf.SETTLE_BATCH}): median {settle_s:.2f} s "
        f"({', '.join(f'{t:.2f}' for t in settles)})"
    )
    out.line(f"baseline bare UPDATE of the same rows: median {bare_s:.2f} s ({', '.join(f'{t:.2f}' for t in bares)})")
    out.line(f"ratio settlement/baseline: {settle_s / bare_s:.2f}")
    return {
        "report": report_s, "sum": sum_s, "report_ratio": report_s / sum_s,
        "settle": settle_s, "bare": bare_s, "settle_ratio": settle_s / bare_s, "orders": ORDERS,
    }  # fmt: skip
