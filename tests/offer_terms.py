"""The example terms of shared/API.md, one per kind of offer: for every site's tests (this
module imports no forum)."""

OFFER_TERMS = {
    "group_buy": {"unit_price": "19.90", "min_quantity": 10, "tiers": [{"min_quantity": 30, "unit_price": "17.90"}]},
    "flash_sale": {"unit_price": "9.90", "reservation_minutes": 15},
    "dutch_auction": {"start_price": "100.00", "floor_price": "40.00", "step": "5.00", "step_seconds": 60},
    "team_buy": {"unit_price": "29.90", "solo_price": "39.90", "team_size": 3, "team_hours": 24},
    "lowest_unique": {"min_guess": "0.01", "max_guess": "99.99", "entry_points": 10, "guesses_per_member": 5},
}
