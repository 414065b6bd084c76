"""The adapter for the forum bundled with this project (the ``forum`` app).

The only module of the plugin that imports the forum. The forum has its own
notifications (with emails and language preferences), thread events stored as
msgid + params, subscriptions, and an extension registry (forum/extensions.py) that
:meth:`BundledForumAdapter.connect` wires to the same code the template tags use.
Commerce modules are imported inside the hooks, never at module level.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Count, Min, Q
from django.db.models.signals import post_delete
from django.urls import reverse
from django.utils.translation import gettext as _

from community_commerce.adapters.base import ForumAdapter, ThreadRef
from community_commerce.errors import NotFound
from forum import extensions, permissions
from forum.models import Category, MemberPreferences, Notification, Post, Subscription, Thread


def _ref(thread) -> ThreadRef:
    return ThreadRef(
        id=thread.pk,
        title=thread.title,
        url=thread.get_absolute_url(),
        author_id=thread.author_id,
        category_id=thread.category_id,
        locked=thread.locked,
    )


# --- hooks of the forum's extension registry (module functions: registered once) -------------


def _thread_panel(request, thread) -> str:
    from community_commerce import display

    return display.thread_offer_panel(request, _ref(thread), commerce_enabled=thread.category.commerce_enabled)


def _thread_viewed(request, thread) -> None:
    from community_commerce.services import stats

    stats.thread_view_listener(request, _ref(thread))


def _thread_deleted(thread) -> None:
    """The forum's moderators deleted the thread (a soft delete, in their transaction)."""
    from community_commerce.adapters import get_adapter

    get_adapter().thread_gone(thread.pk, reason="moderated")


def _thread_row_deleted(sender, instance, **kwargs) -> None:
    """A Thread row was deleted outright (the admin, a script)."""
    from community_commerce.adapters import get_adapter

    get_adapter().thread_gone(instance.pk, reason="deleted")


class _OfferSection(extensions.ComposerSection):
    """The "attach an offer" part of the forum's new-thread form (community_commerce/composer.py)."""

    def render(self, request, category, data, errors) -> str:
        from community_commerce.composer import composer

        return composer.render(request, commerce_enabled=category.commerce_enabled, data=data, errors=errors)

    def validate(self, request, category, data) -> dict[str, list[str]]:
        from community_commerce.composer import composer

        return composer.validate(request, commerce_enabled=category.commerce_enabled, data=data)

    def save(self, request, thread, data) -> dict[str, list[str]]:
        from community_commerce.composer import composer

        return composer.save(request, thread_id=thread.pk, data=data)


class BundledForumAdapter(ForumAdapter):
    def connect(self) -> None:
        from community_commerce import display

        extensions.register_user_badges(display.merchant_badges)
        extensions.register_thread_api_fields(display.thread_offer_ids)
        extensions.register_thread_panel(_thread_panel)
        extensions.register_profile_panel(display.profile_merchant_panel)
        extensions.register_thread_view_listener(_thread_viewed)
        extensions.register_thread_list_badges(display.thread_offer_badges)
        extensions.register_composer_section(_OfferSection())
        extensions.register_thread_deleted_listener(_thread_deleted)
        post_delete.connect(_thread_row_deleted, sender=Thread, dispatch_uid="community_commerce.thread_row_deleted")

    # --- threads ----------------------------------------------------------------------------

    def get_thread(self, thread_id) -> ThreadRef:
        thread = Thread.objects.filter(pk=thread_id, deleted_at__isnull=True).first()
        if thread is None:
            raise NotFound(_("No such thread."))
        return _ref(thread)

    def get_threads(self, thread_ids) -> dict[int, ThreadRef]:
        threads = Thread.objects.filter(pk__in=list(thread_ids), deleted_at__isnull=True)
        return {thread.pk: _ref(thread) for thread in threads}

    def to_thread_ref(self, thread) -> ThreadRef:
        return _ref(thread) if isinstance(thread, Thread) else super().to_thread_ref(thread)

    def thread_url(self, thread_id) -> str:
        return reverse("forum:thread_goto", args=[thread_id])

    def thread_urls(self, thread_ids) -> dict[int, str]:
        return {thread_id: self.thread_url(thread_id) for thread_id in thread_ids}

    def index_url(self) -> str:
        return reverse("forum:index")

    def commerce_enabled(self, category_id) -> bool:
        return Category.objects.filter(pk=category_id, commerce_enabled=True).exists()

    # --- demo data --------------------------------------------------------------------------

    def find_category(self, slug):
        return Category.objects.filter(slug=slug).values_list("pk", flat=True).first()

    def find_thread(self, *, category_id, title) -> ThreadRef | None:
        thread = Thread.objects.filter(category_id=category_id, title=title, deleted_at__isnull=True).first()
        return _ref(thread) if thread else None

    def start_thread(self, *, author, category_id, title, body) -> ThreadRef:
        from forum.services.posting import start_thread

        category = Category.objects.get(pk=category_id)
        return _ref(start_thread(author=author, category=category, title=title, body=body, check_flood=False))

    # --- thread events, watchers, notifications: the forum's own ----------------------------

    def label(self, msgid, params=None) -> dict:
        from forum.messages import label

        return label(msgid, params=params)

    def post_thread_event(self, *, thread_id, message, params=None) -> None:
        from forum.services.events import post_event

        message, params = str(message), dict(params or {})
        transaction.on_commit(lambda: post_event(thread_id=thread_id, message=message, params=params))

    def count_replies(self, windows) -> dict:
        windows = dict(windows)
        if not windows:
            return {}
        threads = {thread_id for thread_id, _since, _until in windows.values()}
        openers = (
            Post.objects.filter(thread_id__in=threads).values("thread_id").annotate(first=Min("id")).values("first")
        )
        replies = Post.objects.filter(thread_id__in=threads, kind=Post.Kind.POST, deleted_at__isnull=True)
        counts = replies.exclude(pk__in=openers).aggregate(
            **{
                f"w{n}": Count("id", filter=Q(thread_id=thread_id, created_at__gte=since, created_at__lt=until))
                for n, (thread_id, since, until) in enumerate(windows.values())
            }
        )
        return {key: counts[f"w{n}"] for n, key in enumerate(windows)}

    def thread_watchers(self, thread_id) -> list[int]:
        return list(Subscription.objects.filter(thread_id=thread_id).values_list("user_id", flat=True))

    def notify(self, *, recipients, kind, message, params=None, url="", actor=None) -> None:
        from forum.services.notifications import notify

        recipients, message, params = list(recipients), str(message), dict(params or {})
        if recipients:
            transaction.on_commit(
                lambda: notify(recipients=recipients, kind=kind, message=message, params=params, url=url, actor=actor)
            )

    def notify_each(self, *, kind, items) -> None:
        from forum.services.notifications import notify_each

        items = [(item[0], str(item[1]), *item[2:]) for item in items]
        if items:
            transaction.on_commit(lambda: notify_each(kind=kind, items=items))

    def deliver_each(self, *, kind, items) -> None:
        from forum.services.notifications import notify_each

        items = list(items)
        if items:
            notify_each(kind=kind, items=items)

    def already_notified(self, *, kind, urls) -> set[str]:
        return set(Notification.objects.filter(kind=kind, url__in=list(urls)).values_list("url", flat=True))

    # --- members ----------------------------------------------------------------------------

    def member_profile_url(self, user) -> str:
        return reverse("forum:profile", args=[user.get_username()])

    def is_moderator(self, user) -> bool:
        return permissions.is_moderator(user)

    def moderator_ids(self) -> list[int]:
        """Staff, superusers, and members granted the forum's moderate_forum permission
        (the Moderators group, or directly)."""
        granted = Permission.objects.filter(codename="moderate_forum", content_type__app_label="forum")
        members = (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(
                Q(is_staff=True)
                | Q(is_superuser=True)
                | Q(groups__permissions__in=granted)
                | Q(user_permissions__in=granted)
            )
        )
        return list(members.values_list("pk", flat=True).distinct())

    def member_language(self, user_ids) -> dict[int, str]:
        languages = dict.fromkeys(user_ids, settings.LANGUAGE_CODE)  # the forum keeps them: not the plugin's record
        chosen = MemberPreferences.objects.filter(user_id__in=list(languages)).exclude(language="")
        languages.update(chosen.values_list("user_id", "language"))
        return languages
