"""Team buys (kinds/team_buy.py): a member opens a team (their claim), others join it through
its share link or the card, and a team that fills completes at once; one that does not fill
by its ``expires_at`` fails, every claim and coupon use released, every member told.

Seats. A join raises ``Team.members`` with one conditional UPDATE (``members < size``, the
team open and not expired), which also takes the team's row lock until the commit (what a
``select_for_update`` would take, in the same round trip): the joins of one team queue on
that row, so a team never exceeds its size (a CHECK constraint behind it), and one seat per
member and team is a unique constraint (``cc_claim_one_seat_per_team``).

Units. The offer's stock bounds all teams together: every member's units are taken by the
claim path's conditional UPDATE (stock.take_units), and their per-member limit by the tally
(stock.take_allowance). A failed team leaves its members' tallies as they were, never less
than what they hold; a take one refuses is recounted from the member's claims under the
tally's lock and tried once more (_take_allowance). Opening a team needs room for a full team
(``stock_left >= quantity + size - 1``): checked against the count that very UPDATE
returns, in its transaction, so a refusal rolls the whole opening back.

Lock order, the same in every path so none deadlocks another: the team row, the claims, the
member's tally, the offer row, the coupon's counter (as a group-buy's claim takes it, after
the offer). The close of the offer (services/lifecycle.py) holds the offer row first: it
skips teams another transaction holds (``skip_locked``), which the sweeper fails next time.

Failure is set-based: one conditional UPDATE open -> failed of a batch (``RETURNING`` the
teams it changed, so only the winner goes on), then the claims released in one UPDATE, the
offer's units given back per offer, the coupon uses through
coupons.release (a conditional UPDATE per use). Members are told after the commit.
"""

import logging
import secrets
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community_commerce import errors, rows, stock
from community_commerce.adapters import get_adapter
from community_commerce.conf import conf
from community_commerce.errors import Conflict, InvalidInput, NotAllowed, NotFound
from community_commerce.models import Claim, CouponUse, Offer, Order, OrderEvent, ShareLink, Team
from community_commerce.models.link import FORUM_CHANNEL
from community_commerce.money import fmt, round_amount
from community_commerce.services import claim as claims
from community_commerce.services import coupons, links, offer_snapshot, orders

log = logging.getLogger(__name__)

OPEN, COMPLETE, FAILED = Team.Status.OPEN, Team.Status.COMPLETE, Team.Status.FAILED
# A complete team's orders wait this long for payment, then expire like a reservation
# (their units go back on sale through services/refunds.py).
PAYMENT_HOURS = 24

COMPLETE_EVENT = gettext_noop("Team complete: %(members)d members, %(units)d units at %(price)s (“%(title)s”)")
COMPLETE_NOTICE = gettext_noop(
    "Your team for “%(title)s” is complete. Your order %(number)s: %(quantity)d for %(total)s %(currency)s. "
    "Pay within %(hours)d hours."
)
FAILED_NOTICE = gettext_noop(
    "Your team for “%(title)s” did not fill in time (%(members)d of %(size)d). Your claim is released; nothing to pay."
)


# --- Reading -------------------------------------------------------------------------------------------


def team_url(team) -> str:
    """The team's page."""
    return reverse("community_commerce:team", args=[team.pk if isinstance(team, Team) else team])


def _url_maker():
    """team id -> its page, reversing the route once for a batch."""
    pattern = reverse("community_commerce:team", args=[987654321])
    head, tail = pattern.split("987654321")
    return lambda team_id: f"{head}{team_id}{tail}"


def open_teams_of(offer_ids, *, now=None) -> dict[int, list[Team]]:
    """offer id -> its open teams that have not expired, oldest first, each with its leader
    loaded: one query."""
    now = now or timezone.now()
    found: dict[int, list[Team]] = {offer_id: [] for offer_id in offer_ids}
    if not found:
        return found
    teams = (
        Team.objects.filter(offer_id__in=list(found), status=OPEN, expires_at__gt=now)
        .select_related("leader")
        .order_by("created_at", "id")
    )
    for team in teams:
        found[team.offer_id].append(team)
    return found


def team_counts(offer_ids, *, now=None) -> dict[int, int]:
    """offer id -> its open teams (not expired): one query."""
    now = now or timezone.now()
    counts = dict.fromkeys(offer_ids, 0)
    if not counts:
        return counts
    rows_ = (
        Team.objects.filter(offer_id__in=list(counts), status=OPEN, expires_at__gt=now)
        .values("offer_id")
        .annotate(n=Count("id"))
        .values_list("offer_id", "n")
    )
    counts.update(dict(rows_))
    return counts


def get_team(team_id) -> Team:
    team = Team.objects.select_related("offer", "offer__merchant", "leader").filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("No such team."))
    return team


def seats_of(team):
    """The team's claims that hold (or, for a failed team, held) a seat, oldest first, with their buyers."""
    seats = Claim.objects.filter(team_id=team.pk).select_related("buyer").order_by("id")
    if team.status != FAILED:
        seats = seats.filter(status__in=Claim.HOLDING)
    return seats


def team_link(*, team, user) -> ShareLink:
    """The member's share link to the team: ``/r/<code>`` leads to the team's page. One per
    member and team (``cc_link_team_once``), made on first use."""
    if not getattr(user, "is_authenticated", False):
        raise NotAllowed(_("Log in to share this team."))
    found = ShareLink.objects.filter(owner=user, team_id=team.pk, channel=FORUM_CHANNEL).first()
    if found is not None:
        return found
    offer = team.offer
    try:
        with transaction.atomic():
            return ShareLink.objects.create(
                code=secrets.token_urlsafe(9),
                owner=user,
                kind=ShareLink.Kind.REFERRAL,
                offer_id=offer.pk,
                team_id=team.pk,
                thread_id=offer.thread_id,
                channel=FORUM_CHANNEL,
            )
    except IntegrityError:  # the same member twice at once: the first link stands
        return ShareLink.objects.get(owner=user, team_id=team.pk, channel=FORUM_CHANNEL)


# --- Opening a team -------------------------------------------------------------------------------------


def _offer_for_team(offer_id) -> Offer:
    offer = offer_snapshot.get(offer_id)
    if offer is None:
        raise NotFound(_("No such offer."))
    if offer.kind != Offer.Kind.TEAM_BUY:
        raise Conflict(_("This offer is not a team buy."), code=errors.NOT_A_TEAM_BUY)
    return offer


def _check_member(offer, member, quantity, now) -> None:
    if offer.merchant_user_id == member.pk:
        raise NotAllowed(_("You cannot claim your own offer."), code=errors.OWN_OFFER)
    claims.check_open(offer, now)
    if offer.per_user_limit is not None and quantity > offer.per_user_limit:
        raise Conflict(_("At most %(limit)d per member.") % {"limit": offer.per_user_limit}, code=errors.LIMIT_EXCEEDED)


def _clean_source(coupon, idempotency_key=None):
    code = coupons.normalise_code(coupon) if coupon not in (None, "") else None
    key = (str(idempotency_key).strip() or None) if idempotency_key is not None else None
    if key and len(key) > claims.KEY_MAX:
        raise InvalidInput(fields={"idempotency_key": [_("At most %d characters.") % claims.KEY_MAX]})
    return code, key


def open_team(
    *, offer_id, leader, quantity=1, idempotency_key=None, coupon=None, ref=None, ref_at=None, now=None
) -> Team:
    """Open a team of a team buy: the leader's claim (active until the team completes or fails)
    and the team, expiring ``team_hours`` from now or at the offer's end, whichever comes first.
    The same idempotency key again returns the first team (``team.replayed`` is True)."""
    quantity = claims.clean_quantity(quantity)
    code, key = _clean_source(coupon, idempotency_key)
    offer = _offer_for_team(offer_id)
    if key and (existing := _team_with_key(offer, leader, key)) is not None:
        return _replayed(existing, quantity, code)
    now = now or timezone.now()
    _check_member(offer, leader, quantity, now)
    found = coupons.find_for_claim(code=code, offer=offer, buyer=leader, quantity=quantity, now=now) if code else None
    try:
        with transaction.atomic():
            team = _open(offer, leader, quantity, key, found, ref, ref_at, now)
    except IntegrityError:
        if key and (existing := _team_with_key(offer, leader, key)) is not None:
            return _replayed(existing, quantity, code)
        raise
    team.replayed = False
    return team


def _team_with_key(offer, leader, key):
    return (
        Claim.objects.filter(offer_id=offer.pk, buyer=leader, idempotency_key=key, team__isnull=False)
        .select_related("team")
        .first()
    )


def _replayed(existing_claim, quantity, code) -> Team:
    claims._replayed(existing_claim, quantity, code)  # the same key with another body: 409 idempotency_key_reused
    team = existing_claim.team
    team.replayed = True
    return team


def _open(offer, leader, quantity, key, coupon, ref, ref_at, now) -> Team:
    size = int(offer.terms["team_size"])
    channel, link_id = links.attribute(buyer=leader, ref=ref, ref_at=ref_at, coupon=coupon, now=now)
    claims._open_if_due(offer, now)
    price = Decimal(offer.terms["unit_price"])
    discount = claims._discount(coupon, offer, price, quantity)
    _take_allowance(offer, leader, quantity)
    team = Team(
        offer_id=offer.pk,
        leader=leader,
        size=size,
        members=1,
        status=OPEN,
        created_at=now,
        expires_at=min(now + timedelta(hours=int(offer.terms.get("team_hours", 24))), offer.ends_at),
    )
    rows.insert(team)
    team.offer = offer
    new_claim = _insert_claim(offer, team, leader, quantity, price, key, now, discount, channel, link_id, coupon)
    _take_units(offer, quantity, room=size - 1)
    if coupon is not None:  # reserved with the claim; applied to the order when the team completes
        coupons.count_use(coupon=coupon)
    team.leader_claim = new_claim
    return team


def _take_allowance(offer, member, quantity) -> None:
    """The member's per-member limit (their tally). A failed team leaves its members' tallies
    as they were, so a tally may count units the member no longer holds: a take it refuses is
    recounted from the member's claims (stock.recount_allowance) and tried once more."""
    if stock.take_allowance(offer=offer, buyer_id=member.pk, quantity=quantity):
        return
    stock.recount_allowance(offer_id=offer.pk, buyer_id=member.pk)
    claims._take_allowance(offer, member, quantity)


def _insert_claim(offer, team, buyer, quantity, price, key, now, discount, channel, link_id, coupon) -> Claim:
    """The member's claim in the team. Marked told: the team's page and its completion or failure
    tell the member (claim_notices' words are a group-buy's and a reservation's)."""
    try:
        new_claim = rows.insert(
            Claim(
                offer_id=offer.pk, buyer=buyer, quantity=quantity, unit_price=price, status=Claim.Status.ACTIVE,
                idempotency_key=key, created_at=now, notified_at=now, discount=discount, channel=channel,
                link_id=link_id, coupon=coupon, team_id=team.pk,
            )
        )  # fmt: skip
    except IntegrityError:
        if key is None:  # the seat's unique constraint (the only other one a new claim can meet)
            raise Conflict(_("You are already in this team."), code=errors.ALREADY_IN_TEAM) from None
        raise
    new_claim.offer = offer
    Claim.order.related.set_cached_value(new_claim, None)
    if coupon is not None:
        coupons.record_use(coupon=coupon, claim=new_claim)
    return new_claim


def _take_units(offer, quantity, room=0) -> int:
    """The claim path's stock UPDATE. ``room``: units that must still be left after it (a new
    team's seats), checked against the count this very UPDATE returns: refused, the caller's
    transaction rolls back."""
    committed, _sold_it_out, _counted = stock.take_units(offer=offer, quantity=quantity)
    if committed is None:
        offer_snapshot.forget(offer.pk)
        fresh = Offer.objects.filter(pk=offer.pk).values("status", "closed_at", "revision", "stock", "sold").first()
        if fresh["status"] == Offer.Status.CANCELLED or fresh["closed_at"] is not None:
            raise Conflict(_("This offer has ended."), code=errors.CLOSED)
        if fresh["revision"] != offer.revision:
            raise Conflict(_("The merchant just changed this offer; look again."), code="offer_changed")
        left = max(fresh["stock"] - fresh["sold"], 0)
        if room:
            raise _not_enough_stock(left, quantity + room)
        raise claims._sold_out(left)
    left = offer.stock - committed
    if left < room:
        raise _not_enough_stock(left + quantity, quantity + room)
    if left == 0:
        from community_commerce.services import lifecycle

        lifecycle.announce_sold_out(offer=offer)
    return committed


def _not_enough_stock(left, needed) -> Conflict:
    return Conflict(
        _("Only %(left)d left: a full team needs %(needed)d.") % {"left": left, "needed": needed},
        code=errors.NOT_ENOUGH_STOCK,
    )


# --- Joining ---------------------------------------------------------------------------------------------


DEADLOCK = "40P01"  # PostgreSQL's deadlock_detected


def join_team(**kwargs) -> Claim:
    """Take a seat (:func:`_join`). A join at the very moment its offer is cancelled or closed
    takes the team row, then the offer's, where the cancellation takes them the other way
    round; PostgreSQL then aborts one of the two. An aborted join is asked once more: by then
    the offer has ended, so the member gets its 409, never a 500."""
    try:
        return _join(**kwargs)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK:
            raise
        return _join(**kwargs)


def _join(*, team_id, member, quantity=1, coupon=None, ref=None, ref_at=None, now=None) -> Claim:
    """Take a seat in an open team: the member's claim. The seat that fills the team completes
    it in the same transaction (every member's order at the team price). The seat's UPDATE
    comes first and names the offer; any refusal after it rolls the seat back."""
    quantity = claims.clean_quantity(quantity)
    code, _key = _clean_source(coupon)
    now = now or timezone.now()
    completed = None
    with transaction.atomic():
        seat = _take_seat(team_id, now)
        if seat is None:
            seen = Team.objects.filter(pk=team_id).values("offer_id", "status", "members", "size", "expires_at").first()
            if seen is None:
                raise NotFound(_("No such team."))
            offer = _offer_for_team(seen["offer_id"])
            if offer.merchant_user_id == member.pk:
                raise NotAllowed(_("You cannot claim your own offer."), code=errors.OWN_OFFER)
            _explain_seat(seen, now)
            raise Conflict(_("This team is closed."), code=errors.TEAM_CLOSED)  # changed meanwhile: it is closed now
        members, size, leader_id, offer_id = seat
        offer = _offer_for_team(offer_id)
        _check_member(offer, member, quantity, now)
        found = (
            coupons.find_for_claim(code=code, offer=offer, buyer=member, quantity=quantity, now=now) if code else None
        )
        full = members == size
        team = Team(
            pk=team_id, offer_id=offer.pk, members=members, size=size, leader_id=leader_id,
            status=COMPLETE if full else OPEN, closed_at=now if full else None,
        )  # fmt: skip
        team.offer = offer
        channel, link_id = links.attribute(buyer=member, ref=ref, ref_at=ref_at, coupon=found, now=now)
        price = Decimal(offer.terms["unit_price"])
        discount = claims._discount(found, offer, price, quantity)
        _take_allowance(offer, member, quantity)
        new_claim = _insert_claim(offer, team, member, quantity, price, None, now, discount, channel, link_id, found)
        if full:  # before the offer row: the one row every join of the offer waits for is held shortest
            completed = _complete(team=team, offer=offer, now=now, joiner=new_claim)
        _take_units(offer, quantity)
        if found is not None:
            coupons.count_use(coupon=found)
    new_claim.team = team
    new_claim.team_completed = completed is not None
    return new_claim


def _take_seat(team_id, now):
    """The one conditional UPDATE of a seat (it also holds the team's row until the commit): the
    seat that fills the team marks it complete in the same statement. (members now, size,
    leader, offer) or None when refused."""
    table = connection.ops.quote_name(Team._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET members = members + 1, "  # noqa: S608 - names are ours
            f"status = CASE WHEN members + 1 = size THEN %s ELSE status END, "
            f"closed_at = CASE WHEN members + 1 = size THEN %s ELSE closed_at END "
            f"WHERE id = %s AND status = %s AND members < size AND expires_at > %s "
            f"RETURNING members, size, leader_id, offer_id",
            [COMPLETE, now, team_id, OPEN, now],
        )
        return cursor.fetchone()


def _explain_seat(team, now) -> None:
    if team["status"] != OPEN or team["expires_at"] <= now:
        if team["status"] == COMPLETE:
            raise Conflict(_("This team is already complete."), code=errors.TEAM_CLOSED)
        raise Conflict(_("This team is closed: its time is up."), code=errors.TEAM_CLOSED)
    if team["members"] >= team["size"]:
        raise Conflict(_("This team is full."), code=errors.TEAM_FULL)


# --- Completing --------------------------------------------------------------------------------------------


def _complete(*, team, offer, now, joiner) -> list[Order]:
    """The seat that filled the team marked it complete: every member's claim becomes an order at
    the team price (a coupon reserved with a claim applies now), waiting PAYMENT_HOURS for
    payment. The claims' UPDATE returns them: three statements for the whole team."""
    price = Decimal(offer.terms["unit_price"])
    table = connection.ops.quote_name(Claim._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, unit_price = %s, ended_at = %s "  # noqa: S608 - names are ours
            f"WHERE team_id = %s AND status = %s RETURNING id, buyer_id, quantity, channel, link_id, coupon_id",
            [Claim.Status.ORDERED, price, now, team.pk, Claim.Status.ACTIVE],
        )
        seats = sorted(cursor.fetchall())
    ids = [row[0] for row in seats]
    with_coupon = [row[0] for row in seats if row[5] is not None]
    used = (
        {
            use.claim_id: use.coupon
            for use in CouponUse.objects.filter(claim_id__in=with_coupon, status=CouponUse.Status.LIVE).select_related(
                "coupon"
            )
        }
        if with_coupon
        else {}
    )
    seats = [row[:5] for row in seats]
    discounts = {
        cid: round_amount(coupons.unit_discount(used[cid], price=price, offer=offer) * q, offer.currency)
        for cid, _bid, q, _channel, _link in seats
        if cid in used
    }
    due = now + timedelta(hours=PAYMENT_HOURS)
    built = [
        orders.build_order(
            claim_id=cid, buyer_id=bid, quantity=q, offer=offer, unit_price=price, now=now, payment_due_at=due,
            number=number, discount=discounts.get(cid, 0), channel=channel, link_id=link_id,
            coupon_id=used[cid].pk if cid in used else None,
        )
        for (cid, bid, q, channel, link_id), number in zip(seats, orders.new_numbers(ids), strict=True)
    ]  # fmt: skip
    made = rows.insert_many(built)  # a few rows: one plain INSERT each table, no bulk_create machinery
    rows.insert_many(
        [
            OrderEvent(order=o, at=now, actor_id=None, from_status="", to_status=o.status, reason="team complete")
            for o in made
        ]
    )
    for claim_id, discount in discounts.items():  # the few claims with a coupon
        Claim.objects.filter(pk=claim_id).update(discount=discount)
    mine = next((o for o in made if o.claim_id == joiner.pk), None)
    joiner.status, joiner.ended_at = Claim.Status.ORDERED, now
    if joiner.pk in discounts:
        joiner.discount = discounts[joiner.pk]
    Claim.order.related.set_cached_value(joiner, mine)
    # The thread event and the members' notices: by a worker after the commit (tell_complete),
    # not on the join's path.
    from community_commerce.tasks import tell_team_complete

    tell_team_complete.delay_on_commit(team.pk)
    return made


def tell_complete(*, team_id) -> int:
    """A complete team's thread event and each member's notice (their order, its total, where to
    pay): tasks.tell_team_complete, after the completion's commit. Safe to run twice (a
    redelivered task): members told about their order are skipped, and the event goes with
    the first notices."""
    team = Team.objects.select_related("offer").filter(pk=team_id, status=COMPLETE).first()
    if team is None:
        return 0
    offer = team.offer
    made = list(
        Order.objects.filter(claim__team_id=team_id)
        .order_by("id")
        .values_list("id", "buyer_id", "number", "quantity", "total")
    )
    url_of = orders.order_url_maker()
    adapter = get_adapter()
    done = adapter.already_notified(kind="team_complete", urls=[url_of(row[0]) for row in made])
    if not done:
        adapter.post_thread_event(
            thread_id=offer.thread_id,
            message=COMPLETE_EVENT,
            params={
                "members": len(made),
                "units": sum(row[3] for row in made),
                "price": f"{fmt(Decimal(offer.terms['unit_price']), offer.currency)} {offer.currency}",
                "title": offer.title,
            },
        )
    items = [
        (
            buyer_id,
            COMPLETE_NOTICE,
            {
                "title": offer.title,
                "number": number,
                "quantity": quantity,
                "total": fmt(total, offer.currency),
                "currency": offer.currency,
                "hours": PAYMENT_HOURS,
            },
            url_of(order_id),
        )
        for order_id, buyer_id, number, quantity, total in made
        if url_of(order_id) not in done
    ]
    adapter.notify_each(kind="team_complete", items=items)
    return len(items)


def tell_failed(*, team_ids) -> int:
    """Each member of these failed teams: their claim is released, nothing to pay
    (tasks.tell_teams_failed, after the failure's commit). Safe to run twice: a team whose
    members were told (its page's notice) is skipped."""
    failed = list(
        Team.objects.filter(pk__in=list(team_ids), status=FAILED).values_list("id", "offer_id", "members", "size")
    )
    if not failed:
        return 0
    url_of = _url_maker()
    done = get_adapter().already_notified(kind="team_failed", urls=[url_of(row[0]) for row in failed])
    failed = [row for row in failed if url_of(row[0]) not in done]
    released = list(
        Claim.objects.filter(team_id__in=[row[0] for row in failed], status=Claim.Status.RELEASED).values_list(
            "id", "offer_id", "buyer_id", "quantity", "team_id"
        )
    )
    if released:
        _tell_failed(failed, released)
    return len(released)


# --- Failing -------------------------------------------------------------------------------------------------


def _fail_rows(*, now, team_ids=None, offer_id=None, due=False, limit=None, skip_locked=False) -> list[tuple]:
    """open -> failed, one conditional UPDATE; (id, offer_id, members, size) of the teams it changed."""
    table = connection.ops.quote_name(Team._meta.db_table)
    where, params = ["status = %s"], [OPEN]
    if team_ids is not None:
        team_ids = list(team_ids)
        if not team_ids:
            return []
        where.append(f"id IN ({', '.join(['%s'] * len(team_ids))})")
        params += team_ids
    if offer_id is not None:
        where.append("offer_id = %s")
        params.append(offer_id)
    if due:
        where.append("expires_at <= %s")
        params.append(now)
    inner = f"SELECT id FROM {table} WHERE {' AND '.join(where)}"  # noqa: S608 - names are ours
    if limit:
        inner += f" ORDER BY id LIMIT {int(limit)}"
    if skip_locked and connection.features.has_select_for_update_skip_locked:
        inner += " FOR UPDATE SKIP LOCKED"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, closed_at = %s WHERE status = %s AND id IN ({inner}) "  # noqa: S608
            f"RETURNING id, offer_id, members, size",
            [FAILED, now, OPEN, *params],
        )
        return cursor.fetchall()


def _release_claims(team_ids, now) -> list[tuple]:
    """The failed teams' claims: active -> released, one UPDATE; (id, offer_id, buyer_id, quantity, team_id,
    coupon_id)."""
    table = connection.ops.quote_name(Claim._meta.db_table)
    in_teams, ids = rows.among("team_id", team_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, ended_at = %s WHERE status = %s AND {in_teams} "  # noqa: S608
            f"RETURNING id, offer_id, buyer_id, quantity, team_id, coupon_id",
            [Claim.Status.RELEASED, now, Claim.Status.ACTIVE, *ids],
        )
        return cursor.fetchall()


def _fail(*, failed, now, give_back=True, closing=None) -> int:
    """What the teams of ``failed`` (the rows _fail_rows changed) give back, in its transaction.
    ``give_back=False``: the offer was cancelled (its claims and uses were released already).
    ``closing``: the offer being closed (its row locked): its units come back on the object too."""
    if not failed:
        return 0
    team_ids = [row[0] for row in failed]
    released = _release_claims(team_ids, now) if give_back else []
    if released:
        # The members' tallies stay as they are (recounted when one refuses a take: _take_allowance):
        # a batch of 1,000 teams writes 2,000 rows fewer.
        units: dict[int, int] = defaultdict(int)
        for _cid, offer_id, _buyer, quantity, _team, _coupon in released:
            units[offer_id] += quantity
        for offer_id in sorted(units):
            _give_back_units(offer_id, units[offer_id], closing=closing)
        with_coupon = [row[0] for row in released if row[5] is not None]  # a claim's use names its coupon
        if with_coupon:
            coupons.release(claim_ids=with_coupon, now=now)
        from community_commerce.tasks import tell_teams_failed

        tell_teams_failed.delay_on_commit(team_ids)  # the members are told by a worker
    return len(failed)


def _give_back_units(offer_id, quantity, *, closing=None) -> None:
    """A failed team's units: not sold after all, so they leave the offer's count (also after its
    end: a team buy's ``sold`` is the units members hold), and a running sale that had sold out
    is open again."""
    if closing is not None and closing.pk == offer_id:
        Offer.objects.filter(pk=offer_id, sold__gte=quantity).update(sold=F("sold") - quantity)
        closing.sold = max(closing.sold - quantity, 0)
        return
    Offer.objects.filter(pk=offer_id, sold__gte=quantity).update(sold=F("sold") - quantity)
    if Offer.objects.filter(pk=offer_id, status=Offer.Status.SOLD_OUT, closed_at__isnull=True).update(
        status=Offer.Status.LIVE
    ):
        offer_snapshot.forget(offer_id)


def _tell_failed(failed, released) -> None:
    sizes = {team_id: (members, size) for team_id, _offer, members, size in failed}
    titles = dict(Offer.objects.filter(pk__in={row[1] for row in released}).values_list("pk", "title"))
    url_of = _url_maker()
    get_adapter().notify_each(
        kind="team_failed",
        items=[
            (
                buyer_id,
                FAILED_NOTICE,
                {"title": titles[offer_id], "members": sizes[team_id][0], "size": sizes[team_id][1]},
                url_of(team_id),
            )
            for _cid, offer_id, buyer_id, _q, team_id in released
        ],
    )


def fail_team(*, team_id, now=None) -> bool:
    """The team's precise end (its ETA task): it fails unless it filled. True only for the call
    that failed it; a redelivered task changes nothing. A task that arrives a little early
    queues itself once more for the moment."""
    now = now or timezone.now()
    with transaction.atomic():
        failed = _fail_rows(now=now, team_ids=[team_id], due=True)
        _fail(failed=failed, now=now)
    if failed:
        return True
    early = Team.objects.filter(
        pk=team_id, status=OPEN, expires_at__gt=now, expires_at__lte=now + timedelta(seconds=conf.SWEEP_SECONDS + 1)
    ).values_list("expires_at", flat=True)
    for expires_at in early:
        _queue_once(team_id, expires_at + timedelta(milliseconds=20), "team-fail-retry")
    return False


def fail_due(*, now=None, batch=None) -> int:
    """The sweeper: every open team whose time is up fails, ``TEAM_CLOSE_BATCH`` at a time, each
    batch in its own transaction; teams another transaction holds (a join, an ETA task) are
    skipped and seen again next time. Returns the teams failed."""
    now = now or timezone.now()
    batch = batch or conf.TEAM_CLOSE_BATCH
    total = 0
    while True:
        with transaction.atomic():
            failed = _fail_rows(now=now, due=True, limit=batch, skip_locked=True)
            total += _fail(failed=failed, now=now)
        if len(failed) < batch:
            return total


def queue_precise_tasks(*, now=None) -> int:
    """An ETA task (tasks.fail_team) for each open team expiring before the next sweep, queued
    once per team and moment."""
    now = now or timezone.now()
    horizon = now + timedelta(seconds=conf.SWEEP_SECONDS + 1)
    due = Team.objects.filter(status=OPEN, expires_at__gt=now, expires_at__lte=horizon).values_list("id", "expires_at")
    return sum(_queue_once(team_id, expires_at, "team-fail") for team_id, expires_at in due)


def _queue_once(team_id, eta, what) -> bool:
    """Each sweep sees the same upcoming moment; only the first one queues its task (as
    schedule._queue_once does for offers)."""
    from community_commerce import tasks

    if not cache.add(f"cc:eta:{what}:{team_id}:{eta.timestamp()}", 1, timeout=conf.SWEEP_SECONDS * 4):
        return False
    tasks.fail_team.apply_async(args=[team_id], eta=eta)
    return True


def close_offer_teams(*, offer, now) -> bool:
    """lifecycle.close_offer's hook, in its transaction with the offer row locked: teams still
    open at the offer's end fail the same way (units back on the offer's count, its final
    status from the units left). Teams another transaction holds are skipped: they have
    expired by now, and the sweeper fails them. Returns False: the default close event is posted."""
    failed = _fail_rows(now=now, offer_id=offer.pk, skip_locked=True)
    if _fail(failed=failed, now=now, closing=offer):
        offer.status = offer.kind_class.close_status(offer)
    return False


def cancel_offer_teams(*, offer, now) -> None:
    """lifecycle's cancellation hook: its claims and coupon uses were released and its members
    are told by the cancellation; the open teams only fail."""
    _fail(failed=_fail_rows(now=now, offer_id=offer.pk), now=now, give_back=False)
