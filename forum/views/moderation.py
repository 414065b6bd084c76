"""Moderator actions on threads and posts, and the report queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forum.errors import ForumError
from forum.forms import MoveForm, ReasonForm
from forum.models import Report
from forum.permissions import is_moderator
from forum.services import moderation
from forum.views.common import get_post, get_thread

THREAD_ACTIONS = {
    "pin": moderation.pin,
    "unpin": moderation.unpin,
    "lock": moderation.lock,
    "unlock": moderation.unlock,
    "move": moderation.move,
    "delete": moderation.delete_thread,
    "restore": moderation.restore_thread,
}
POST_ACTIONS = {"delete": moderation.delete_post, "restore": moderation.restore_post}


def _require_moderator(request):
    if not is_moderator(request.user):
        raise PermissionDenied


def _arguments(action, request):
    """The extra keyword arguments an action takes, from the POSTed form."""
    if action == "move":
        form = MoveForm(request.POST)
        if not form.is_valid():
            raise ForumError(_("Choose a category to move the thread to."), code="invalid")
        return {"category": form.cleaned_data["category"]}
    if action in ("lock", "delete"):
        form = ReasonForm(request.POST)
        if not form.is_valid():
            raise ForumError(" ".join(form.errors.get("reason", [])), code="invalid")
        return {"reason": form.cleaned_data["reason"]}
    return {}


def _run(request, fn, action, **target):
    try:
        changed = fn(actor=request.user, **target, **_arguments(action, request))
    except ForumError as exc:
        messages.error(request, exc.message)
        return
    if changed:
        messages.success(request, _("Done."))
    else:
        messages.info(request, _("Nothing to change: it was already so."))


@login_required
@require_POST
def thread_action(request, pk, action):
    _require_moderator(request)
    if action not in THREAD_ACTIONS:
        raise Http404
    thread = get_thread(request, pk)
    _run(request, THREAD_ACTIONS[action], action, thread=thread)
    return redirect(thread)


@login_required
@require_POST
def post_action(request, pk, action):
    _require_moderator(request)
    if action not in POST_ACTIONS:
        raise Http404
    post = get_post(request, pk)
    _run(request, POST_ACTIONS[action], action, post=post)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect(post)


@login_required
def report_queue(request):
    _require_moderator(request)
    reports = Report.objects.filter(status=Report.Status.OPEN).select_related(
        "post", "post__author", "post__thread", "reporter"
    )
    return render(request, "forum/report_queue.html", {"reports": reports})


@login_required
@require_POST
def report_handle(request, pk, resolution):
    _require_moderator(request)
    report = get_object_or_404(Report, pk=pk)
    try:
        changed = moderation.handle_report(actor=request.user, report=report, resolution=resolution)
    except ForumError as exc:
        messages.error(request, exc.message)
    else:
        if changed:
            messages.success(request, _("Report closed."))
    return redirect("forum:report_queue")
