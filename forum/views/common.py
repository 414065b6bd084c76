"""Small helpers shared by the forum's views."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from forum.errors import ForumError
from forum.models import Post, Thread


def get_thread(request, pk) -> Thread:
    """The thread if this user may see it (moderators see deleted ones), else 404."""
    qs = Thread.objects.visible_to(request.user).select_related("category", "author")
    return get_object_or_404(qs, pk=pk)


def get_post(request, pk) -> Post:
    post = get_object_or_404(Post.objects.visible_to(request.user).select_related("thread", "author"), pk=pk)
    if post.thread.is_deleted and not Thread.objects.visible_to(request.user).filter(pk=post.thread_id).exists():
        raise Http404
    return post


def add_error(form, exc: ForumError) -> None:
    """Show a domain error on the form: on its fields when it names them."""
    if exc.fields:
        for field, messages in exc.fields.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(None, exc.message)
