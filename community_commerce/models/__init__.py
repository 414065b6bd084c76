from community_commerce.models.claim import Claim, ClaimTally, OfferReminder
from community_commerce.models.coupon import Coupon, CouponGrant, CouponUse
from community_commerce.models.language import MemberLanguage
from community_commerce.models.ledger import CategoryRate, CommissionEntry, Payout, Programme, PromotionCost
from community_commerce.models.link import Attribution, LinkVisitDay, LinkVisitor, Referral, ShareLink
from community_commerce.models.merchant import Merchant, MerchantEvent
from community_commerce.models.notice import Notice, ThreadEvent
from community_commerce.models.offer import Offer
from community_commerce.models.order import Order, OrderEvent
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
    "LinkVisitDay",
    "LinkVisitor",
    "MemberLanguage",
    "Merchant",
    "MerchantEvent",
    "Notice",
    "Offer",
    "OfferReminder",
    "Order",
    "OrderEvent",
    "Payout",
    "Programme",
    "PromotionCost",
    "Referral",
    "ShareLink",
    "ThreadEvent",
    "ThreadViewDay",
    "ThreadViewer",
]
