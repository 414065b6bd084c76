"""Celery tasks: thin wrappers around services, each safe to run twice."""

from celery import shared_task

from community_commerce import forum_adapter
from community_commerce.services import lifecycle, schedule


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
    forum_adapter.deliver_notification(
        recipients=recipients, kind=kind, message=message, params=params, text=text, url=url
    )


@shared_task(ignore_result=True)
def notify_group_buy_success(offer_id):
    return lifecycle.tell_group_buy_success(offer_id=offer_id)
