"""Team buy pages and forms. Being built (issue 13)."""

from django.http import Http404


def team_detail(request, pk):
    raise Http404


def open_team(request, pk):
    raise Http404


def join_team(request, pk):
    raise Http404
