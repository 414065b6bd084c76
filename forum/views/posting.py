"""Writing: new thread, reply (htmx or plain POST), edit, edit history."""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from forum import extensions
from forum.errors import ForumError
from forum.forms import EditPostForm, ReplyForm, ThreadForm
from forum.models import Category
from forum.permissions import can_edit, can_start_thread
from forum.services import posting
from forum.views.common import add_error, get_post, get_thread


@login_required
def new_thread(request, slug):
    """The thread form, with the sections other apps add (an offer): every part is
    checked before anything is saved, and the thread and its sections are saved
    in one transaction, so an error anywhere saves nothing and loses no input."""
    category = get_object_or_404(Category, slug=slug)
    if not can_start_thread(request.user, category):
        return render(request, "forum/not_allowed.html", {"category": category}, status=403)
    posted = request.method == "POST"
    form = ThreadForm(request.POST if posted else None)
    sections = extensions.composer_sections()
    section_errors: dict[str, list[str]] = {}
    status = 200
    if posted:
        for section in sections:
            section_errors.update(section.validate(request, category, request.POST))
        if form.is_valid() and not section_errors:
            try:
                with transaction.atomic():
                    thread = posting.start_thread(author=request.user, category=category, **form.cleaned_data)
                    for section in sections:
                        section_errors.update(section.save(request, thread, request.POST))
                    if section_errors:
                        transaction.set_rollback(True)
                if not section_errors:
                    return redirect(thread)
            except ForumError as exc:
                add_error(form, exc)
                status = exc.status
        status = 400 if status == 200 else status
    extra = [
        section.render(request, category, request.POST if posted else None, section_errors) for section in sections
    ]
    context = {"category": category, "form": form, "sections": [html for html in extra if html]}
    return render(request, "forum/new_thread.html", context, status=status)


@login_required
@require_POST
def reply(request, pk):
    thread = get_thread(request, pk)
    form = ReplyForm(request.POST)
    error_status = 400
    if form.is_valid():
        try:
            post = posting.reply(author=request.user, thread=thread, body=form.cleaned_data["body"])
        except ForumError as exc:
            add_error(form, exc)
            error_status = exc.status
        else:
            if request.htmx:
                post.author_badges = extensions.user_badges([request.user.pk]).get(request.user.pk, [])
                post.can_edit = True
                thread.refresh_from_db(fields=["reply_count"])
                return render(
                    request,
                    "forum/partials/reply_done.html",
                    {"thread": thread, "post": post, "reply_form": ReplyForm()},
                )
            return redirect(post)
    if request.htmx:  # htmx swaps 2xx only: the form comes back with its errors
        return render(request, "forum/partials/reply_form.html", {"thread": thread, "reply_form": form})
    return render(request, "forum/reply_error.html", {"thread": thread, "reply_form": form}, status=error_status)


@login_required
def edit_post(request, pk):
    post = get_post(request, pk)
    if not can_edit(request.user, post):
        return render(request, "forum/not_allowed.html", {}, status=403)
    form = EditPostForm(request.POST if request.method == "POST" else None, initial={"body": post.body})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                posting.edit_post(editor=request.user, post=post, body=form.cleaned_data["body"])
                return redirect(post)
            except ForumError as exc:
                add_error(form, exc)
                status = exc.status
        else:
            status = 400
    return render(request, "forum/edit_post.html", {"post": post, "form": form}, status=status)


def post_history(request, pk):
    post = get_post(request, pk)
    if post.kind != post.Kind.POST:
        raise Http404
    revisions = list(post.revisions.select_related("editor"))
    return render(request, "forum/post_history.html", {"post": post, "revisions": revisions})
