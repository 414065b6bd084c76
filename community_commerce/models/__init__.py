from community_commerce.models.claim import Claim, ClaimTally, OfferReminder
from community_commerce.models.language import MemberLanguage
from community_commerce.models.merchant import Merchant, MerchantEvent
from community_commerce.models.notice import Notice, ThreadEvent
from community_commerce.models.offer import Offer
from community_commerce.models.order import Order, OrderEvent
from community_commerce.models.stats import ThreadViewDay, ThreadViewer

__all__ = [
    "Claim",
    "ClaimTally",
    "MemberLanguage",
    "Merchant",
    "MerchantEvent",
    "Notice",
    "Offer",
    "OfferReminder",
    "Order",
    "OrderEvent",
    "ThreadEvent",
    "ThreadViewDay",
    "ThreadViewer",
]
