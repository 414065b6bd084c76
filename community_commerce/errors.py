"""Domain errors with stable codes (shared/API.md). The API maps them to JSON, views to messages."""

from django.utils.translation import gettext_lazy as _


class CommerceError(Exception):
    status = 400
    code = "invalid"
    default_message = _("The request is not valid.")

    def __init__(self, message=None, *, fields=None, code=None, status=None):
        self.message = str(message or self.default_message)
        self.fields = fields or {}
        if code:
            self.code = code
        if status:
            self.status = status
        super().__init__(self.message)


class InvalidInput(CommerceError):
    """400: the input itself is wrong (fields says where)."""


class NotAllowed(CommerceError):
    status = 403
    code = "forbidden"
    default_message = _("You are not allowed to do that.")


class NotFound(CommerceError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Conflict(CommerceError):
    """409: the request is fine but the offer's or order's state refuses it."""

    status = 409
    code = "conflict"


# The stable codes, in one place so views, API and tests agree on the spelling.
NOT_STARTED = "not_started"
CLOSED = "closed"
SOLD_OUT = "sold_out"
LIMIT_EXCEEDED = "limit_exceeded"
ALREADY_CLAIMED = "already_claimed"
THRESHOLD_LOCKED = "threshold_locked"
OWN_OFFER = "own_offer"
NOT_MERCHANT = "not_merchant"
NOT_YOUR_THREAD = "not_your_thread"
COMMERCE_DISABLED = "commerce_disabled"
THREAD_LOCKED = "thread_locked"
TERMS_FROZEN = "terms_frozen"
INVALID_TRANSITION = "invalid_transition"
CANCELLED = "cancelled"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
INVALID_COUPON = "invalid_coupon"
COUPON_USED = "coupon_used"
COUPONS_GONE = "coupons_gone"
COUPON_NOT_APPLICABLE = "coupon_not_applicable"
INVALID_CHANNEL = "invalid_channel"
# Buyer protection and reputation (services/receipt.py disputes.py ratings.py limits.py).
NOT_BUYER = "not_buyer"
NOT_SHIPPED = "not_shipped"
NOT_PAID = "not_paid"
NOT_DISPUTABLE = "not_disputable"
REFUND_WINDOW_CLOSED = "refund_window_closed"
ALREADY_DISPUTED = "already_disputed"
DISPUTE_CLOSED = "dispute_closed"
OWN_DISPUTE = "own_dispute"
INVALID_STARS = "invalid_stars"
NOT_COMPLETED = "not_completed"
ORDER_REFUNDED = "order_refunded"
ALREADY_RATED = "already_rated"
ALREADY_REPLIED = "already_replied"
MERCHANT_LIMIT = "merchant_limit"
# Points and games (services/points.py teams.py guesses.py).
NOT_ENOUGH_POINTS = "not_enough_points"
TEAM_FULL = "team_full"
TEAM_CLOSED = "team_closed"
ALREADY_IN_TEAM = "already_in_team"
NOT_ENOUGH_STOCK = "not_enough_stock"
GUESS_LIMIT = "guess_limit"
NOT_CLOSED = "not_closed"
INVALID_GUESS = "invalid_guess"
NOT_A_TEAM_BUY = "not_a_team_buy"
NOT_A_GAME = "not_a_game"
NOT_CLAIMABLE = "not_claimable"  # a team buy or a game claimed through POST .../claims
