"""The stock gate.

The database decides: units are taken with one conditional UPDATE
(``sold + q <= stock``), backed by a CHECK constraint, never by a
read-check-write in Python.

In front of it, for flash sales and Dutch auctions (the crowd sales), a Redis
gate answers the crowd: one Lua script checks and takes the units left and the
member's count atomically, so when a sale is sold out the database is not
touched at all. The gate may only refuse early; what it lets through still
passes the database's UPDATE, and if the database refuses, the gate gets the
units back. It is rebuilt from the database when its keys are missing, when a
sale opens and on every sweep, and it is skipped (the database alone answers)
if Redis cannot be reached.
"""

import contextlib
import logging

import redis
from django.conf import settings
from django.db import connection
from django.db.models import F

from community_commerce.conf import conf
from community_commerce.models import Claim, ClaimTally, Coupon, Offer

log = logging.getLogger(__name__)


def take_units(*, offer, quantity, coupon_id=None) -> tuple[int | None, bool, bool]:
    """Take ``quantity`` units if the offer is still open, unchanged and has them.

    One statement: the same UPDATE that takes the last unit marks the sale sold
    out, so exactly one claim sees it cross the line, however many run at once.
    With ``coupon_id`` (PostgreSQL, see :func:`counts_coupon_with_units`) the same
    statement also counts a use of that coupon (``uses + 1 <= max_uses``), so a
    crowd sale's claim holds its two hot rows, the coupon's and the offer's, for one
    round trip less. Returns (the units now committed, or None when refused; this
    claim sold it out; the coupon's use was counted, always True without a coupon).
    """
    table = connection.ops.quote_name(Offer._meta.db_table)
    has_room = "AND sold + %s <= stock" if offer.stock is not None else ""
    counted, coupon_params = "", []
    if coupon_id is not None:
        coupons = connection.ops.quote_name(Coupon._meta.db_table)
        counted = (
            f"WITH counted AS (UPDATE {coupons} SET uses = uses + 1 "  # noqa: S608 - names are ours
            f"WHERE id = %s AND (max_uses IS NULL OR uses < max_uses) RETURNING id) "
        )
        coupon_params = [coupon_id]
    sql = (
        f"{counted}UPDATE {table} SET sold = sold + %s, "  # noqa: S608 - names are ours
        f"status = CASE WHEN stock IS NOT NULL AND sold + %s >= stock AND status IN (%s, %s) THEN %s ELSE status END "
        f"WHERE id = %s AND revision = %s AND closed_at IS NULL AND status <> %s {has_room} "
        f"RETURNING status, sold{', (SELECT COUNT(*) FROM counted)' if counted else ''}"
    )
    params = [*coupon_params, quantity, quantity, Offer.Status.SCHEDULED, Offer.Status.LIVE, Offer.Status.SOLD_OUT]
    params += [offer.pk, offer.revision, Offer.Status.CANCELLED] + ([quantity] if offer.stock is not None else [])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, False, coupon_id is None
    sold_it_out = row[0] == Offer.Status.SOLD_OUT and offer.status != Offer.Status.SOLD_OUT
    return row[1], sold_it_out, coupon_id is None or row[2] == 1


def counts_coupon_with_units() -> bool:
    """PostgreSQL runs an UPDATE inside a WITH clause; SQLite does not (and lets one writer
    in at a time anyway): there the coupon's use is counted by its own statement."""
    return connection.vendor == "postgresql"


def take_allowance(*, offer, buyer_id, quantity, limit=None) -> bool:
    """Count ``quantity`` against the member's per-offer limit: one atomic upsert
    that inserts the member's first units or adds to them only within the limit
    (PostgreSQL and SQLite both speak ``ON CONFLICT ... DO UPDATE ... WHERE``).
    ``limit``: another limit than the offer's ``per_user_limit`` (a guessing game's
    guesses per member, services/guesses.py); None: the offer's."""
    limit = offer.per_user_limit if limit is None else limit
    if limit is None:
        return True
    if quantity > limit:
        return False
    table = connection.ops.quote_name(ClaimTally._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (offer_id, buyer_id, taken) VALUES (%s, %s, %s) "  # noqa: S608 - names are ours
            f"ON CONFLICT (offer_id, buyer_id) DO UPDATE SET taken = {table}.taken + excluded.taken "
            f"WHERE {table}.taken + excluded.taken <= %s",
            [offer.pk, buyer_id, quantity, limit],
        )
        return cursor.rowcount == 1


def recount_allowance(*, offer_id, buyer_id) -> None:
    """Set the member's tally to the units their claims on the offer hold, under the tally's
    row lock. For a team buy, whose failed teams leave their members' tallies as they were
    (services/teams.py): such a tally is never less than what the member holds, and a take
    it refuses is recounted once before it is refused. The lock makes the count exact: a
    concurrent take by the same member holds that row until it commits, and its claim is
    then seen; a claim a concurrent failure is releasing still counts (never too few)."""
    table = connection.ops.quote_name(ClaimTally._meta.db_table)
    claims = connection.ops.quote_name(Claim._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    holding = ", ".join(["%s"] * len(Claim.HOLDING))
    with connection.cursor() as cursor:
        # The lock first, in a statement of its own: the UPDATE's sum then reads from a snapshot
        # taken after any take that held the row has committed.
        cursor.execute(f"SELECT taken FROM {table} WHERE offer_id = %s AND buyer_id = %s{lock}", [offer_id, buyer_id])  # noqa: S608
        if cursor.fetchone() is None:
            return
        cursor.execute(
            f"UPDATE {table} SET taken = (SELECT COALESCE(SUM(quantity), 0) FROM {claims} "  # noqa: S608
            f"WHERE offer_id = %s AND buyer_id = %s AND status IN ({holding})) WHERE offer_id = %s AND buyer_id = %s",
            [offer_id, buyer_id, *Claim.HOLDING, offer_id, buyer_id],
        )


def return_units(*, offer_id, buyer_id, quantity, between=None) -> None:
    """Give units back to the offer and the member's allowance (withdraw, expiry, cancellation).
    An offer that has ended keeps its count: it is the record of what was sold.
    The tally before the offer row: the lock order of a crowd sale's claim (services/claim.py);
    ``between`` runs between the two (a coupon's use goes back there, the claim's order too)."""
    return_allowance(offer_id=offer_id, buyer_id=buyer_id, quantity=quantity)
    if between is not None:
        between()
    return_to_offer(offer_id=offer_id, quantity=quantity)


def return_allowance(*, offer_id, buyer_id, quantity) -> None:
    """The member may take ``quantity`` more of the offer (their ClaimTally row)."""
    ClaimTally.objects.filter(offer_id=offer_id, buyer_id=buyer_id, taken__gte=quantity).update(
        taken=F("taken") - quantity
    )


def return_to_offer(*, offer_id, quantity) -> None:
    """``quantity`` units back on sale, unless the offer has ended (its count is then the record)."""
    Offer.objects.filter(pk=offer_id, sold__gte=quantity, closed_at__isnull=True).update(sold=F("sold") - quantity)
    # A sold-out sale that is still running is open again.
    if Offer.objects.filter(pk=offer_id, status=Offer.Status.SOLD_OUT, closed_at__isnull=True).update(
        status=Offer.Status.LIVE
    ):
        from community_commerce.services import offer_snapshot

        offer_snapshot.forget(offer_id)


# --- The Redis gate ----------------------------------------------------------

TAKEN, SOLD_OUT, MISSING, OVER_LIMIT, UNAVAILABLE = 1, 0, -1, -2, None

_TAKE = """
local left = redis.call('GET', KEYS[1])
if not left then return {-1, 0, 0} end
left = tonumber(left)
local q = tonumber(ARGV[2])
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if left < q then return {0, left, held} end
local limit = tonumber(ARGV[3])
if limit > 0 then
  if held + q > limit then return {-2, left, held} end
  redis.call('HINCRBY', KEYS[2], ARGV[1], q)
end
return {1, redis.call('DECRBY', KEYS[1], q), held + q}
"""

_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('INCRBY', KEYS[1], ARGV[2])
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  if redis.call('HINCRBY', KEYS[2], ARGV[1], -tonumber(ARGV[2])) <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
end
return 1
"""

_REBUILD = """
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
if #ARGV > 2 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return 1
"""


def gated(offer) -> bool:
    """Crowd sales with a fixed stock go through the gate."""
    return conf.GATE_ENABLED and offer.stock is not None and offer.kind_class.creates_order_on_claim


class RedisGate:
    def __init__(self):
        self._client = None
        self._scripts = {}

    @property
    def client(self):
        if self._client is None:
            self._client = redis.Redis.from_url(conf.GATE_REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
            for name, source in (("take", _TAKE), ("give_back", _GIVE_BACK), ("rebuild", _REBUILD)):
                self._scripts[name] = self._client.register_script(source)
        return self._client

    @staticmethod
    def keys(offer_id):
        """One hash tag per offer: both keys live in the same Redis Cluster slot."""
        base = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:gate:{{o{offer_id}}}"
        return [f"{base}:left", f"{base}:taken"]

    def _run(self, name, offer_id, *args):
        try:
            self.client  # noqa: B018 - connects and loads the scripts
            return self._scripts[name](keys=self.keys(offer_id), args=list(args))
        except redis.RedisError as exc:
            log.warning("stock gate unavailable (%s): the database alone decides", exc)
            return UNAVAILABLE

    def take(self, *, offer, buyer_id, quantity) -> tuple:
        """(verdict, units left, units the member holds): the verdict is TAKEN, SOLD_OUT,
        OVER_LIMIT, MISSING (rebuild it) or UNAVAILABLE (ask the database). The holding
        is known for offers with a per-member limit (None otherwise)."""
        answer = self._run("take", offer.pk, buyer_id, quantity, offer.per_user_limit or 0)
        if answer is None:
            return UNAVAILABLE, None, None
        held = int(answer[2]) if offer.per_user_limit else None
        return int(answer[0]), int(answer[1]), held

    def give_back(self, *, offer_id, buyer_id, quantity) -> None:
        self._run("give_back", offer_id, buyer_id, quantity)

    def rebuild(self, *, offer) -> None:
        """Units left and each member's count, from the database (which decides anyway)."""
        fresh = Offer.objects.filter(pk=offer.pk).values("stock", "sold", "ends_at", "closed_at").first()
        if fresh is None or fresh["stock"] is None:
            return
        left = 0 if fresh["closed_at"] else max(fresh["stock"] - fresh["sold"], 0)
        ttl = 3600
        held = ClaimTally.objects.filter(offer_id=offer.pk, taken__gt=0).values_list("buyer_id", "taken")
        flat = [str(value) for pair in held for value in pair]
        self._run("rebuild", offer.pk, left, ttl, *flat)

    def forget(self, *, offer_id) -> None:
        with contextlib.suppress(redis.RedisError):
            self.client.delete(*self.keys(offer_id))


gate = RedisGate()
