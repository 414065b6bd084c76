"""Lowest-unique-price games (kinds/lowest_unique.py). STUB: being built (issue 13)."""


def close_game(*, offer, now) -> bool:
    return False


def cancel_game(*, offer, now) -> None:
    return None
