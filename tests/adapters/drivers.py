"""Test drivers of the adapter contract suite (test_contract.py): how the suite makes data
in one forum and where it reads what that forum shows. One driver per adapter; a forum
that runs under its own settings module (django-machina) adds a driver whose
``available()`` is true only there. Forum modules are imported inside the methods: this
module is imported under every site's settings."""

import itertools

from django.apps import apps
from django.urls import reverse

PASSWORD = "test-pass-123!"  # tests/factories.py's, for forums whose members it cannot make
_moderators = itertools.count(1)


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


class MachinaDriver(ForumDriver):
    """django-machina 1.3 (examples/machina_site, run by tests/machina): topics in forums.
    A forum that takes offers is put under the category "Market", which the test settings
    name in COMMUNITY_COMMERCE_MACHINA_DEALS_FORUMS (forums below a named one take offers)."""

    adapter = "community_commerce.adapters.machina.MachinaAdapter"
    name = "machina"
    MARKET = "Market"

    def available(self):
        return apps.is_installed("machina.apps.forum")

    def member(self, username, *, email=None):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.create_user(
            username=username, email=email or f"{username}@example.com", password=PASSWORD
        )

    def moderator(self):
        from examples.machina_site import demo

        user = self.member(f"moderator{next(_moderators)}")
        demo.make_moderator(user)
        return user

    def category(self, *, slug, commerce):
        from examples.machina_site import demo

        demo.grant_visitors_reading()
        parent = demo.forum(self.MARKET, kind=demo.Forum.FORUM_CAT) if commerce else None
        forum = demo.forum(slug, parent=parent)
        assert forum.slug == slug, forum.slug
        return forum.pk

    def thread(self, *, author, category_id, title, locked=False):
        from machina.core.db.models import get_model

        Topic, Post = get_model("forum_conversation", "Topic"), get_model("forum_conversation", "Post")
        status = Topic.TOPIC_LOCKED if locked else Topic.TOPIC_UNLOCKED
        topic = Topic.objects.create(forum_id=category_id, poster=author, subject=title, type=Topic.TOPIC_POST,
                                     status=status, approved=True)  # fmt: skip
        Post.objects.create(topic=topic, poster=author, subject=title, content="First post", approved=True)
        return topic.pk

    def native_thread(self, thread_id):
        from machina.core.db.models import get_model

        return get_model("forum_conversation", "Topic").objects.select_related("forum").get(pk=thread_id)

    def delete_paths(self):
        return ["moderation", "only_post"]

    def delete(self, thread_id, path):
        """Through machina's own views: a moderator deletes the topic, or deletes its only
        post (machina then deletes the topic)."""
        from django.test import Client

        topic = self.native_thread(thread_id)
        client = Client()
        client.force_login(self.moderator())
        if path == "moderation":
            url = reverse("forum_moderation:topic_delete", kwargs={"slug": topic.slug, "pk": topic.pk})
        else:
            url = reverse("forum_conversation:post_delete", kwargs={
                "forum_slug": topic.forum.slug, "forum_pk": topic.forum_id, "topic_slug": topic.slug,
                "topic_pk": topic.pk, "pk": topic.first_post_id})  # fmt: skip
        response = client.post(url)
        assert response.status_code == 302, response.content[:300]

    def watch(self, user, thread_id):
        self.native_thread(thread_id).subscribers.add(user)
        return True

    def reply(self, *, thread_id, author, at):
        from machina.core.db.models import get_model

        Post = get_model("forum_conversation", "Post")
        post = Post.objects.create(topic_id=thread_id, poster=author, subject="Re", content="A reply", approved=True)
        Post.objects.filter(pk=post.pk).update(created=at)
        return True

    def set_language(self, user, language):
        """Through the language form, as a member switches (the plugin keeps the choice)."""
        from django.test import Client

        client = Client()
        client.force_login(user)
        assert client.post(reverse("set_language"), {"language": language, "next": "/"}).status_code == 302
        return True

    def notifications_url(self):
        return reverse("community_commerce:notices")


DRIVERS = [BundledDriver(), FallbackDriver(), MachinaDriver()]
