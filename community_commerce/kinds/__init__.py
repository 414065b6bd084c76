"""One module per offer kind. Each is a small class: validate terms, price at
time t, whether a claim makes an order at once, how the offer closes."""

from community_commerce.kinds.dutch_auction import DutchAuction
from community_commerce.kinds.flash_sale import FlashSale
from community_commerce.kinds.group_buy import GroupBuy
from community_commerce.kinds.lowest_unique import LowestUnique
from community_commerce.kinds.team_buy import TeamBuy

KINDS = {kind.code: kind() for kind in (GroupBuy, FlashSale, DutchAuction, TeamBuy, LowestUnique)}


def get_kind(code):
    return KINDS[code]
