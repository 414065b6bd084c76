"""Demo data for `make run`: members, a moderator, categories, threads with replies.

Idempotent: run it any number of times and there is still one of each thing.
"""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from forum import markdown
from forum.demo_accounts import DEMO_PASSWORD, MEMBERS
from forum.models import Category, Post, Thread
from forum.services import subscriptions

CATEGORIES = [
    ("announcements", "Announcements", "News from the forum team.", "moderators", False),
    ("general", "General", "Anything about life in the neighbourhood.", "members", False),
    ("help", "Help & recommendations", "Ask for a plumber, a babysitter, a good bakery.", "members", False),
    ("deals", "Deals", "Group-buys, flash sales and auctions from local merchants.", "members", True),
]

THREADS = [
    (
        "announcements",
        "mod",
        "Welcome to the neighbourhood forum",
        "Hello everyone! This is **our** forum. Please be kind, stay on topic and use "
        "*Report* on any post that breaks the rules.\n\n- Markdown works\n- `@name` mentions a member",
        [],
        True,
    ),
    (
        "general",
        "alice",
        "Street party on the 14th?",
        "Who is in for a street party on the 14th? I can bring tables and chairs.",
        [
            ("bob", "Count me in! I'll bring the barbecue. @alice do we need a permit?"),
            ("alice", "> do we need a permit?\n\nYes, I asked the council: it is free if we apply a week ahead."),
            ("greengrocer", "I can bring fruit for everyone :)"),
        ],
        False,
    ),
    (
        "help",
        "bob",
        "Looking for a reliable plumber",
        "Our kitchen tap drips. Any recommendations for a plumber who shows up on time?",
        [("alice", "We used *Mario's Plumbing* last spring: on time and fair prices.")],
        False,
    ),
    (
        "deals",
        "greengrocer",
        "Fresh produce from the corner shop",
        "Hi neighbours, I run the greengrocer on the corner. Weekly deals will show up here.",
        [("bob", "Great to see you here!")],
        False,
    ),
]


class Command(BaseCommand):
    help = "Load the demo members, categories and threads (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {name: self._member(name, role) for name, role, _note in MEMBERS}
        categories = {}
        for position, (slug, name, description, who, commerce) in enumerate(CATEGORIES):
            categories[slug], _ = Category.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "description": description,
                    "position": position,
                    "who_can_start": who,
                    "commerce_enabled": commerce,
                },
            )
        for slug, author, title, body, replies, pinned in THREADS:
            if Thread.objects.filter(category=categories[slug], title=title).exists():
                continue
            self._thread(categories[slug], users[author], title, body, [(users[u], b) for u, b in replies], pinned)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _member(self, username, role):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = role == "staff"
            user.save()
        EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        if role == "moderator":
            group, _ = Group.objects.get_or_create(name="Moderators")
            group.permissions.add(Permission.objects.get(codename="moderate_forum", content_type__app_label="forum"))
            user.groups.add(group)
        return user

    def _thread(self, category, author, title, body, replies, pinned):
        start = timezone.now() - timezone.timedelta(hours=len(replies) + 1)
        thread = Thread.objects.create(
            category=category, title=title, author=author, created_at=start, last_activity_at=start, pinned=pinned
        )
        for i, (who, text) in enumerate([(author, body), *replies]):
            at = start + timezone.timedelta(minutes=37 * i)
            Post.objects.create(thread=thread, author=who, body=text, html=markdown.render(text).html, created_at=at)
            subscriptions.watch(user=who, thread=thread)
            Thread.objects.filter(pk=thread.pk).update(last_activity_at=at, last_poster=who)
        Thread.objects.filter(pk=thread.pk).update(reply_count=F("reply_count") + len(replies))
