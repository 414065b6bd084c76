"""Test drivers of the adapter contract suite (test_contract.py): how the suite makes data
in one forum and where it reads what that forum shows. One driver per adapter; a forum
that runs under its own settings module (django-machina) adds a driver whose
``available()`` is true only there. Forum modules are imported inside the methods: this
module is imported under every site's settings."""

from django.apps import apps
from django.urls import reverse


def _bundled_forum_installed() -> bool:
    return apps.is_installed("forum") and apps.get_app_config("forum").name == "forum"


class ForumDriver:
    adapter = ""  # the value of COMMUNITY_COMMERCE_FORUM_ADAPTER
    name = ""

    def available(self) -> bool:
        raise NotImplementedError

    def member(self, username, *, email=None):
        from tests import factories

        return factories.user(username, email=email)

    def moderator(self):
        raise NotImplementedError

    def category(self, *, slug, commerce) -> int:
        """A category (forum) where threads can be started; its id."""
        raise NotImplementedError

    def thread(self, *, author, category_id, title, locked=False) -> int:
        """A thread with a first post by ``author``; its id."""
        raise NotImplementedError

    def native_thread(self, thread_id):
        """The forum's own thread object, as its templates have it."""
        raise NotImplementedError

    def delete_paths(self) -> list[str]:
        """The names of the ways the forum deletes a thread (for :meth:`delete`)."""
        raise NotImplementedError

    def delete(self, thread_id, path) -> None:
        raise NotImplementedError

    def watch(self, user, thread_id) -> bool:
        """Make ``user`` follow the thread; False when the forum has no such thing."""
        return False

    def set_language(self, user, language) -> bool:
        """Record the member's language where the adapter's ``member_language`` reads it;
        False when the site keeps none (the adapter then answers the site's default)."""
        return False

    def reply(self, *, thread_id, author, at) -> bool:
        """Post a reply at ``at``; False when the driver cannot (the contract then skips it)."""
        return False

    def notifications_url(self) -> str:
        """The page where a member reads what they were told."""
        raise NotImplementedError


class BundledDriver(ForumDriver):
    adapter = "community_commerce.adapters.bundled.BundledForumAdapter"
    name = "bundled"

    def available(self):
        return _bundled_forum_installed()

    def moderator(self):
        from tests import factories

        return factories.moderator()

    def category(self, *, slug, commerce):
        from tests import factories

        return factories.category(slug=slug, commerce_enabled=commerce).pk

    def thread(self, *, author, category_id, title, locked=False):
        from forum.models import Category
        from tests import factories

        category = Category.objects.get(pk=category_id)
        return factories.thread(author=author, category_=category, title=title, locked=locked).pk

    def native_thread(self, thread_id):
        from forum.models import Thread

        return Thread.objects.select_related("category").get(pk=thread_id)

    def delete_paths(self):
        return ["moderation", "admin"]

    def delete(self, thread_id, path):
        from django.test import Client

        from tests import factories

        client = Client()
        if path == "moderation":
            client.force_login(self.moderator())
            response = client.post(reverse("forum:thread_action", args=[thread_id, "delete"]), {"reason": ""})
        else:
            client.force_login(factories.user(is_staff=True, is_superuser=True))
            response = client.post(reverse("admin:forum_thread_delete", args=[thread_id]), {"post": "yes"})
        assert response.status_code == 302, response.content[:300]

    def watch(self, user, thread_id):
        from forum.models import Thread
        from forum.services import subscriptions

        subscriptions.watch(user=user, thread=Thread.objects.get(pk=thread_id))
        return True

    def reply(self, *, thread_id, author, at):
        from forum.models import Post

        Post.objects.create(thread_id=thread_id, author=author, body="A reply", html="<p>A reply</p>", created_at=at)
        return True

    def set_language(self, user, language):
        from tests import factories

        factories.preferences(user, language=language)
        return True

    def notifications_url(self):
        return reverse("forum:notifications")


class FallbackDriver(BundledDriver):
    """The bundled forum's threads with the plugin's own notices and thread events
    (tests/adapters/fallback.py): the defaults of ForumAdapter, held to the same contract."""

    name = "fallback"

    @property
    def adapter(self):
        from tests.adapters.fallback import PATH

        return PATH

    def notifications_url(self):
        return reverse("community_commerce:notices")


DRIVERS = [BundledDriver(), FallbackDriver()]
