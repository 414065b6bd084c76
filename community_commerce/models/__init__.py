from community_commerce.models.claim import Claim, ClaimTally, OfferReminder
from community_commerce.models.coupon import Coupon, CouponGrant, CouponUse
from community_commerce.models.dispute import Dispute, DisputeMessage
from community_commerce.models.game import Guess, Team
from community_commerce.models.language import MemberLanguage
from community_commerce.models.ledger import CategoryRate, CommissionEntry, Payout, Programme, PromotionCost
from community_commerce.models.link import Attribution, LinkVisitDay, LinkVisitor, Referral, ShareLink
from community_commerce.models.merchant import Merchant, MerchantEvent
from community_commerce.models.notice import Notice, ThreadEvent
from community_commerce.models.offer import Offer
from community_commerce.models.order import Order, OrderEvent
from community_commerce.models.points import PointsBalance, PointsEntry
from community_commerce.models.rating import Rating
from community_commerce.models.receipt import ReceiptReminder
from community_commerce.models.reputation import FlaggedMerchant, MerchantReputation
from community_commerce.models.stats import ThreadViewDay, ThreadViewer

__all__ = [
    "Attribution",
    "CategoryRate",
    "Claim",
    "ClaimTally",
    "CommissionEntry",
    "Coupon",
    "CouponGrant",
    "CouponUse",
    "Dispute",
    "DisputeMessage",
    "FlaggedMerchant",
    "Guess",
    "LinkVisitDay",
    "LinkVisitor",
    "MemberLanguage",
    "Merchant",
    "MerchantEvent",
    "MerchantReputation",
    "Notice",
    "Offer",
    "OfferReminder",
    "Order",
    "OrderEvent",
    "Payout",
    "PointsBalance",
    "PointsEntry",
    "Programme",
    "PromotionCost",
    "Rating",
    "ReceiptReminder",
    "Referral",
    "ShareLink",
    "Team",
    "ThreadEvent",
    "ThreadViewDay",
    "ThreadViewer",
]
