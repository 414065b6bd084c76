"""Test data builders. Plain functions: explicit, and each makes exactly what it says."""

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from forum import markdown
from forum.models import Category, MemberPreferences, Post, Report, Thread
from tests.offer_terms import OFFER_TERMS

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


# --- Commerce: merchants and offers (community_commerce) ----------------------------------------

_member = user  # ``merchant(user=...)`` shadows the builder above


def merchant(user=None, status="verified", *, display_name=None, **extra):
    """A merchant profile (``status``: verified, pending or suspended) for ``user`` or a new member."""
    from community_commerce.models import Merchant

    member = user or _member()
    return Merchant.objects.create(
        user=member,
        display_name=display_name or f"Shop of {member.username}",
        contact=extra.pop("contact", f"{member.username}@example.com"),
        status=status,
        verified_at=timezone.now() if status == "verified" else None,
        **extra,
    )


def merchant_in(state_apps, user=None):
    """A verified merchant written through a migration state's models (tests of old migrations:
    today's Merchant has columns their tables lack). Only ``pk`` and ``user`` are given back."""
    from types import SimpleNamespace

    member = user or _member()
    row = state_apps.get_model("community_commerce", "Merchant").objects.create(
        user_id=member.pk, display_name=f"Shop of {member.username}", contact=f"{member.username}@example.com",
        status="verified", verified_at=timezone.now(),
    )  # fmt: skip
    return SimpleNamespace(pk=row.pk, user=member)


def commerce_thread(merchant_, *, category_=None, **extra):
    """A thread of the merchant's own in a commerce-enabled category."""
    category_ = category_ or category(commerce_enabled=True)
    return thread(author=merchant_.user, category_=category_, title=extra.pop("title", "My deals"), **extra)


def offer(
    kind="flash_sale",
    *,
    merchant_=None,
    thread_=None,
    terms=None,
    starts_at=None,
    ends_at=None,
    stock="default",
    per_user_limit=None,
    title=None,
    currency="EUR",
    **extra,
):
    """An offer stored as post_offer would store it (terms cleaned by their kind), live by default:
    started a minute ago, ending in a day; flash sales and Dutch auctions have 10 units."""
    from community_commerce.kinds import get_kind
    from community_commerce.models import Offer

    merchant_ = merchant_ or merchant()
    thread_ = thread_ or commerce_thread(merchant_)
    now = timezone.now()
    starts_at = starts_at or now - timezone.timedelta(minutes=1)
    ends_at = ends_at or now + timezone.timedelta(days=1)
    if stock == "default":
        stock = {"group_buy": None, "lowest_unique": 1}.get(kind, 10)
    live = starts_at <= now
    return Offer.objects.create(
        kind=kind,
        thread_id=thread_.pk,
        merchant=merchant_,
        title=title or f"A {kind.replace('_', ' ')}",
        currency=currency,
        starts_at=starts_at,
        ends_at=ends_at,
        stock=stock,
        per_user_limit=per_user_limit,
        terms=get_kind(kind).clean_terms(terms if terms is not None else OFFER_TERMS[kind], currency=currency),
        status=extra.pop("status", Offer.Status.LIVE if live else Offer.Status.SCHEDULED),
        opened_at=now if live else None,
        **extra,
    )
