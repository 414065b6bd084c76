"""What the commerce plugin needs from a forum, as one documented class.

To install the plugin into another forum, subclass :class:`ForumAdapter`, implement the
methods marked *required*, override any other whose default does not suit, and name the
class in ``COMMUNITY_COMMERCE_FORUM_ADAPTER``. ``adapters/bundled.py`` is a complete
example. Threads travel through the plugin as :class:`ThreadRef` values and plain ids;
the plugin never holds a forum model or a foreign key to one (offers store ``thread_id``).

The defaults serve a forum that has no notifications and no thread events of its own:
the plugin then keeps its own notices (an in-app list at ``community_commerce:notices``
and emails through Celery in each member's language) and shows the thread events in
the offer panel. An adapter whose forum has them overrides those methods.

This module imports nothing of the plugin at module level but its errors: the plugin
imports the adapter, never the other way round. What the defaults need is imported
where it is used.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from community_commerce import errors
from community_commerce.errors import NotAllowed, NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThreadRef:
    """A forum thread as commerce sees it. ``url`` is where readers find it now;
    ``category_id`` is the id of whatever groups threads in that forum (a category,
    a machina forum...); ``author_id`` is the user id of whoever started it."""

    id: int
    title: str
    url: str
    author_id: int | None
    category_id: int | None
    locked: bool = False


class ForumAdapter:
    """The base adapter. Methods without a default raise NotImplementedError."""

    # --- wiring -----------------------------------------------------------------------------

    def connect(self) -> None:
        """Called once at start-up (the plugin's AppConfig.ready): register the plugin's
        hooks with the forum (page extensions, signals: a deleted thread must reach
        :meth:`thread_gone`). Must be safe to call twice (use dispatch_uid and the like).
        A forum that shows the plugin through template tags only may leave it empty."""

    # --- threads ----------------------------------------------------------------------------

    def get_thread(self, thread_id) -> ThreadRef:
        """*Required.* The thread members can read, or ``NotFound`` (errors.NotFound)
        when it does not exist, is deleted or is hidden from members."""
        raise NotImplementedError

    def get_threads(self, thread_ids) -> dict[int, ThreadRef]:
        """Many threads at once, ``{id: ThreadRef}``; missing ones are left out. Override
        with one query: pages of offers and notices ask for a whole page at once."""
        found = {}
        for thread_id in set(thread_ids):
            try:
                found[thread_id] = self.get_thread(thread_id)
            except NotFound:
                continue
        return found

    def to_thread_ref(self, thread) -> ThreadRef:
        """What a forum's template has in hand (a ThreadRef, a thread id, or the forum's
        own thread object) as a ThreadRef. Override to turn the forum's own object into
        one without a query; the default handles ThreadRefs and ids."""
        if isinstance(thread, ThreadRef):
            return thread
        if isinstance(thread, int) or (isinstance(thread, str) and thread.isascii() and thread.isdigit()):
            return self.get_thread(int(thread))
        raise TypeError(f"{type(self).__name__} cannot read a thread from {type(thread).__name__}")

    def thread_url(self, thread_id) -> str:
        """Where readers find the thread (a path or a full URL). Called per offer on single
        pages; cheap is better (no query if the forum's URLs allow it). A thread that is
        gone may give a URL that answers 404."""
        return self.get_thread(thread_id).url

    def thread_urls(self, thread_ids) -> dict[int, str]:
        """``{id: url}`` for a page of threads; the default asks :meth:`get_threads` once."""
        return {ref.id: ref.url for ref in self.get_threads(thread_ids).values()}

    def index_url(self) -> str:
        """The forum's front page (breadcrumbs of the plugin's pages)."""
        return "/"

    # --- who may sell where -----------------------------------------------------------------

    def commerce_enabled(self, category_id) -> bool:
        """*Required.* Whether offers may be posted in threads of this category (forum):
        a flag of the forum's own, or a setting of the adapter."""
        raise NotImplementedError

    def check_may_post_offer(self, user, thread: ThreadRef) -> None:
        """Raise ``NotAllowed`` unless ``user`` may attach an offer to ``thread``: a category
        with commerce (code ``commerce_disabled``), the member's own thread
        (``not_your_thread``), not locked (``thread_locked``). Whether the member is a
        verified merchant is the plugin's own check, made before this one."""
        if not self.commerce_enabled(thread.category_id):
            raise NotAllowed(_("Offers can only be posted in deal categories."), code=errors.COMMERCE_DISABLED)
        if thread.author_id != user.pk:
            raise NotAllowed(_("Offers can only be attached to your own threads."), code=errors.NOT_YOUR_THREAD)
        if thread.locked:
            raise NotAllowed(_("This thread is locked."), code=errors.THREAD_LOCKED)

    # --- the demo data (manage.py seed_commerce_demo) ---------------------------------------

    def find_category(self, slug):
        """The id of the category (forum) with this slug, or None. Used by the demo data."""
        raise NotImplementedError

    def find_thread(self, *, category_id, title) -> ThreadRef | None:
        """A live thread of that category with exactly this title, or None (demo data)."""
        raise NotImplementedError

    def start_thread(self, *, author, category_id, title, body) -> ThreadRef:
        """Start a thread as ``author`` with a first post ``body`` (demo data: no flood
        control, no notifications needed)."""
        raise NotImplementedError

    # --- thread events ----------------------------------------------------------------------

    def label(self, msgid, params=None) -> dict:
        """A param of a message that is itself translated on display (an offer's kind, a
        status message inside a longer one), in the shape the forum's renderer reads."""
        from community_commerce import messages

        return messages.label(msgid, params)

    def post_thread_event(self, *, thread_id, message, params=None) -> None:
        """A one-line event in the thread ("Flash sale is live: Tea"), written after the
        current transaction commits. ``message`` is an English msgid (marked with
        gettext_noop), ``params`` its JSON values: store both and render them in each
        reader's language. The default keeps the event in the plugin, and the offer panel
        lists it; a forum with a place for such lines overrides this."""
        from community_commerce.services import thread_events

        message, params = str(message), dict(params or {})
        transaction.on_commit(
            lambda: thread_events.post(thread_id=thread_id, message=message, params=params), robust=True
        )

    @property
    def events_in_panel(self) -> bool:
        """True when thread events are the plugin's own (the default post_thread_event),
        so the offer panel shows them."""
        return type(self).post_thread_event is ForumAdapter.post_thread_event

    def thread_watchers(self, thread_id) -> list[int]:
        """User ids of the members following the thread (told when an offer opens).
        Default: nobody beyond those who asked to be reminded."""
        return []

    def count_replies(self, windows) -> dict:
        """Replies posted in threads between two moments, for the merchant's participation
        report: ``windows`` is ``{key: (thread_id, since, until)}``, the answer ``{key: count}``.
        A key left out is "not known" (shown as such). Override with one query; the default
        knows nothing."""
        return {}

    # --- notifications (default: the plugin's own notices, services/notices.py) -------------

    def notify(self, *, recipients, kind, message, params=None, url="", actor=None) -> None:
        """Tell each recipient (user ids or users; the actor left out), after the current
        transaction commits, in the app and by email, each in their own language:
        ``message`` is an English msgid, ``params`` its values, ``url`` where to look."""
        from community_commerce.services import notices

        actor_id = getattr(actor, "pk", actor)
        ids = [i for i in dict.fromkeys(getattr(r, "pk", r) for r in recipients) if i and i != actor_id]
        items = [(i, str(message), dict(params or {}), url) for i in ids]
        if items:
            transaction.on_commit(lambda: notices.create(kind=kind, items=items))

    def notify_each(self, *, kind, items) -> None:
        """One notification per ``(recipient id, msgid, params, url)`` item, after commit,
        in one insert (thousands of buyers of a group-buy)."""
        from community_commerce.services import notices

        items = list(items)
        if items:
            transaction.on_commit(lambda: notices.create(kind=kind, items=items))

    def deliver_each(self, *, kind, items) -> None:
        """As :meth:`notify_each`, but written now, inside the caller's transaction (the
        sweeper marks claims told and writes their notices atomically); emails may go
        after commit."""
        from community_commerce.services import notices

        notices.create(kind=kind, items=list(items))

    def already_notified(self, *, kind, urls) -> set[str]:
        """Which of these ``urls`` members were already notified about with this ``kind``
        (a task delivered twice tells nobody twice)."""
        from community_commerce.services import notices

        return notices.already_sent(kind=kind, urls=urls)

    # --- members ----------------------------------------------------------------------------

    def member_display_name(self, user) -> str:
        """The member's name as the forum shows it."""
        return user.get_username()

    def member_profile_url(self, user) -> str:
        """The member's profile page in the forum, or "" when it has none."""
        return ""

    def member_language(self, user_ids) -> dict[int, str]:
        """``{user id: language code}`` for what is written to members later (emails):
        the language each one last chose, the site's default when unknown. Default: the
        plugin's own record, kept when a member switches language through the plugin's
        ``set_language`` view (community_commerce.views.language), for forums that keep none."""
        from community_commerce.services import languages

        return languages.of(user_ids)

    def is_moderator(self, user) -> bool:
        """Whether the member moderates the forum: moderators hide abusive rating comments and,
        with the site's staff, handle disputes between buyers and merchants. Default: Django staff."""
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)

    def moderator_ids(self) -> list[int]:
        """User ids of everyone :meth:`is_moderator` says yes to (told of a new dispute).
        Default: the active staff."""
        from django.contrib.auth import get_user_model

        return list(get_user_model().objects.filter(is_active=True, is_staff=True).values_list("pk", flat=True))

    # --- a thread that is gone --------------------------------------------------------------

    def thread_gone(self, thread_id, *, reason) -> int:
        """Report that the forum deleted a thread: call it from the forum's own delete
        signal or hook, inside the delete's transaction. Each offer of the thread that is
        not final is cancelled with ``reason`` ("moderated": removed by moderators,
        "deleted": deleted outright; see community_commerce.reasons), its commitments
        released, its open orders cancelled and its buyers and merchant told. Safe to
        call twice. A failure is logged, never raised: the forum's delete goes on.
        Returns how many offers were cancelled."""
        from community_commerce.services.thread_gone import thread_gone

        try:
            with transaction.atomic():
                return thread_gone(thread_id=thread_id, reason=reason)
        except Exception:
            log.exception("cancelling the offers of deleted thread %s failed", thread_id)
            return 0
