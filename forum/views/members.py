"""A member's own things: watching, notifications, preferences, reports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from forum import messages as forum_messages
from forum.errors import ForumError
from forum.forms import PreferencesForm, ReportForm
from forum.models import MemberPreferences, Notification
from forum.services import notifications, reports, subscriptions
from forum.views.common import add_error, get_post, get_thread


@login_required
@require_POST
def toggle_watch(request, pk):
    thread = get_thread(request, pk)
    if request.POST.get("watch") == "1":
        subscriptions.watch(user=request.user, thread=thread)
        watching = True
    else:
        subscriptions.unwatch(user=request.user, thread=thread)
        watching = False
    if request.htmx:
        return render(request, "forum/partials/watch_button.html", {"thread": thread, "watching": watching})
    return redirect(thread)


def set_language(request):
    """Django's set_language, which also keeps a signed-in member's choice, so that what is
    written to them later (emails) is in their language. Mount it at the set_language URL."""
    response = django_set_language(request)
    language = request.POST.get("language") if request.method == "POST" else None
    if language and request.user.is_authenticated:
        forum_messages.remember_language(request.user, language)  # an unknown code is ignored, as Django does
    return response


@login_required
def notification_list(request):
    qs = Notification.objects.filter(recipient=request.user).select_related("actor")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "forum/notifications.html", {"page": page})


@login_required
def notification_open(request, pk):
    note = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.mark_read(user=request.user, notification_ids=[note.pk])
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()}):
        return redirect(note.url)
    return redirect("forum:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    notifications.mark_read(user=request.user)
    return redirect("forum:notifications")


@login_required
def preferences(request):
    prefs, _created = MemberPreferences.objects.get_or_create(user=request.user)
    form = PreferencesForm(request.POST if request.method == "POST" else None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings are saved."))
        return redirect("forum:preferences")
    return render(request, "forum/preferences.html", {"form": form})


@login_required
def report_post(request, pk):
    post = get_post(request, pk)
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                reports.report_post(reporter=request.user, post=post, reason=form.cleaned_data["reason"])
                messages.success(request, _("Thank you. A moderator will look at this post."))
                return redirect(post)
            except ForumError as exc:
                add_error(form, exc)
                status = exc.status
        else:
            status = 400
    return render(request, "forum/report.html", {"post": post, "form": form}, status=status)
