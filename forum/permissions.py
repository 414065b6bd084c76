"""Who may do what. Pure checks; services raise, views hide buttons."""

from forum.models import Category


def is_moderator(user) -> bool:
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.has_perm("forum.moderate_forum")


def can_start_thread(user, category) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return category.who_can_start == Category.StartPolicy.MEMBERS or is_moderator(user)


def can_reply(user, thread) -> bool:
    if not user.is_authenticated or not user.is_active or thread.is_deleted:
        return False
    return not thread.locked or is_moderator(user)


def can_edit(user, post) -> bool:
    if not user.is_authenticated or post.kind != post.Kind.POST:
        return False
    if is_moderator(user):
        return True
    return post.author_id == user.pk and not post.is_deleted and not post.thread.locked
