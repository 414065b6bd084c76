"""Forum data. Business rules live in forum.services, not here."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from forum import messages

User = settings.AUTH_USER_MODEL


class Category(models.Model):
    class StartPolicy(models.TextChoices):
        MEMBERS = "members", _("Any member")
        MODERATORS = "moderators", _("Moderators only")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    commerce_enabled = models.BooleanField(
        _("commerce enabled"), default=False, help_text=_("Verified merchants may run offers here.")
    )
    who_can_start = models.CharField(
        _("who may start threads"), max_length=20, choices=StartPolicy, default=StartPolicy.MEMBERS
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("forum:category", args=[self.slug])


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user):
        from forum.permissions import is_moderator

        return self if is_moderator(user) else self.filter(deleted_at__isnull=True)

    def listing_order(self):
        return self.order_by("-pinned", "-last_activity_at", "-id")


class Thread(models.Model):
    category = models.ForeignKey(Category, models.PROTECT, related_name="threads")
    title = models.CharField(_("title"), max_length=200)
    author = models.ForeignKey(User, models.SET_NULL, null=True, related_name="forum_threads")
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    last_poster = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    reply_count = models.PositiveIntegerField(default=0)
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(_("locked"), default=False)
    locked_reason = models.CharField(_("lock reason"), max_length=300, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ThreadQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["category", "-pinned", "-last_activity_at"], name="forum_thread_listing")]
        permissions = [("moderate_forum", _("Can moderate the forum"))]
        verbose_name = _("thread")
        verbose_name_plural = _("threads")

    def __str__(self):
        return self.title

    @property
    def slug(self):
        return slugify(self.title, allow_unicode=True) or "thread"

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    def get_absolute_url(self):
        return reverse("forum:thread", args=[self.pk, self.slug])


class PostQuerySet(models.QuerySet):
    def visible_to(self, user):
        from forum.permissions import is_moderator

        return self if is_moderator(user) else self.filter(deleted_at__isnull=True)


class Post(models.Model):
    class Kind(models.TextChoices):
        POST = "post", _("Post")
        EVENT = "event", _("Thread event")

    thread = models.ForeignKey(Thread, models.CASCADE, related_name="posts")
    author = models.ForeignKey(User, models.SET_NULL, null=True, related_name="forum_posts")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.POST)
    body = models.TextField(_("body"))  # an event's msgid (forum.messages), a post's Markdown
    params = models.JSONField(default=dict, blank=True)  # an event's params
    html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    edit_count = models.PositiveIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["thread", "id"], name="forum_post_thread"),
            models.Index(fields=["author", "-created_at"], name="forum_post_author_recent"),
        ]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self):
        return f"#{self.pk} in {self.thread_id}"

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    def get_absolute_url(self):
        return f"{reverse('forum:thread_goto', args=[self.thread_id])}?post={self.pk}"


class PostRevision(models.Model):
    """The text of a post before an edit: the edit history, oldest first."""

    post = models.ForeignKey(Post, models.CASCADE, related_name="revisions")
    body = models.TextField()
    html = models.TextField()
    editor = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]


class Subscription(models.Model):
    user = models.ForeignKey(User, models.CASCADE, related_name="forum_subscriptions")
    thread = models.ForeignKey(Thread, models.CASCADE, related_name="subscriptions")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="forum_subscription_once")]


class Notification(models.Model):
    recipient = models.ForeignKey(User, models.CASCADE, related_name="forum_notifications")
    actor = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)  # the English rendering (emails, admin, rows from before messages)
    message = models.TextField(blank=True)  # the msgid, rendered in the reader's language (forum.messages)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    thread = models.ForeignKey(Thread, models.CASCADE, null=True, blank=True, related_name="+")
    post = models.ForeignKey(Post, models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="forum_notification_unread")]

    def __str__(self):
        return self.text

    @property
    def display_text(self) -> str:
        """The notification in the current language; an old row without a message keeps its text."""
        if not self.message:
            return self.text
        return messages.render(self.message, self.params)


class MemberPreferences(models.Model):
    user = models.OneToOneField(User, models.CASCADE, primary_key=True, related_name="forum_preferences")
    email_notifications = models.BooleanField(_("email me about replies and mentions"), default=True)
    language = models.CharField(max_length=15, blank=True)  # blank: the site's default; set by the language switch


class PostingClock(models.Model):
    """When a member last posted, for flood control. One row a member, moved forward by one
    conditional UPDATE, so two posts sent at the same moment cannot both pass the check."""

    user = models.OneToOneField(User, models.CASCADE, primary_key=True, related_name="+")
    last_posted_at = models.DateTimeField()


class Report(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")
        DISMISSED = "dismissed", _("Dismissed")

    post = models.ForeignKey(Post, models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(User, models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"), max_length=1000)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"], condition=Q(status="open"), name="forum_report_open_once"
            )
        ]


class ModerationLog(models.Model):
    """Who did what to which thread or post, and why. Append-only."""

    actor = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=30)
    thread = models.ForeignKey(Thread, models.CASCADE, null=True, blank=True, related_name="+")
    post = models.ForeignKey(Post, models.CASCADE, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
