"""The member's Points page: the balance, the pending points, how points are earned and the
ledger, newest first. Thin: the figures come from services/points.py."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from community_commerce.conf import conf
from community_commerce.services import points

PER_PAGE = 30


@login_required
def my_points(request):
    page = Paginator(points.history(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "community_commerce/my_points.html",
        {
            "page": page,
            "points": points.balance_of(request.user),
            "rate": points.rate_for(conf.DEFAULT_CURRENCY),
            "currency": conf.DEFAULT_CURRENCY,
            "referral": conf.POINTS_REFERRAL,
            "daily_cap": conf.POINTS_DAILY_CAP,
            "refund_days": conf.REFUND_DAYS,
        },
    )
