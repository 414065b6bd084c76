"""What an order gives back when it ends without being kept: expired, cancelled or refunded.

One extension point for every reversal. ``orders.transition`` calls :func:`unwind` inside
the transaction whose conditional UPDATE moved the order into one of ``UNWOUND``; only the
call that won that UPDATE gets here, so an order is unwound once however often, or however
concurrently, the move is asked for (a refund resolved twice at once included). Each step
is safe to run twice on its own as well: it changes a row only through a conditional UPDATE
or a unique constraint of its own, never a read-check-write.

The steps run in the order of ``STEPS``, which is also the order in which they lock rows:
the claim, the member's tally, the coupon's use, the offer row (and the Redis gate), then
the ledgers. The
tally before the offer is the lock order of a crowd sale's claim (services/claim.py), so an
unwinding never deadlocks against a claim.

How a feature plugs its reversal in (docs/architecture.md, "Refunds and reversals"): a
function ``step(unwind: Unwind) -> None`` in its own service module, and one ``Step`` line
below at its place. ``after_commit=True`` for a step that talks to the outside world (a
payment provider's refund, a webhook): it runs once the order's change has committed.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils.module_loading import import_string

from community_commerce import stock
from community_commerce.models import Claim, Order

S = Order.Status
UNWOUND = frozenset({S.EXPIRED, S.CANCELLED, S.REFUNDED})  # the statuses in which an order gives back


@dataclass
class Unwind:
    """An order ending, as each step sees it. ``units_back`` is set by the claim step: the
    units this unwinding gives back (0 when its claim had ended before)."""

    order: Order
    from_status: str
    to_status: str
    actor: object | None
    reason: str
    now: datetime
    units_back: int = 0

    @property
    def is_refund(self) -> bool:
        """Money had changed hands and goes back (a coupon's discount, commissions, points)."""
        return self.to_status == S.REFUNDED


@dataclass(frozen=True)
class Step:
    name: str
    path: str  # dotted path of ``def step(unwind) -> None``
    after_commit: bool = False


def end_claim(unwind: Unwind) -> None:
    """The claim stops holding units: one conditional UPDATE, which says whether this is the
    call that ends it (and so whether the units go back)."""
    order = unwind.order
    ended = Claim.Status.EXPIRED if unwind.to_status == S.EXPIRED else Claim.Status.CANCELLED
    if Claim.objects.filter(pk=order.claim_id, status=Claim.Status.ORDERED).update(status=ended, ended_at=unwind.now):
        unwind.units_back = order.quantity


def return_allowance(unwind: Unwind) -> None:
    """The member may take these units again (their per-offer tally)."""
    if unwind.units_back:
        stock.return_allowance(
            offer_id=unwind.order.offer_id, buyer_id=unwind.order.buyer_id, quantity=unwind.units_back
        )


def return_units(unwind: Unwind) -> None:
    """The units go back on sale (an offer that has ended keeps its count), and the Redis gate
    lets them be claimed at once. The gate is not deferred to commit: were this transaction to
    roll back, the gate would only overstate, and the database still decides."""
    if unwind.units_back:
        order = unwind.order
        stock.return_to_offer(offer_id=order.offer_id, quantity=unwind.units_back)
        stock.gate.give_back(offer_id=order.offer_id, buyer_id=order.buyer_id, quantity=unwind.units_back)


STEPS: list[Step] = [
    Step("claim", "community_commerce.services.refunds.end_claim"),
    Step("allowance", "community_commerce.services.refunds.return_allowance"),
    # The coupon's use: between the tally and the offer row, where return_units(between=...)
    # releases a withdrawn claim's use too.
    Step("coupon_use", "community_commerce.services.coupons.release_for_order"),
    Step("units", "community_commerce.services.refunds.return_units"),
    # The ledger: pending entries void, approved or paid ones a `reversed` entry (unique per entry).
    Step("commissions", "community_commerce.services.commissions.reverse_step"),
    # Points: what the order earned is clawed back, one entry per earning (unique `reverses`).
    Step("points", "community_commerce.services.points.claw_back_step"),
]


def unwind(*, order, from_status, to_status, actor=None, reason="", now) -> Unwind:
    """Run every step for an order that has just moved into ``to_status`` (one of UNWOUND),
    in the caller's transaction (after it, for ``after_commit`` steps)."""
    done = Unwind(order=order, from_status=from_status, to_status=to_status, actor=actor, reason=reason, now=now)
    for step in STEPS:
        run = import_string(step.path)
        if step.after_commit:
            transaction.on_commit(partial(run, done), robust=True)
        else:
            run(done)
    return done
