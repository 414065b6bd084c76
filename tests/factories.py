"""Test data builders. Plain functions: explicit, and each makes exactly what it says."""

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from forum import markdown
from forum.models import Category, MemberPreferences, Post, Report, Thread

_seq = itertools.count(1)
PASSWORD = "test-pass-123!"


def user(username=None, *, email=None, joined_days_ago=30, **extra):
    n = next(_seq)
    username = username or f"member{n}"
    member = get_user_model().objects.create_user(
        username=username, email=email or f"{username}@example.com", password=PASSWORD, **extra
    )
    member.date_joined = timezone.now() - timezone.timedelta(days=joined_days_ago)
    member.save(update_fields=["date_joined"])
    return member


def moderator(username=None):
    member = user(username)
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(Permission.objects.get(codename="moderate_forum"))
    member.groups.add(group)
    return get_user_model().objects.get(pk=member.pk)  # fresh: no stale permission cache


def staff(username=None):
    return user(username, is_staff=True)


def category(name=None, **extra):
    n = next(_seq)
    name = name or f"Category {n}"
    return Category.objects.create(name=name, slug=extra.pop("slug", f"category-{n}"), **extra)


def thread(*, author=None, category_=None, title="A thread about things", body="First post", **extra):
    author = author or user()
    category_ = category_ or category()
    t = Thread.objects.create(category=category_, title=title, author=author, last_poster=author, **extra)
    post(thread_=t, author=author, body=body)
    return t


def post(*, thread_, author=None, body="A reply", bump=False):
    author = author or user()
    p = Post.objects.create(thread=thread_, author=author, body=body, html=markdown.render(body).html)
    if bump:
        Thread.objects.filter(pk=thread_.pk).update(reply_count=thread_.posts.count() - 1)
    return p


def preferences(member, **fields):
    """The member's forum preferences (e.g. ``email_notifications=False``)."""
    prefs, _ = MemberPreferences.objects.update_or_create(user=member, defaults=fields)
    return prefs


def report(*, post_, reporter=None, reason="Spam"):
    return Report.objects.create(post=post_, reporter=reporter or user(), reason=reason)
