"""The machina site's demo forum: a tree with a deals forum, the permissions machina needs
rows for (visitors reading, moderators moderating), the demo members and a few topics.
Every function is safe to run again; the tests use the same ones."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from machina.apps.forum_permission.shortcuts import assign_perm
from machina.core.db.models import get_model

from examples.machina_site.demo_accounts import DEMO_PASSWORD, MEMBERS

Forum = get_model("forum", "Forum")
ForumPermission = get_model("forum_permission", "ForumPermission")
UserForumPermission = get_model("forum_permission", "UserForumPermission")

VISITOR_PERMISSIONS = ["can_see_forum", "can_read_forum"]
# Global per-user rows replace MACHINA_DEFAULT_AUTHENTICATED_USER_FORUM_PERMISSIONS for that
# user, so a moderator's rows repeat a member's.
MODERATOR_PERMISSIONS = [
    "can_see_forum", "can_read_forum", "can_start_new_topics", "can_reply_to_topics", "can_edit_own_posts",
    "can_delete_own_posts", "can_post_without_approval", "can_create_polls", "can_vote_in_polls",
    "can_download_file", "can_attach_file", "can_post_announcements", "can_post_stickies", "can_lock_topics",
    "can_move_topics", "can_edit_posts", "can_delete_posts", "can_approve_posts", "can_reply_to_locked_topics",
]  # fmt: skip

TREE = [
    # (name, slug, description)
    ("General", "general", "Anything about life in the neighbourhood."),
    ("Deals", "deals", "Group-buys, flash sales and Dutch auctions from local merchants."),
]
TOPICS = [
    ("general", "alice", "Street party on the 14th?", "Who is in for a street party on the 14th? I can bring tables."),
    ("general", "bob", "Looking for a reliable plumber", "Our kitchen tap drips. Any recommendations?"),
]


def grant_visitors_reading() -> None:
    """Visitors (not signed in) see and read every forum: machina wants rows for them."""
    for codename in VISITOR_PERMISSIONS:
        UserForumPermission.objects.get_or_create(
            permission=ForumPermission.objects.get(codename=codename), forum=None, user=None,
            anonymous_user=True, authenticated_user=False, defaults={"has_perm": True},
        )  # fmt: skip


def make_moderator(user) -> None:
    for codename in MODERATOR_PERMISSIONS:
        assign_perm(codename, user, forum=None)  # get_or_create of a global per-user row


def forum(name, *, slug=None, parent=None, description="", kind=None):
    """The forum (or category, ``kind=Forum.FORUM_CAT``) called ``name`` under ``parent``;
    machina derives its slug from the name."""
    kind = Forum.FORUM_POST if kind is None else kind
    found = Forum.objects.filter(name=name, parent=parent, type=kind).first()
    return found or Forum.objects.create(name=name, parent=parent, type=kind, description=description)


def member(username, role):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.is_staff = user.is_superuser = role == "staff"
        user.save()
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    if role == "moderator":
        make_moderator(user)
    return user


def load(adapter) -> dict:
    """Members, the tree (a "Neighbourhood" category holding General and Deals) and the
    General topics; the deals come from seed_commerce_demo. Returns the forums by slug."""
    users = {name: member(name, role) for name, role, _note in MEMBERS}
    grant_visitors_reading()
    top = forum("Neighbourhood", kind=Forum.FORUM_CAT, description="Our street, our shops.")
    forums = {slug: forum(name, parent=top, description=text) for name, slug, text in TREE}
    for slug, author, title, body in TOPICS:
        if adapter.find_thread(category_id=forums[slug].pk, title=title) is None:
            adapter.start_thread(author=users[author], category_id=forums[slug].pk, title=title, body=body)
    return forums
