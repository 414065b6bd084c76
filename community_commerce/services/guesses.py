"""Lowest-unique-price games (kinds/lowest_unique.py): members guess, the close finds the winner.

- **A guess** (:func:`place_guess`) is one transaction, all or nothing: a share lock on the
  offer row that is still open (the close's ``FOR UPDATE`` and the cancellation's UPDATE wait
  for guesses in flight, and a guess waiting behind them sees the game closed), the member's
  count within ``guesses_per_member`` (one conditional upsert of their ClaimTally row,
  stock.take_allowance), the points spent (points.spend, one conditional UPDATE), then the
  guess row. The offer row first, then the member's rows: the cancellation (offer, then
  balances) never crosses a guess into a deadlock.
- **Nobody sees guesses before the close**: before it only the number of guesses
  (:func:`guess_counts`) and each member's own (:func:`guesses_of`) are read; :func:`result`
  answers ``not_closed`` to everyone, the merchant and staff included.
- **The close** (:func:`close_game`, inside lifecycle.close_offer with the offer row locked):
  the amount with the fewest members, the lowest of those (the lowest unique amount when
  there is one), wins; among its guesses the earliest (``created_at``, then ``id``). The
  winner gets a claim and an order at their amount, with :data:`PAYMENT_DAYS` days to pay.
- **Anyone can check it**: after the close the table of amounts and counts is public, and
  :func:`result` reads the winner back from stored data by the same rule (:func:`winning_amount`).
- **Cancelled**: every spend is given back, once (points.give_back: ``reverses`` is unique).
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community_commerce import errors, rows, stock
from community_commerce.adapters import get_adapter
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Claim, Guess, Offer, OrderEvent
from community_commerce.money import fmt, parse_amount
from community_commerce.services import offer_snapshot, orders, points
from community_commerce.services.claim import check_open

# The winner has three days to pay for the prize at their amount (then the order expires like
# any unpaid reservation, and the prize is not offered to anyone else).
PAYMENT_DAYS = 3

WON_UNIQUE = gettext_noop(
    "Guessing game closed: %(amount)s, the lowest amount only one member guessed, wins (%(member)s)"
)
WON_FEWEST = gettext_noop(
    "Guessing game closed: no amount was guessed by only one member; %(amount)s, the lowest with the "
    "fewest guesses, wins, and its earliest guess (%(member)s)"
)
NO_GUESS = gettext_noop("Guessing game closed without a single guess: “%(title)s” has no winner")


# --- the rule -------------------------------------------------------------------------------------


def winning_amount(table):
    """The winning amount of a table ``[(amount, members who guessed it)]``: the fewest members,
    then the lowest amount (so the lowest unique amount when one exists). None: no guess."""
    found = min(((count, amount) for amount, count in table if count > 0), default=None)
    return found[1] if found else None


def winner_of(rows):
    """The winning row of ``rows`` = ``[(amount, guessed_at, guess_id, member_id)]``, or None
    (no guess): the winning amount of their table (:func:`winning_amount`), and of its guesses
    the earliest (``guessed_at``, then ``guess_id``). A pure function: anyone can run it."""
    rows = list(rows)
    members = defaultdict(set)
    for amount, _at, _id, member_id in rows:
        members[Decimal(amount)].add(member_id)
    amount = winning_amount((a, len(m)) for a, m in members.items())
    if amount is None:
        return None
    return min((row for row in rows if Decimal(row[0]) == amount), key=lambda row: (row[1], row[2]))


def _table(offer_id) -> list[tuple[Decimal, int]]:
    """Every amount guessed and the members who guessed it, lowest first (one GROUP BY)."""
    return list(
        Guess.objects.filter(offer_id=offer_id)
        .values("amount")
        .annotate(n=Count("member", distinct=True))
        .order_by("amount")
        .values_list("amount", "n")
    )


def _winning_guess(offer_id, table) -> Guess | None:
    amount = winning_amount(table)
    if amount is None:
        return None
    return (
        Guess.objects.filter(offer_id=offer_id, amount=amount).select_related("member").order_by("created_at", "id")
    ).first()


# --- guessing -------------------------------------------------------------------------------------


def _game(offer_id) -> Offer:
    offer = offer_snapshot.get(offer_id)
    if offer is None:
        raise NotFound(_("No such offer."))
    if offer.kind != Offer.Kind.LOWEST_UNIQUE:
        raise Conflict(_("This offer is not a guessing game."), code=errors.NOT_A_GAME)
    return offer


def clean_amount(value, offer) -> Decimal:
    """The guess in the offer's currency (on a step of its decimals) within the game's range."""
    low, high = Decimal(offer.terms["min_guess"]), Decimal(offer.terms["max_guess"])
    try:
        amount = parse_amount(value, offer.currency)
    except ValueError as exc:
        raise InvalidInput(fields={"amount": [str(exc)]}, code=errors.INVALID_GUESS) from None
    if not low <= amount <= high:
        raise InvalidInput(
            fields={
                "amount": [
                    _("Guess from %(low)s to %(high)s %(currency)s.")
                    % {"low": fmt(low, offer.currency), "high": fmt(high, offer.currency), "currency": offer.currency}
                ]
            },
            code=errors.INVALID_GUESS,
        )
    return amount


def _hold_open(offer) -> None:
    """A share lock on the offer row, only while it is still open: the close and the
    cancellation wait for this guess, and a guess that waited for them finds it ended."""
    table = connection.ops.quote_name(Offer._meta.db_table)
    lock = " FOR SHARE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE id = %s AND closed_at IS NULL AND status <> %s{lock}",  # noqa: S608
            [offer.pk, Offer.Status.CANCELLED],
        )
        if cursor.fetchone() is None:
            offer_snapshot.forget(offer.pk)
            raise Conflict(_("This offer has ended."), code=errors.CLOSED)


def place_guess(*, offer_id, member, amount, now=None) -> Guess:
    """One guess of ``member``: checked, counted against their guesses, paid in points and
    stored in one transaction. Codes: 404 ``not_found``; 409 ``not_a_game``, ``closed``,
    ``not_started``, ``guess_limit``, ``not_enough_points``; 403 ``own_offer``; 400
    ``invalid_guess`` (``fields.amount``: not an amount, not on a step, out of range, or an
    amount this member guessed already)."""
    offer = _game(offer_id)
    if offer.merchant_user_id == member.pk:
        raise NotAllowed(_("You cannot guess in your own game."), code=errors.OWN_OFFER)
    now = now or timezone.now()
    check_open(offer, now)
    amount = clean_amount(amount, offer)
    limit = offer.terms["guesses_per_member"]
    with transaction.atomic():
        if offer.status == Offer.Status.SCHEDULED:  # its start has come (check_open said so)
            from community_commerce.services import lifecycle

            lifecycle.open_offer(offer_id=offer.pk, now=now)
        _hold_open(offer)
        if not stock.take_allowance(offer=offer, buyer_id=member.pk, quantity=1, limit=limit):
            raise Conflict(
                _("You made your %(limit)d guesses on this game.") % {"limit": limit}, code=errors.GUESS_LIMIT
            )
        # Under the member's tally row (locked by the upsert): their two sessions take turns here.
        if Guess.objects.filter(offer_id=offer.pk, member_id=member.pk, amount=amount).exists():
            raise InvalidInput(fields={"amount": [_("You already guessed this amount.")]}, code=errors.INVALID_GUESS)
        spend = points.spend(
            member=member, amount=offer.terms["entry_points"], reason=points.SPENT_GUESS,
            source=points.Source.GUESS, offer_id=offer.pk, now=now,
        )  # fmt: skip
        guess = rows.insert(Guess(offer_id=offer.pk, member=member, amount=amount, created_at=now, spend=spend))
    return guess


def guesses_of(*, offer_ids, member) -> dict[int, list[Guess]]:
    """The member's own guesses on these offers, in the order made (one query)."""
    found = defaultdict(list)
    if member is None or not getattr(member, "is_authenticated", False):
        return found
    for guess in Guess.objects.filter(offer_id__in=list(offer_ids), member_id=member.pk).order_by("id"):
        found[guess.offer_id].append(guess)
    return dict(found)


def guess_counts(offer_ids) -> dict[int, int]:
    """The number of guesses of each game (one query): the only figure shown before the close."""
    counts = (
        Guess.objects.filter(offer_id__in=list(offer_ids))
        .values("offer_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("offer_id", "n")
    )
    return dict(counts)


# --- after the close ------------------------------------------------------------------------------


def result(offer) -> dict:
    """The public result: ``{"winner": {amount, member, member_id} | None, "amounts":
    [{amount, count}]}``, read from stored data (the table by one GROUP BY, the winner by the
    same rule from it). Before the close: Conflict ``not_closed``, for everyone."""
    if offer.kind != Offer.Kind.LOWEST_UNIQUE:
        raise Conflict(_("This offer is not a guessing game."), code=errors.NOT_A_GAME)
    if offer.status == Offer.Status.CANCELLED:
        raise Conflict(_("This game was cancelled: its guesses stay private."), code=errors.CANCELLED)
    if offer.closed_at is None:
        raise Conflict(_("Nobody sees the guesses before the game closes."), code=errors.NOT_CLOSED)
    table = _table(offer.pk)
    won = _winning_guess(offer.pk, table)
    winner = None
    if won is not None:
        winner = {
            "amount": fmt(won.amount, offer.currency),
            "member": get_adapter().member_display_name(won.member),
            "member_id": won.member_id,
        }
    return {"winner": winner, "amounts": [{"amount": fmt(a, offer.currency), "count": n} for a, n in table]}


def table_url(offer) -> str:
    return reverse("community_commerce:guess_table", args=[offer.pk])


def close_game(*, offer, now) -> bool:
    """The close (lifecycle.close_offer, the offer row locked): the winner gets a claim and an
    order for the prize at their amount, payable within :data:`PAYMENT_DAYS` days; the offer
    succeeds at that price (``result_unit_price``), or fails without any guess. Posts the
    thread's event (the winning amount) and tells the winner and every guesser after the
    commit; returns True (the close posts no event of its own)."""
    table = _table(offer.pk)
    won = _winning_guess(offer.pk, table)
    adapter = get_adapter()
    guessers = list(Guess.objects.filter(offer_id=offer.pk).values_list("member_id", flat=True).distinct())
    if won is None:
        offer.status = Offer.Status.FAILED
        adapter.post_thread_event(thread_id=offer.thread_id, message=NO_GUESS, params={"title": offer.title})
        return True
    amount = won.amount
    offer.status = Offer.Status.SUCCEEDED
    offer.result_unit_price = amount
    Offer.objects.filter(pk=offer.pk).update(sold=1)
    offer.sold = 1
    claim = rows.insert(
        Claim(
            offer_id=offer.pk, buyer_id=won.member_id, quantity=1, unit_price=amount,
            status=Claim.Status.ORDERED, created_at=now,
        )
    )  # fmt: skip
    order = orders.build_order(
        claim_id=claim.pk, buyer_id=won.member_id, quantity=1, offer=offer, unit_price=amount, now=now,
        payment_due_at=now + timedelta(days=PAYMENT_DAYS),
    )  # fmt: skip
    rows.insert(order)
    rows.insert(OrderEvent(order=order, at=now, actor_id=None, to_status=order.status, reason="won the guessing game"))
    shown = f"{fmt(amount, offer.currency)} {offer.currency}"
    name = adapter.member_display_name(won.member)
    unique = dict(table).get(amount) == 1
    adapter.post_thread_event(
        thread_id=offer.thread_id,
        message=WON_UNIQUE if unique else WON_FEWEST,
        params={"amount": shown, "member": name},
    )
    adapter.notify(
        recipients=[won.member_id],
        kind="offer_succeeded",
        message=gettext_noop(
            "You won “%(title)s” at %(amount)s. Your order %(number)s waits for payment for %(days)d days."
        ),
        params={"title": offer.title, "amount": shown, "number": order.number, "days": PAYMENT_DAYS},
        url=orders.order_url_maker()(order.pk),
    )
    adapter.notify(
        recipients=[m for m in guessers if m != won.member_id],
        kind="offer_closed",
        message=gettext_noop("“%(title)s” closed: %(amount)s won. See every amount and its count."),
        params={"title": offer.title, "amount": shown},
        url=table_url(offer),
    )
    return True


def cancel_game(*, offer, now) -> None:
    """A cancelled game gives back every guess's points, once each, and tells the guessers."""
    guessers = set()
    spends = Guess.objects.filter(offer_id=offer.pk, spend__isnull=False).select_related("spend").order_by("id")
    for guess in spends:
        points.give_back(entry=guess.spend, now=now)
        guessers.add(guess.member_id)
    guessers.update(Guess.objects.filter(offer_id=offer.pk, spend__isnull=True).values_list("member_id", flat=True))
    get_adapter().notify(
        recipients=guessers,
        kind="offer_cancelled",
        message=gettext_noop("The guessing game “%(title)s” was cancelled. The points of your guesses are given back."),
        params={"title": offer.title},
        url=offer.get_absolute_url(),
    )
