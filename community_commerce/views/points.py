"""The member's Points page. Being built (issue 13)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def my_points(request):
    return HttpResponse("points")
