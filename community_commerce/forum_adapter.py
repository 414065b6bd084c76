"""The only door from the commerce plugin into the forum.

Everything the plugin needs from a forum is here: find a thread, its URL,
whether a member may attach an offer to it, post a thread event, notify
members, and the hooks that show commerce on forum pages. To install the
plugin into another forum, write this module again for that forum.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from community_commerce.errors import NotAllowed, NotFound


def connect():
    """Register the plugin's extensions with the forum (called from AppConfig.ready)."""
    from community_commerce import display
    from community_commerce.composer import OfferComposerSection
    from community_commerce.services import stats
    from forum import extensions

    extensions.register_user_badges(display.merchant_badges)
    extensions.register_thread_api_fields(display.thread_offer_ids)
    extensions.register_thread_panel(display.thread_offer_panel)
    extensions.register_profile_panel(display.profile_merchant_panel)
    extensions.register_thread_view_listener(stats.thread_view_listener)
    extensions.register_thread_list_badges(display.thread_offer_badges)
    extensions.register_composer_section(OfferComposerSection())


def get_thread(thread_id):
    from forum.models import Thread

    thread = Thread.objects.select_related("category").filter(pk=thread_id, deleted_at__isnull=True).first()
    if thread is None:
        raise NotFound(_("No such thread."))
    return thread


def thread_url(thread_id) -> str:
    return reverse("forum:thread_goto", args=[thread_id])


def check_may_post_offer(user, thread) -> None:
    """A verified merchant, in a commerce-enabled category, in their own live thread."""
    from community_commerce import errors

    if not thread.category.commerce_enabled:
        raise NotAllowed(_("Offers can only be posted in deal categories."), code=errors.COMMERCE_DISABLED)
    if thread.author_id != user.pk:
        raise NotAllowed(_("Offers can only be attached to your own threads."), code=errors.NOT_YOUR_THREAD)
    if thread.locked:
        raise NotAllowed(_("This thread is locked."), code="thread_locked")


def get_category(slug):
    from forum.models import Category

    return Category.objects.filter(slug=slug).first()


def find_thread(*, category, title):
    return category.threads.filter(title=title, deleted_at__isnull=True).first()


def start_thread(*, author, category, title, body, check_flood=True):
    from forum.services.posting import start_thread as forum_start_thread

    return forum_start_thread(author=author, category=category, title=title, body=body, check_flood=check_flood)


def label(msgid, params=None) -> dict:
    """A param translated on display too (an offer kind...): pass the English source string
    (and, for a message nested in another, its params)."""
    from forum.messages import label as forum_label

    return forum_label(msgid, params=params)


def post_thread_event(*, thread_id, message="", params=None, text="") -> None:
    """An event line in the thread, written after the current transaction commits.

    ``message``: the English msgid (marked with gettext_noop), ``params`` its JSON values;
    each reader sees it in their own language. ``text``: a final text, shown as it is."""
    from django.db import transaction

    from forum.services.events import post_event

    message, params, text = str(message), dict(params or {}), str(text)
    transaction.on_commit(lambda: post_event(thread_id=thread_id, message=message, params=params, text=text))


def thread_watchers(thread_id) -> list[int]:
    from forum.models import Subscription

    return list(Subscription.objects.filter(thread_id=thread_id).values_list("user_id", flat=True))


def notify_each(*, kind, items) -> None:
    """A notification per (recipient id, message, params, url), after commit, in one insert.
    (recipient id, text, url) items, with a final text, still work."""
    from django.db import transaction

    from forum.services.notifications import notify_each as forum_notify_each

    items = [(item[0], str(item[1]), *item[2:]) for item in items]
    if items:
        transaction.on_commit(lambda: forum_notify_each(kind=kind, items=items))


def deliver_each(*, kind, items) -> None:
    """A notification per (recipient id, message, params, url), written now, in the
    caller's transaction (their emails go after it commits)."""
    from forum.services.notifications import notify_each as forum_notify_each

    if items:
        forum_notify_each(kind=kind, items=items)


def deliver_notification(*, recipients, kind, message="", params=None, text="", url="") -> None:
    """What the notify_members task does: the forum's notification, now."""
    from forum.services.notifications import notify as forum_notify

    forum_notify(recipients=recipients, kind=kind, message=message, params=params, text=text, url=url)


def already_notified(*, kind, urls) -> set[str]:
    """Which of these links members were already notified about (a task delivered twice)."""
    from forum.models import Notification

    return set(Notification.objects.filter(kind=kind, url__in=list(urls)).values_list("url", flat=True))


def notify(*, recipients, kind, message="", params=None, text="", url="", actor=None) -> None:
    """In-app notification and email to each recipient, after commit, in each one's language
    (``message`` + ``params`` as for post_thread_event; or a final ``text``)."""
    from django.db import transaction

    from forum.services.notifications import notify as forum_notify

    recipients = list(recipients)
    message, params, text = str(message), dict(params or {}), str(text)
    if recipients:
        transaction.on_commit(
            lambda: forum_notify(
                recipients=recipients, kind=kind, message=message, params=params, text=text, url=url, actor=actor
            )
        )
