"""Search over thread titles and posts.

PostgreSQL: full-text search (websearch syntax, ranked). SQLite: every word
must appear in the title or the post, case-insensitively.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q

from forum.models import Post

MAX_QUERY = 200


def search_posts(*, user, query: str):
    """Posts (first posts stand for their thread) matching ``query``, best first."""
    query = " ".join(str(query or "").split())[:MAX_QUERY]
    base = (
        Post.objects.visible_to(user)
        .filter(kind=Post.Kind.POST, thread__in=_threads_visible_to(user))
        .select_related("thread", "thread__category", "author")
    )
    if not query:
        return base.none()
    if connection.vendor == "postgresql":
        vector = SearchVector("thread__title", weight="A", config="simple") + SearchVector(
            "body", weight="B", config="simple"
        )
        sq = SearchQuery(query, search_type="websearch", config="simple")
        return base.annotate(document=vector, rank=SearchRank(vector, sq)).filter(document=sq).order_by("-rank", "-id")
    condition = Q()
    for word in query.split()[:10]:
        condition &= Q(body__icontains=word) | Q(thread__title__icontains=word)
    return base.filter(condition).order_by("-id")


def _threads_visible_to(user):
    from forum.models import Thread

    return Thread.objects.visible_to(user).values("pk")
