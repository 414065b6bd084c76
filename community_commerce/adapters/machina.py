"""The adapter for django-machina 1.3 (https://github.com/ellmetha/django-machina).

Threads are machina's topics; a thread's category is the topic's forum. Which forums take
offers is the setting ``COMMUNITY_COMMERCE_MACHINA_DEALS_FORUMS``: forum ids or slugs, each
with every forum below it in machina's tree. machina has no notifications and no thread
events, so the plugin's own serve it (the defaults of ``ForumAdapter``: the notices page
and emails, events in the offer panel, shown in each reader's language), and no member
language, so the plugin's own (``MemberLanguage``, kept by its ``set_language`` view)
serves that too. The page pieces come through the template overrides in
``community_commerce.MACHINA_TEMPLATE_DIR``. A topic machina deletes (moderation, the only
post deleted, its poster or forum deleted) reaches ``thread_gone`` through ``post_delete``.

The only module of the plugin that imports machina; models are looked up through machina's
own ``get_model``, so a site that overrides machina's models gets its own.
"""

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.signals import post_delete
from django.urls import reverse
from django.utils.translation import gettext as _

from community_commerce.adapters.base import ForumAdapter, ThreadRef
from community_commerce.conf import conf
from community_commerce.errors import NotFound


def _model(app_label, name):
    from machina.core.db.models import get_model

    return get_model(app_label, name)


def _topic_url(topic) -> str:
    forum = topic.forum
    return reverse(
        "forum_conversation:topic",
        kwargs={"forum_slug": forum.slug, "forum_pk": forum.pk, "slug": topic.slug, "pk": topic.pk},
    )


def _gone_topic_url(topic_id) -> str:
    return reverse(
        "forum_conversation:topic", kwargs={"forum_slug": "forum", "forum_pk": 0, "slug": "topic", "pk": topic_id}
    )


def _ref(topic) -> ThreadRef:
    """A topic with its forum loaded (select_related): no query."""
    return ThreadRef(
        id=topic.pk,
        title=topic.subject,
        url=_topic_url(topic),
        author_id=topic.poster_id,
        category_id=topic.forum_id,
        locked=topic.status == topic.TOPIC_LOCKED,
    )


def _topic_deleted(sender, instance, **kwargs) -> None:
    """machina deleted a topic: moderation, its only post deleted, its poster or its forum
    deleted. Which of them is not known here, so the reason is "deleted"."""
    from community_commerce.adapters import get_adapter

    get_adapter().thread_gone(instance.pk, reason="deleted")


class MachinaAdapter(ForumAdapter):
    def connect(self) -> None:
        post_delete.connect(
            _topic_deleted,
            sender=_model("forum_conversation", "Topic"),
            dispatch_uid="community_commerce.topic_deleted",
        )

    def _topics(self):
        """Topics members can read: approved ones (machina hides the others from members)."""
        return _model("forum_conversation", "Topic").approved_objects.select_related("forum")

    # --- threads ----------------------------------------------------------------------------

    def get_thread(self, thread_id) -> ThreadRef:
        topic = self._topics().filter(pk=thread_id).first()
        if topic is None:
            raise NotFound(_("No such thread."))
        return _ref(topic)

    def get_threads(self, thread_ids) -> dict[int, ThreadRef]:
        return {topic.pk: _ref(topic) for topic in self._topics().filter(pk__in=list(thread_ids))}

    def to_thread_ref(self, thread) -> ThreadRef:
        if isinstance(thread, _model("forum_conversation", "Topic")):
            return _ref(thread)
        return super().to_thread_ref(thread)

    def thread_url(self, thread_id) -> str:
        return self.thread_urls([thread_id])[thread_id]

    def thread_urls(self, thread_ids) -> dict[int, str]:
        """The topics' pages, in one query. A topic that is gone (its offers' links stay in
        notices and the API) gets a URL of the same shape, which machina answers with 404:
        its topic view finds topics by id alone."""
        ids = set(thread_ids)
        found = {ref.id: ref.url for ref in self.get_threads(ids).values()}
        gone = {i: _gone_topic_url(i) for i in ids - found.keys()}
        return found | gone

    def index_url(self) -> str:
        return reverse("forum:index")

    # --- who may sell where -----------------------------------------------------------------

    def commerce_enabled(self, category_id) -> bool:
        """Whether the forum is one of COMMUNITY_COMMERCE_MACHINA_DEALS_FORUMS or lies below
        one (machina's MPTT tree: an ancestor's lft/rght enclose it). One query."""
        chosen = conf.MACHINA_DEALS_FORUMS
        ids = [int(c) for c in chosen if isinstance(c, int) or str(c).isdigit()]
        slugs = [str(c) for c in chosen if not (isinstance(c, int) or str(c).isdigit())]
        if category_id is None or not (ids or slugs):
            return False
        Forum = _model("forum", "Forum")
        deals_above = Forum.objects.filter(
            Q(pk__in=ids) | Q(slug__in=slugs),
            tree_id=OuterRef("tree_id"),
            lft__lte=OuterRef("lft"),
            rght__gte=OuterRef("rght"),
        )
        return Forum.objects.filter(Exists(deals_above), pk=category_id).exists()

    # --- demo data --------------------------------------------------------------------------

    def find_category(self, slug):
        Forum = _model("forum", "Forum")
        return Forum.objects.filter(slug=slug, type=Forum.FORUM_POST).values_list("pk", flat=True).first()

    def find_thread(self, *, category_id, title) -> ThreadRef | None:
        topic = self._topics().filter(forum_id=category_id, subject=title).order_by("pk").first()
        return _ref(topic) if topic else None

    def start_thread(self, *, author, category_id, title, body) -> ThreadRef:
        """What machina's topic form does: the topic, then its first post (whose save
        updates the topic's and the forum's trackers)."""
        Topic, Post = _model("forum_conversation", "Topic"), _model("forum_conversation", "Post")
        topic = Topic.objects.create(
            forum_id=category_id, poster=author, subject=title, type=Topic.TOPIC_POST,
            status=Topic.TOPIC_UNLOCKED, approved=True,
        )  # fmt: skip
        Post.objects.create(topic=topic, poster=author, subject=title, content=body, approved=True)
        return self.get_thread(topic.pk)

    def count_replies(self, windows) -> dict:
        """Approved posts after each topic's first, in one query."""
        windows = dict(windows)
        if not windows:
            return {}
        Topic, Post = _model("forum_conversation", "Topic"), _model("forum_conversation", "Post")
        topics = {thread_id for thread_id, _since, _until in windows.values()}
        openers = Topic.objects.filter(pk__in=topics).values("first_post_id")
        replies = Post.objects.filter(topic_id__in=topics, approved=True).exclude(pk__in=openers)
        counts = replies.aggregate(
            **{
                f"w{n}": Count("id", filter=Q(topic_id=thread_id, created__gte=since, created__lt=until))
                for n, (thread_id, since, until) in enumerate(windows.values())
            }
        )
        return {key: counts[f"w{n}"] for n, key in enumerate(windows)}

    # --- watchers, members ------------------------------------------------------------------

    def thread_watchers(self, thread_id) -> list[int]:
        """The topic's subscribers (machina's "Subscribe" button)."""
        Topic = _model("forum_conversation", "Topic")
        return list(Topic.subscribers.through.objects.filter(topic_id=thread_id).values_list("user_id", flat=True))

    def member_display_name(self, user) -> str:
        from machina.apps.forum_member.shortcuts import get_forum_member_display_name

        return get_forum_member_display_name(user)

    def member_profile_url(self, user) -> str:
        return reverse("forum_member:profile", kwargs={"pk": user.pk})
