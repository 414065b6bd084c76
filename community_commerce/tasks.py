"""Celery tasks: thin wrappers around services, each safe to run twice."""

from celery import shared_task

from community_commerce.adapters import get_adapter
from community_commerce.services import lifecycle, notices, schedule


@shared_task(ignore_result=True)
def sweep():
    return schedule.sweep()


@shared_task(ignore_result=True)
def open_offer(offer_id):
    return lifecycle.open_offer(offer_id=offer_id)


@shared_task(ignore_result=True)
def close_offer(offer_id):
    return schedule.close_when_due(offer_id=offer_id)


@shared_task(ignore_result=True)
def notify_members(  # nothing queues it any more; kept for messages an earlier version left in the broker
    recipients, kind, text, url="", message="", params=None
):
    items = [(recipient, message or text, params or {}, url) for recipient in dict.fromkeys(recipients)]
    get_adapter().deliver_each(kind=kind, items=items)


@shared_task(ignore_result=True)
def notify_group_buy_success(offer_id):
    return lifecycle.tell_group_buy_success(offer_id=offer_id)


@shared_task(ignore_result=True)
def send_notice_emails(notice_ids):
    """The plugin's own notices by email (forums without notifications); each once."""
    return notices.send_emails(notice_ids, language_of=get_adapter().member_language)


@shared_task(ignore_result=True)
def fail_team(team_id):
    """A team's precise end (services/teams.py): it fails unless it filled; safe to run twice."""
    from community_commerce.services import teams

    return teams.fail_team(team_id=team_id)


@shared_task(ignore_result=True)
def tell_team_complete(team_id):
    """A complete team's thread event and its members' notices; safe to run twice."""
    from community_commerce.services import teams

    return teams.tell_complete(team_id=team_id)


@shared_task(ignore_result=True)
def tell_teams_failed(team_ids):
    """The members of failed teams are told; safe to run twice."""
    from community_commerce.services import teams

    return teams.tell_failed(team_ids=team_ids)
