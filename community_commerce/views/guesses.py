"""The guess form and the public table after the close. Being built (issue 13)."""

from django.http import Http404


def guess(request, pk):
    raise Http404


def guess_table(request, pk):
    raise Http404
