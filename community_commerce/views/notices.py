"""The plugin's own notifications page (forums without notifications: adapters/base.py)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from community_commerce.models import Notice
from community_commerce.services import notices

PER_PAGE = 30


@login_required
def notice_list(request):
    page = Paginator(Notice.objects.filter(recipient=request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "community_commerce/notices.html", {"page": page})


@login_required
def notice_open(request, pk):
    """Marks the notice read and goes where it points."""
    notice = get_object_or_404(Notice, pk=pk, recipient=request.user)
    notices.mark_read(user=request.user, notice_ids=[notice.pk])
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()}):
        return redirect(notice.url)
    return redirect("community_commerce:notices")


@login_required
@require_POST
def notices_read_all(request):
    notices.mark_read(user=request.user)
    return redirect("community_commerce:notices")
