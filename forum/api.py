"""JSON API for categories, threads and posts (see shared/API.md)."""

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from forum import extensions
from forum.api_types import BODY, WRITE, Id, NonEmpty, Page, errors
from forum.errors import InvalidInput
from forum.models import Category, Post, Thread
from forum.services import events, posting

router = Router(tags=["forum"])


class CategoryOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    commerce_enabled: bool


class CategoryPage(Schema):
    items: list[CategoryOut]
    count: int


class PostOut(Schema):
    id: int
    thread: int
    author: str | None
    kind: Literal[tuple(Post.Kind.values)]
    html: str
    created_at: datetime
    edited_at: datetime | None


class ThreadOut(Schema):
    id: int
    url: str
    category: int
    category_slug: str
    title: str
    author: str | None
    created_at: datetime
    last_activity_at: datetime
    reply_count: int
    pinned: bool
    locked: bool
    locked_reason: str
    offers: list[int]


class ThreadDetailOut(ThreadOut):
    posts: list[PostOut]
    posts_count: int


class ThreadPage(Schema):
    items: list[ThreadOut]
    count: int


class PostPage(Schema):
    items: list[PostOut]
    count: int


class ThreadIn(Schema):
    category: int | str = Field(description="The category's id or slug.")
    title: NonEmpty
    body: NonEmpty


class PostIn(Schema):
    body: NonEmpty


def page_of(queryset, page: int, per_page: int):
    """``{"items", "count"}`` for one page of a queryset (page numbers from 1)."""
    start = (page - 1) * per_page
    items = list(queryset[start : start + per_page])
    if len(items) < per_page and (items or start == 0):  # the last page: the count is known without a query
        return items, start + len(items)
    return items, queryset.count()


def _username(user):
    return user.username if user else None


def post_data(post) -> dict:
    return {
        "id": post.pk,
        "thread": post.thread_id,
        "author": _username(post.author),
        "kind": post.kind,
        "html": events.event_html(post) if post.kind == Post.Kind.EVENT else post.html,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
    }


def threads_data(request, threads) -> list[dict]:
    extra = extensions.thread_api_fields(t.pk for t in threads)
    return [
        {
            "id": t.pk,
            "url": request.build_absolute_uri(t.get_absolute_url()),
            "category": t.category_id,
            "category_slug": t.category.slug,
            "title": t.title,
            "author": _username(t.author),
            "created_at": t.created_at,
            "last_activity_at": t.last_activity_at,
            "reply_count": t.reply_count,
            "pinned": t.pinned,
            "locked": t.locked,
            "locked_reason": t.locked_reason,
            "offers": [],
            **extra.get(t.pk, {}),
        }
        for t in threads
    ]


def _category(value) -> Category:
    lookup = Q(slug=str(value))
    if isinstance(value, int) or (str(value).isascii() and str(value).isdigit() and len(str(value)) < 19):
        lookup |= Q(pk=int(value))
    category = Category.objects.filter(lookup).first()
    if category is None:
        raise InvalidInput(fields={"category": [_("No such category.")]})
    return category


def _thread_detail(request, thread) -> dict:
    posts = Post.objects.visible_to(request.user).filter(thread=thread).select_related("author")
    items, count = page_of(posts, 1, settings.FORUM_POSTS_PER_PAGE)
    data = threads_data(request, [thread])[0]
    data["posts"] = [post_data(p) for p in items]
    data["posts_count"] = count
    return data


@router.get("/categories", response=CategoryPage, auth=None)
def list_categories(request):
    items = [CategoryOut.from_orm(c).dict() for c in Category.objects.all()]
    return {"items": items, "count": len(items)}


@router.get("/threads", response={200: ThreadPage, **errors(400)}, auth=None)
def list_threads(request, category: str | None = None, page: Page = 1):
    threads = Thread.objects.visible_to(request.user).select_related("category", "author").listing_order()
    if category:
        threads = threads.filter(category=_category(category))
    items, count = page_of(threads, page, settings.FORUM_THREADS_PER_PAGE)
    return {"items": threads_data(request, items), "count": count}


@router.post("/threads", response={201: ThreadDetailOut, **errors(400, WRITE, BODY, 429)})
def create_thread(request, payload: ThreadIn):
    thread = posting.start_thread(
        author=request.auth, category=_category(payload.category), title=payload.title, body=payload.body
    )
    return Status(201, _thread_detail(request, thread))


@router.get("/threads/{thread_id}", response={200: ThreadDetailOut, **errors(400, 404)}, auth=None)
def get_thread(request, thread_id: Id):
    qs = Thread.objects.visible_to(request.user).select_related("category", "author")
    return _thread_detail(request, get_object_or_404(qs, pk=thread_id))


@router.post("/threads/{thread_id}/posts", response={201: PostOut, **errors(400, WRITE, 404, BODY, 429)})
def create_post(request, thread_id: Id, payload: PostIn):
    thread = get_object_or_404(Thread.objects.visible_to(request.auth), pk=thread_id)
    post = posting.reply(author=request.auth, thread=thread, body=payload.body)
    return Status(201, post_data(post))


@router.get("/threads/{thread_id}/posts", response={200: PostPage, **errors(400, 404)}, auth=None)
def list_posts(request, thread_id: Id, page: Page = 1):
    thread = get_object_or_404(Thread.objects.visible_to(request.user), pk=thread_id)
    posts = Post.objects.visible_to(request.user).filter(thread=thread).select_related("author")
    items, count = page_of(posts, page, settings.FORUM_POSTS_PER_PAGE)
    return {"items": [post_data(p) for p in items], "count": count}
