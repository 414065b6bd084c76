"""Team buys (kinds/team_buy.py): open a team, join it, complete it when full, fail it when
its time is up. STUB: being built (issue 13)."""


def fail_due(*, now) -> int:
    return 0


def queue_precise_tasks(*, now) -> int:
    return 0


def fail_team(*, team_id, now=None) -> bool:
    return False


def close_offer_teams(*, offer, now) -> bool:
    return False


def cancel_offer_teams(*, offer, now) -> None:
    return None
